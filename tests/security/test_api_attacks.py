"""Attacks on the HTTP parameters and headers: injection in every parameter, oversized values,
numeric extremes, Host-header poisoning of links, formula injection in the CSV export.

Every attempt must end in a JSON 4xx (or an empty/literal result) — never a 5xx, never rows of
another tenant, never a cell a spreadsheet would execute.
"""

from __future__ import annotations

import csv
import io

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


# --- Host header and links -------------------------------------------------------------------


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


# --- formula injection in the CSV export ---------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _csv_rows(client: TestClient) -> list[dict[str, str]]:
    response = client.get(ENROLLMENTS_CSV, headers=ACME_ADMIN)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_text_cells_that_start_a_formula_are_neutralised(client, read_model, formula) -> None:
    """Defect 2: learner emails and partner course titles were written unchanged."""
    offer = read_model.offer(offer_id=8812)
    read_model.redemption(offer, user_email=formula + "@x.example", course_title=formula)
    rows = _csv_rows(client)
    assert len(rows) == 1
    assert rows[0]["user_email"] == "'" + formula + "@x.example"
    assert rows[0]["course_title"] == "'" + formula


def test_csv_numbers_and_harmless_text_are_untouched(client, read_model) -> None:
    offer = read_model.offer(offer_id=8812)
    read_model.redemption(
        offer,
        user_email="o'neil@x.example",
        course_title="C++ for = people",
        course_list_price="-5.00",  # a number, even a negative one, is never prefixed
        amount="300.00",
    )
    row = _csv_rows(client)[0]
    assert row["user_email"] == "o'neil@x.example"
    assert row["course_title"] == "C++ for = people"
    assert row["course_list_price"] == "-5.0"
    assert row["amount"] == "300.0"


def test_json_answers_keep_the_text_as_stored(client, read_model) -> None:
    offer = read_model.offer(offer_id=8812)
    read_model.redemption(offer, course_title="=1+1")
    body = client.get(ENROLLMENTS, headers=ACME_ADMIN).json()
    assert body["results"][0]["course_title"] == "=1+1"
