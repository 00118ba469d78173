"""NULLs sort like the MySQL-backed analytics API: first ascending, last descending, for every
orderable field of both analytics routes — and the enrollments index still serves the default
order (the page's ``-enrollment_date``) without a sort, which EXPLAIN shows."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from lcm_etl import queries
from lcm_etl.schema import offer_redemption, offer_summary

from .serving_support import ACME, admin_of

ACME_ADMIN = admin_of(ACME)
OFFERS = f"/enterprise/api/v1/enterprise/{ACME}/offers/"
ENROLLMENTS = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"

# Every nullable read-model column the routes can order by, set to NULL on one row.
NULL_OFFER = {
    column.name: None
    for column in queries.ANALYTICS_OFFER_ORDERING.values()
    if getattr(column, "nullable", False)
}
NULL_REDEMPTION = {
    column.name: None
    for column in queries.ENROLLMENT_ORDERING.values()
    if getattr(column, "nullable", False)
}


def null_positions(values: list[Any]) -> list[bool]:
    return [value is None for value in values]


def assert_mysql_null_order(field: str, values: list[Any], descending: bool) -> None:
    nulls = null_positions(values)
    expected = sorted(nulls, reverse=not descending)  # asc: True (null) first; desc: last
    assert nulls == expected, f"ordering={'-' if descending else ''}{field}: {values}"


@pytest.fixture
def offers_with_nulls(read_model) -> None:
    read_model.offer(offer_id=8812)
    # The uncapped offer: every nullable orderable column NULL (max_discount, remaining, ...).
    read_model.offer(offer_id=8813, **NULL_OFFER)
    with read_model.engine.begin() as conn:  # (some helper arguments read None as "derive it")
        conn.execute(
            offer_summary.update().where(offer_summary.c.offer_id == 8813).values(**NULL_OFFER)
        )
    read_model.offer(offer_id=8814, max_discount="100.00", net="90.00")


@pytest.fixture
def enrollments_with_nulls(read_model) -> int:
    offer_id = read_model.offer(offer_id=8812)
    read_model.redemption(
        offer_id, user_email="b@acme.example", enrollment_date=dt.date(2026, 2, 1)
    )
    read_model.redemption(offer_id, enrollment_date=dt.date(2026, 2, 2), **NULL_REDEMPTION)
    read_model.redemption(
        offer_id, user_email="a@acme.example", enrollment_date=dt.date(2026, 2, 3)
    )
    read_model.redemption(offer_id, enrollment_date=dt.date(2026, 2, 4), **NULL_REDEMPTION)
    return int(offer_id)


def test_the_fixtures_cover_every_nullable_field() -> None:
    assert {"max_discount", "remaining_balance", "emails_for_usage_alert"} <= set(NULL_OFFER)
    assert {"user_email", "course_title", "course_list_price"} <= set(NULL_REDEMPTION)


@pytest.mark.usefixtures("offers_with_nulls")
@pytest.mark.parametrize("field", sorted(queries.ANALYTICS_OFFER_ORDERING))
def test_offer_orderings_put_nulls_where_mysql_does(client, field) -> None:
    for descending in (False, True):
        ordering = f"-{field}" if descending else field
        response = client.get(OFFERS, params={"ordering": ordering}, headers=ACME_ADMIN)
        assert response.status_code == 200
        rows = response.json()["results"]
        assert len(rows) == 3
        values = [row[field] for row in rows]
        assert_mysql_null_order(field, values, descending)
        if queries.ANALYTICS_OFFER_ORDERING[field].name in NULL_OFFER:
            assert None in values  # the check above had a null to place


@pytest.mark.usefixtures("enrollments_with_nulls")
@pytest.mark.parametrize("field", sorted(queries.ENROLLMENT_ORDERING))
def test_enrollment_orderings_put_nulls_where_mysql_does(client, field) -> None:
    for descending in (False, True):
        ordering = f"-{field}" if descending else field
        for params in ({"ordering": ordering}, {"ordering": ordering, "no_page": "1"}):
            response = client.get(ENROLLMENTS, params=params, headers=ACME_ADMIN)
            assert response.status_code == 200
            body = response.json()
            rows = body if isinstance(body, list) else body["results"]
            assert len(rows) == 4
            values = [row[field] for row in rows]
            assert_mysql_null_order(field, values, descending)
            if field in NULL_REDEMPTION:
                assert values.count(None) == 2


@pytest.mark.usefixtures("enrollments_with_nulls")
def test_nulls_then_the_next_field_decides(client) -> None:
    """``user_email,-enrollment_date``: the two hidden emails first, newest of them first."""
    response = client.get(
        ENROLLMENTS, params={"ordering": "user_email,-enrollment_date"}, headers=ACME_ADMIN
    )
    rows = response.json()["results"]
    assert [(r["user_email"], r["enrollment_date"]) for r in rows] == [
        (None, "2026-02-04"),
        (None, "2026-02-02"),
        ("a@acme.example", "2026-02-03"),
        ("b@acme.example", "2026-02-01"),
    ]


@pytest.mark.usefixtures("enrollments_with_nulls")
def test_the_csv_orders_nulls_the_same_way(client) -> None:
    response = client.get(
        f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv",
        params={"ordering": "-user_email"},
        headers=ACME_ADMIN,
    )
    lines = response.text.splitlines()[1:]
    emails = [line.split(",")[queries.ENROLLMENT_FIELDS.index("user_email")] for line in lines]
    assert emails == ["b@acme.example", "a@acme.example", "", ""]


# ------------------------------------------------------------------------------------------------
# EXPLAIN: the default order is still an index range
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements the query module runs (to EXPLAIN them exactly as sent)."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    yield statements
    event.remove(engine, "before_cursor_execute", capture)


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain_ordered(
    engine: Engine, customer: uuid.UUID, statements: list[tuple[str, Any]]
) -> list[dict[str, Any]]:
    """The plans of the ORDER BY statements, planned as the API runs them (lcm_portal, RLS),
    with sorts and sequential scans priced out: a Sort node left means no index can give the
    order."""
    ordered = [(s, p) for s, p in statements if "ORDER BY" in s]
    assert ordered
    plans = []
    with queries.tenant_transaction(engine, customer) as conn:
        conn.execute(text("SET LOCAL enable_sort = off"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for statement, parameters in ordered:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            document = cursor.fetchone()[0]
            plans.append((json.loads(document) if isinstance(document, str) else document)[0])
    return plans


@pytest.mark.parametrize("ordering", [None, "-enrollment_date"])
def test_the_default_enrollment_order_is_served_by_the_index(
    engine, enrollments_with_nulls, captured, ordering
) -> None:
    where = queries.EnrollmentFilter(
        offer_id=str(enrollments_with_nulls), ignore_null_course_list_price=True
    )
    with queries.tenant_transaction(engine, ACME) as conn:
        page = queries.enrollments_page(
            conn, ACME, queries.PageRequest(1, 20), where=where, ordering=ordering
        )
    assert page.count == 2  # the two rows with a list price
    for plan in explain_ordered(engine, ACME, captured):
        nodes = list(plan_nodes(plan["Plan"]))
        assert not [n for n in nodes if n["Node Type"] in {"Sort", "Incremental Sort"}], plan
        indexes = {n.get("Index Name") for n in nodes}
        assert "ix_offer_redemption_enterprise_enrollment" in indexes, plan


def test_a_nulls_placement_the_index_cannot_give_would_show_as_a_sort(
    engine, enrollments_with_nulls, captured
) -> None:
    """The check above can fail: the same EXPLAIN of ``enrollment_date DESC NULLS LAST`` (which
    the index, DESC NULLS FIRST, cannot give) has a Sort."""
    with queries.tenant_transaction(engine, ACME) as conn:
        conn.execute(
            offer_redemption.select()
            .where(offer_redemption.c.enterprise_customer_uuid == ACME)
            .order_by(
                offer_redemption.c.enrollment_date.desc().nulls_last(),
                offer_redemption.c.order_discount_id.desc(),
                offer_redemption.c.order_line_id.desc(),
            )
            .limit(20)
        )
    plan = explain_ordered(engine, ACME, captured)[-1]
    assert any(n["Node Type"] == "Sort" for n in plan_nodes(plan["Plan"]))


def test_the_default_offer_order_needs_no_sort(engine, offers_with_nulls, captured) -> None:
    with queries.tenant_transaction(engine, ACME) as conn:
        queries.analytics_offers(conn, ACME, queries.PageRequest(1, 10))
    for plan in explain_ordered(engine, ACME, captured):
        nodes = list(plan_nodes(plan["Plan"]))
        assert not [n for n in nodes if n["Node Type"] == "Sort"], plan
        assert any(n.get("Relation Name") == offer_summary.name for n in nodes)
