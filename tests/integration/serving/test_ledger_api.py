"""The ledger era's contracts, on real PostgreSQL after a real pass over the golden ledger source:
enterprise-access budgets, enterprise-subsidy transactions (the Spent table), enterprise-access
assignments (the Assigned table) and the page's ``budgets`` — with the portal's params, field
names, types, nulls, paging caps and permissions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from lcm_etl import pipeline, queries
from lcm_etl.api import create_app
from lcm_etl.schema import budget

from .serving_support import OPERATOR, admin_of, cookie_header, jwt_cookies, make_token
from support.ledger_builder import LedgerBuilder, dashed
from support.ledger_golden_source import build_golden
from support.sourcebuilder import SourceBuilder

ACME = uuid.UUID(dashed("enterprise:acme"))
OTHER = uuid.UUID("7f3c1b7e-5a41-4b0a-9c53-2f1e0d9a6b11")
P1, P2, P3, P5, P6 = (dashed(f"policy:P{i}") for i in (1, 2, 3, 5, 6))
S1, S2 = dashed("subsidy:S1"), dashed("subsidy:S2")
CONFIG_P2 = dashed("configuration:P2")
LEARNING = "https://learning.example.com"
SUBSIDY_SERVICE = "https://enterprise-subsidy.example.com"
ADMIN = admin_of(ACME)
STRANGER = admin_of(OTHER)
LEARNER = {"Authorization": f"JWT {make_token([f'enterprise_learner:{ACME}'])}"}
OTHER_LEARNER = {"Authorization": f"JWT {make_token([f'enterprise_learner:{OTHER}'])}"}


@pytest.fixture
def api(make_settings, api_settings, sqlite_source_url, engine) -> Iterator[TestClient]:
    SourceBuilder(sqlite_source_url).engine.dispose()
    builder = LedgerBuilder(sqlite_source_url)
    build_golden(builder)
    builder.dispose()
    url = sqlite_source_url.render_as_string()
    settings = make_settings(
        ecommerce_database_url=url, subsidy_database_url=url, access_database_url=url
    )
    pipeline.run_pass(settings, mode="full", trigger="manual")
    app = create_app(
        api_settings(frontend_app_learning_url=LEARNING, enterprise_subsidy_url=SUBSIDY_SERVICE),
        engine=engine,
    )
    with TestClient(app) as client:
        yield client


def _policies(client: TestClient, **params: Any) -> Any:
    return client.get("/api/v1/subsidy-access-policies/", params=params, headers=ADMIN)


def test_budget_list_with_the_portals_params(api: TestClient) -> None:
    answer = _policies(api, enterprise_customer_uuid=str(ACME), active="true")
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == [
        "next", "previous", "count", "num_pages", "current_page", "start", "results"
    ]  # fmt: skip
    assert body["count"] == 6
    by_uuid = {row["uuid"]: row for row in body["results"]}
    p2 = by_uuid[P2]
    assert p2["aggregates"] == {
        "amount_redeemed_usd_cents": 30_000,
        "amount_redeemed_usd": 300.0,
        "amount_allocated_usd_cents": 10_000,
        "amount_allocated_usd": 100.0,
        "spend_available_usd_cents": 71_500,
        "spend_available_usd": 715.0,
    }
    assert isinstance(p2["aggregates"]["amount_redeemed_usd"], float)
    assert p2["assignment_configuration"] == {
        "uuid": CONFIG_P2,
        "subsidy_access_policy": P2,
        "enterprise_customer_uuid": str(ACME),
        "active": True,
    }
    assert p2["subsidy_uuid"] == S1
    assert p2["subsidy_active_datetime"] == "2026-01-01T00:00:00Z"
    assert p2["subsidy_expiration_datetime"] == "2027-01-01T00:00:00Z"
    assert p2["spend_limit"] == 150_000
    assert p2["total_deposits_for_subsidy"] == 130_000
    assert by_uuid[P1]["assignment_configuration"] is None
    assert by_uuid[P3]["bnr_enabled"] is True
    assert by_uuid[P3]["assignment_configuration"]
    assert by_uuid[P5]["bnr_enabled"] is False
    # A soft-deleted subsidy: the service's subsidy call fails, so amounts and dates are null.
    p6 = by_uuid[P6]
    assert p6["aggregates"]["amount_redeemed_usd"] is None
    assert p6["aggregates"]["spend_available_usd_cents"] is None
    assert p6["subsidy_expiration_datetime"] is None
    assert p6["is_subsidy_active"] is None
    # ... and its deposits are the service's `or 0`; the spend-limit total reads no subsidy.
    assert p6["total_deposits_for_subsidy"] == 0
    assert p6["total_spend_limits_for_subsidy"] == 5_000


def test_budget_list_paging_is_capped_at_ten(api: TestClient) -> None:
    body = _policies(api, enterprise_customer_uuid=str(ACME), page_size="50").json()
    assert body["num_pages"] == 1
    assert len(body["results"]) == 6
    body = _policies(api, enterprise_customer_uuid=str(ACME), page_size="4", page="2").json()
    assert (body["count"], body["num_pages"], body["current_page"], body["start"]) == (6, 2, 2, 4)
    assert len(body["results"]) == 2


def test_budget_list_permissions(api: TestClient) -> None:
    url = "/api/v1/subsidy-access-policies/"
    assert api.get(url, params={"enterprise_customer_uuid": str(ACME)}).status_code == 401
    # enterprise-access checks the permission on the missing enterprise first: 403, even for an
    # operator (every rule needs an enterprise), not its filter's 400.
    for headers in (ADMIN, OPERATOR):
        for params in ({}, {"enterprise_customer_uuid": ""}):
            missing = api.get(url, params=params, headers=headers)
            assert missing.status_code == 403
            assert missing.json() == {"detail": "MISSING: subsidy_access_policy.has_read_access"}
    # A value that is no UUID matches none of an admin's or learner's enterprises (edx-rbac
    # checks the raw parameter first): 403; an operator reaches the filter's 400.
    for headers in (ADMIN, LEARNER):
        malformed = api.get(url, params={"enterprise_customer_uuid": "acme"}, headers=headers)
        assert malformed.status_code == 403
        assert malformed.json() == {"detail": "MISSING: subsidy_access_policy.has_read_access"}
    malformed = api.get(url, params={"enterprise_customer_uuid": "acme"}, headers=OPERATOR)
    assert malformed.status_code == 400
    assert "not an enterprise customer UUID" in malformed.json()["detail"]
    other = api.get(url, params={"enterprise_customer_uuid": str(ACME)}, headers=STRANGER)
    assert other.status_code == 403
    assert other.json() == {"detail": "MISSING: subsidy_access_policy.has_read_access"}
    mine = api.get(url, params={"enterprise_customer_uuid": str(OTHER)}, headers=STRANGER)
    assert mine.status_code == 200
    assert mine.json()["count"] == 0


def test_the_enterprises_learners_may_read_its_budgets_but_not_the_admin_tables(
    api: TestClient,
) -> None:
    """enterprise-access grants subsidy_access_policy.has_read_access to the policy learner
    role, which enterprise_learner maps to; the Spent and Assigned tables stay admin-only."""
    url = "/api/v1/subsidy-access-policies/"
    mine = api.get(url, params={"enterprise_customer_uuid": str(ACME)}, headers=LEARNER)
    assert mine.status_code == 200
    assert mine.json()["count"] == 6
    assert api.get(f"{url}{P2}/", headers=LEARNER).status_code == 200
    other = api.get(url, params={"enterprise_customer_uuid": str(ACME)}, headers=OTHER_LEARNER)
    assert other.status_code == 403
    assert other.json() == {"detail": "MISSING: subsidy_access_policy.has_read_access"}
    assert api.get(f"{url}{P2}/", headers=OTHER_LEARNER).status_code == 403
    spent = _transactions(api, S1, headers=LEARNER, state="committed")
    assert spent.status_code == 403
    assert spent.json() == {"detail": "MISSING: subsidy.can_read_all_transactions"}
    assigned = api.get(
        f"/api/v1/assignment-configurations/{CONFIG_P2}/admin/assignments/", headers=LEARNER
    )
    assert assigned.status_code == 403


def test_one_budget_and_its_permissions(api: TestClient) -> None:
    answer = api.get(f"/api/v1/subsidy-access-policies/{P2}/", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.json()["uuid"] == P2
    assert "results" not in answer.json()
    assert api.get(f"/api/v1/subsidy-access-policies/{P2}/", headers=STRANGER).status_code == 403
    unknown = str(uuid.uuid4())
    assert api.get(f"/api/v1/subsidy-access-policies/{unknown}/", headers=ADMIN).status_code == 403
    assert (
        api.get(f"/api/v1/subsidy-access-policies/{unknown}/", headers=OPERATOR).status_code == 404
    )
    assert api.get("/api/v1/subsidy-access-policies/nope/", headers=ADMIN).status_code == 400


def _transactions(client: TestClient, subsidy: str, headers: Any = None, **params: Any) -> Any:
    return client.get(
        f"/api/v2/subsidies/{subsidy}/admin/transactions/",
        params=params,
        headers=ADMIN if headers is None else headers,
    )


def test_spent_table_with_the_portals_params(api: TestClient) -> None:
    answer = _transactions(
        api,
        S1,
        state="committed",
        subsidy_access_policy_uuid=P1,
        page="1",
        page_size="25",
        ordering="-enrollment_date",  # a table column name the service ignores
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2
    rows = {row["content_title"]: row for row in body["results"]}
    refunded = rows["Course p1-refunded"]
    assert refunded["quantity"] == -8_000
    assert refunded["unit"] == "usd_cents"
    assert refunded["reversal"]["quantity"] == 8_000
    assert refunded["reversal"]["state"] == "committed"
    assert refunded["reversal"]["created"].endswith("Z")
    assert refunded["lms_user_email"] == "learner5@example.com"
    assert refunded["subsidy_access_policy_uuid"] == P1
    assert refunded["metadata"] == {}
    assert refunded["external_reference"] == []
    # enterprise-subsidy's: the learning MFE's address joined with course/<content_key>/home.
    assert refunded["courseware_url"] == (
        f"{LEARNING}/course/course-v1:edX+p1-refunded+2T2026/home"
    )
    # enterprise-subsidy's own transaction status endpoint, never this server.
    assert refunded["transaction_status_api_url"] == (
        f"{SUBSIDY_SERVICE}/api/v1/transactions/{refunded['uuid']}/"
    )
    assert rows["Course p1-committed"]["reversal"] is None
    # newest first by default
    created = [row["created"] for row in body["results"]]
    assert created == sorted(created, reverse=True)


def test_spent_rows_list_their_external_references(api: TestClient) -> None:
    """An Exec Ed redemption's external (GEAG) order ids, as DRF renders the reverse relation
    (its primary keys, in id order); every other row has none."""
    body = _transactions(api, S1, state="committed", subsidy_access_policy_uuid=P2).json()
    assert [row["external_reference"] for row in body["results"]] == [
        ["geag-order-1", "geag-order-2"]
    ]


def test_analysts_view_of_transactions_carries_the_external_references(
    api: TestClient, engine: Engine
) -> None:
    """lcm.v_budget_transaction shows each transaction's external order ids (its last column), the
    same list the Spent table gives; the analysts' role reads it."""
    spent = _transactions(api, S1, state="committed", subsidy_access_policy_uuid=P2).json()
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_reader"))
        view = conn.execute(text("SELECT * FROM lcm.v_budget_transaction"))
        columns = list(view.keys())
        by_uuid = {str(row.transaction_uuid): row.external_reference for row in view}
    assert columns[-1] == "external_reference"
    for row in spent["results"]:
        assert by_uuid[row["uuid"]] == row["external_reference"] == ["geag-order-1", "geag-order-2"]
    # Every other transaction (deposits, other redemptions) has an empty list, not null.
    assert [refs for refs in by_uuid.values() if refs != []] == [["geag-order-1", "geag-order-2"]]


