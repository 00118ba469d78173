"""The page's plain-ASGI path (api.pageroute) answers exactly what FastAPI's route answers.

Two apps on the same database: the one ``lcm-etl serve`` runs (the page answered ahead of the
routing) and one with ``page_fast_path=False`` (the page through FastAPI's dependency and
endpoint). Every request below — good, malformed, unauthenticated, foreign, unknown, from the
portal's origin or another — must get the same status, headers and body from both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lcm_etl.api import create_app

from .serving_support import (
    ACME,
    GLOBEX,
    admin_of,
    cookie_header,
    jwt_cookies,
    make_token,
)

PORTAL = "https://portal.example.com"
PAGE = "/api/v1/enterprises/{}/learner-credit"


@pytest.fixture
def clients(api_settings, engine) -> Iterator[tuple[TestClient, TestClient]]:
    settings = api_settings(cors_allowed_origins=PORTAL)
    with (
        TestClient(create_app(settings, engine=engine)) as fast,
        TestClient(create_app(settings, engine=engine, page_fast_path=False)) as routed,
    ):
        yield fast, routed


def _answer(client: TestClient, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    response = client.get(path, headers=headers)
    return response.status_code, response.headers.multi_items(), response.content


ACME_TOKEN = make_token([f"enterprise_admin:{ACME}"])
CASES = {  # name: (path, headers); the statuses are in STATUSES
    "admin": (PAGE.format(ACME), admin_of(ACME)),
    "admin, 32 hex digits": (PAGE.format(ACME.hex), admin_of(ACME)),
    "admin, upper case": (PAGE.format(str(ACME).upper()), admin_of(ACME)),
    "admin, with a query string": (PAGE.format(ACME) + "?x=1", admin_of(ACME)),
    "bearer": (PAGE.format(ACME), {"Authorization": f"Bearer {ACME_TOKEN}"}),
    "cookies": (PAGE.format(ACME), {"Cookie": cookie_header(jwt_cookies(ACME_TOKEN))}),
    "header wins over cookies": (
        PAGE.format(ACME),
        {**admin_of(GLOBEX), "Cookie": cookie_header(jwt_cookies(ACME_TOKEN))},
    ),
    "one cookie half": (
        PAGE.format(ACME),
        {"Cookie": "edx-jwt-cookie-header-payload=" + ACME_TOKEN.rpartition(".")[0]},
    ),
    "portal origin": (PAGE.format(ACME), {**admin_of(ACME), "Origin": PORTAL}),
    "other origin": (PAGE.format(ACME), {**admin_of(ACME), "Origin": "https://evil.example"}),
    "portal origin, no token": (PAGE.format(ACME), {"Origin": PORTAL}),
    "no token": (PAGE.format(ACME), {}),
    "empty authorization": (PAGE.format(ACME), {"Authorization": ""}),
    "unknown scheme": (PAGE.format(ACME), {"Authorization": f"Basic {ACME_TOKEN}"}),
    "bad token": (PAGE.format(ACME), {"Authorization": "JWT not.a.token"}),
    "expired token": (
        PAGE.format(ACME),
        {"Authorization": f"JWT {make_token([], expires_in=-dt.timedelta(minutes=5))}"},
    ),
    "another tenant": (PAGE.format(GLOBEX), admin_of(ACME)),
    "unknown enterprise": (
        PAGE.format("11111111-2222-4333-8444-555555555555"),
        {"Authorization": f"JWT {make_token(['enterprise_openedx_operator:*'])}"},
    ),
    "malformed uuid, no token": (PAGE.format("not-a-uuid"), {}),
    "malformed uuid": (PAGE.format("12345678-1234-1234-1234-12345678901g"), admin_of(ACME)),
    "long malformed uuid": (PAGE.format("x" * 200), admin_of(ACME)),
    "percent-encoded uuid": (PAGE.format(str(ACME).replace("-", "%2D")), admin_of(ACME)),
    # Not the fast path's: FastAPI redirects to the path without it (the client follows).
    "trailing slash": (PAGE.format(ACME) + "/", admin_of(ACME)),
}


STATUSES = {
    "one cookie half": 401,
    "no token": 401,
    "portal origin, no token": 401,
    "empty authorization": 401,
    "unknown scheme": 401,
    "bad token": 401,
    "expired token": 401,
    "another tenant": 403,
    "unknown enterprise": 404,
    "malformed uuid, no token": 400,
    "malformed uuid": 400,
    "long malformed uuid": 400,
    "header wins over cookies": 403,  # the header's token is GLOBEX's admin
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_path_answers_as_the_route_does(clients, read_model, case) -> None:
    read_model.offer(max_discount="10000.00", net="2500.00")
    read_model.offer(enterprise=GLOBEX)
    fast, routed = clients
    path, headers = CASES[case]
    answer = _answer(fast, path, headers)
    assert answer == _answer(routed, path, headers)
    assert answer[0] == STATUSES.get(case, 200)


def test_the_fast_path_is_counted_under_the_route_template(clients, read_model) -> None:
    read_model.offer()
    fast, _ = clients
    assert fast.get(PAGE.format(ACME), headers=admin_of(ACME)).status_code == 200
    assert fast.get(PAGE.format(GLOBEX), headers=admin_of(ACME)).status_code == 403
    assert fast.get(PAGE.format(ACME)).status_code == 401
    scraped = fast.get("/metrics").text
    template = "/api/v1/enterprises/{enterprise_uuid}/learner-credit"
    for status in (200, 401, 403):
        assert (
            f'lcm_api_requests_total{{method="GET",route="{template}",status="{status}"}} 1.0'
            in scraped
        )
    assert str(ACME) not in scraped


def test_a_broken_connection_is_a_503_then_the_page_recovers(clients, read_model, engine) -> None:
    """A connection the server closed (a restart, a failover): the request that meets it gets a
    503 with Retry-After on both paths; the pool replaces it and the next request is answered."""
    read_model.offer()
    for client in clients:
        assert client.get(PAGE.format(ACME), headers=admin_of(ACME)).status_code == 200
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = 'lcm-etl' "
                    "AND pid <> pg_backend_pid()"
                )
            )
        broken = client.get(PAGE.format(ACME), headers=admin_of(ACME))
        assert broken.status_code == 503
        assert broken.headers["Retry-After"] == "5"
        assert broken.json() == {"detail": "The read model is unavailable; try again shortly."}
        assert client.get(PAGE.format(ACME), headers=admin_of(ACME)).status_code == 200


def test_the_prepared_statements_read_each_request_s_own_enterprise(clients, read_model) -> None:
    """One pooled connection, its statements prepared by the first request: every later request
    binds its own enterprise (the tenant setting included), on both paths."""
    read_model.offer(enterprise_name="Acme Corp")
    read_model.offer(enterprise=GLOBEX, enterprise_name="Globex")
    operator = {"Authorization": f"JWT {make_token(['enterprise_openedx_operator:*'])}"}
    for client in clients:
        for enterprise, name in [(ACME, "Acme Corp"), (GLOBEX, "Globex")] * 3:
            body = client.get(PAGE.format(enterprise), headers=operator).json()
            assert body["enterprise_customer_uuid"] == str(enterprise)
            assert body["enterprise_name"] == name
            assert [offer["display_name"].split(" - ")[0] for offer in body["offers"]] == [name]
