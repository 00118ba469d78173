"""Attacks on the HTTP parameters and headers: injection in every parameter, oversized values,
numeric extremes, Host-header poisoning of links, formula injection in the CSV export.

Every attempt must end in a JSON 4xx (or an empty/literal result) — never a 5xx, never rows of
another tenant, never a cell a spreadsheet would execute.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from integration.serving.serving_support import ACME, GLOBEX, admin_of

from lcm_etl.api import create_app

ENROLLMENTS = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
ENROLLMENTS_CSV = f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv"
ANALYTICS_OFFERS = f"/enterprise/api/v1/enterprise/{ACME}/offers/"
ADMIN_OFFERS = f"/api/v2/enterprise/{ACME}/enterprise-admin-offers/"
PAGE = f"/api/v1/enterprises/{ACME}/learner-credit"
ACME_ADMIN = admin_of(ACME)


@pytest.fixture
def acme(read_model) -> int:  # type: ignore[no-untyped-def]
    offer = read_model.offer(offer_id=8812)
    read_model.offer(GLOBEX, offer_id=9000)
    for index in range(25):
        read_model.redemption(offer, user_email=f"learner{index}@acme.example")
    read_model.redemption(9000, GLOBEX, user_email="secret@globex.example")
    read_model.publish_run()
    return offer


# --- Host header and links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:443", "lcm.example.com@evil.example"]
)
def test_host_header_is_never_echoed_into_links(client, acme, host) -> None:
    """Defect 10b: ``next``/``previous`` were built from the request's Host header."""
    response = client.get(ENROLLMENTS, headers={**ACME_ADMIN, "Host": host}, params={"page": 2})
    assert response.status_code == 200
    body = response.json()
    for link in (body["next"], body["previous"]):
        assert link is not None
        assert "evil" not in link
        assert link.startswith("/enterprise/api/v1/")


def test_links_start_with_the_configured_public_base_url(api_settings, engine, acme) -> None:
    settings = api_settings(public_base_url="https://lcm.example.com/")
    with TestClient(create_app(settings, engine=engine)) as client:
        response = client.get(
            ENROLLMENTS, headers={**ACME_ADMIN, "Host": "evil.example"}, params={"page": 2}
        )
    body = response.json()
    assert body["next"] == f"https://lcm.example.com{ENROLLMENTS}?page=3"
    assert body["previous"] == f"https://lcm.example.com{ENROLLMENTS}"