def test_no_learning_mfe_address_no_courseware_url(
    api: TestClient, api_settings, engine: Engine
) -> None:
    with TestClient(create_app(api_settings(), engine=engine)) as client:
        body = _transactions(client, S1, state="committed").json()
    assert body["results"]
    assert {row["courseware_url"] for row in body["results"]} == {None}
    # No enterprise-subsidy address: null, not a link to this server (which has no such endpoint).
    assert {row["transaction_status_api_url"] for row in body["results"]} == {None}


def test_spent_aggregates_are_the_budgets_spent(api: TestClient) -> None:
    answer = api.get(
        f"/api/v2/subsidies/{S1}/admin/transactions/"
        f"?subsidy_access_policy_uuid={P1}&include_aggregates=true"
        "&state=committed&state=pending&state=created",
        headers=ADMIN,
    )
    body = answer.json()
    assert body["count"] == 4
    assert body["aggregates"] == {
        "unit": "usd_cents",
        "remaining_subsidy_balance": 81_500,
        "total_quantity": -17_000,
    }


def test_spent_search_ordering_and_page_cap(api: TestClient) -> None:
    body = _transactions(api, S1, search="LEARNER5@").json()
    assert [row["content_title"] for row in body["results"]] == ["Course p1-refunded"]
    body = _transactions(api, S1, ordering="quantity", page_size="1000").json()
    quantities = [row["quantity"] for row in body["results"]]
    assert quantities == sorted(quantities)
    assert len(quantities) == body["count"] <= 100
    assert _transactions(api, S1, state="refunded").status_code == 400


def test_spent_table_permissions(api: TestClient) -> None:
    assert _transactions(api, S1, headers={}).status_code == 401
    assert _transactions(api, S1, headers=STRANGER).status_code == 403
    # A soft-deleted subsidy is hidden by enterprise-subsidy: 403 for its admin.
    assert _transactions(api, S2).status_code == 403
    assert _transactions(api, S2, headers=OPERATOR).status_code == 404
    assert _transactions(api, str(uuid.uuid4()), headers=OPERATOR).status_code == 404


def _assignments(client: TestClient, headers: Any = None, **params: Any) -> Any:
    return client.get(
        f"/api/v1/assignment-configurations/{CONFIG_P2}/admin/assignments/",
        params=params,
        headers=ADMIN if headers is None else headers,
    )


def test_assigned_table_with_the_portals_params(api: TestClient) -> None:
    answer = _assignments(api, state__in="allocated,errored", page="1", page_size="25")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 3
    by_title = {row["content_title"]: row for row in body["results"]}
    assert by_title["Course p2-allocated-a"]["learner_state"] == "waiting"
    assert by_title["Course p2-allocated-b"]["learner_state"] == "notifying"
    errored = by_title["Course p2-errored"]
    assert errored["learner_state"] == "failed"
    assert errored["error_reason"] == {"action_type": "notified", "error_reason": "email_error"}
    assert by_title["Course p2-allocated-a"]["content_quantity"] == -4_000
    assert by_title["Course p2-allocated-a"]["recent_action"]["action_type"] == "assigned"
    assert by_title["Course p2-allocated-a"]["actions"][0]["action_type"] == "notified"
    assert by_title["Course p2-allocated-a"]["earliest_possible_expiration"]["reason"] == (
        "NINETY_DAYS_PASSED"
    )
    assert body["learner_state_counts"] == [
        {"learner_state": "failed", "count": 1},
        {"learner_state": "notifying", "count": 1},
        {"learner_state": "waiting", "count": 1},
    ]


def test_assigned_table_filters_search_and_ordering(api: TestClient) -> None:
    body = _assignments(api, state__in="allocated", learner_state__in="waiting").json()
    assert [row["content_title"] for row in body["results"]] == ["Course p2-allocated-a"]
    assert body["learner_state_counts"] == [{"learner_state": "waiting", "count": 1}]
    body = _assignments(api, search="ALLOCATED-B").json()
    assert [row["content_title"] for row in body["results"]] == ["Course p2-allocated-b"]
    body = _assignments(api, state__in="allocated", ordering="content_quantity").json()
    assert [row["content_quantity"] for row in body["results"]] == [-6_000, -4_000]
    assert _assignments(api, ordering="learner_email").status_code == 400
    assert _assignments(api, learner_state__in="asleep").status_code == 400


def test_assigned_table_permissions(api: TestClient) -> None:
    assert _assignments(api, headers={}).status_code == 401
    assert _assignments(api, headers=STRANGER).status_code == 403


def test_the_page_lists_budgets_in_the_portals_order(api: TestClient) -> None:
    answer = api.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=ADMIN)
    assert answer.status_code == 200
    budgets = answer.json()["budgets"]
    assert [b["budget_id"] for b in budgets][-1] == P6  # no dates: Expired, listed after
    p2 = next(b for b in budgets if b["budget_id"] == P2)
    assert (p2["spent"], p2["pending"], p2["available"], p2["utilized"]) == (
        300.0,
        100.0,
        715.0,
        400.0,
    )
    assert p2["is_assignable"] is True
    assert p2["limit"] == 1500.0
    assert p2["forecast"]["method"] == "trailing_30_day_net_spend"
    assert next(b for b in budgets if b["budget_id"] == P6)["status"] == "Expired"


def test_row_level_security_hides_other_tenants_budgets(api: TestClient, engine: Engine) -> None:
    with queries.tenant_transaction(engine, OTHER) as conn:
        assert conn.execute(select(func.count()).select_from(budget)).scalar_one() == 0
    with queries.tenant_transaction(engine, ACME) as conn:
        assert conn.execute(select(func.count()).select_from(budget)).scalar_one() == 6


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/subsidy-access-policies/?enterprise_customer_uuid={ACME}&active=true",
        f"/api/v1/subsidy-access-policies/{P2}/",
        f"/api/v2/subsidies/{S1}/admin/transactions/?state=committed",
        f"/api/v1/assignment-configurations/{CONFIG_P2}/admin/assignments/",
    ],
)
def test_the_ledger_routes_accept_the_portals_jwt_cookies(api: TestClient, path: str) -> None:
    def as_portal(roles: list[str]) -> dict[str, str]:
        return {"Cookie": cookie_header(jwt_cookies(make_token(roles))), "USE-JWT-COOKIE": "true"}

    assert api.get(path, headers=as_portal([f"enterprise_admin:{ACME}"])).status_code == 200
    assert api.get(path, headers=as_portal([f"enterprise_admin:{OTHER}"])).status_code == 403
