"""Request-time truth: "current" and eligibility at the moment of the request, from the stored
dates and windows — boundaries inclusive, missing bounds open — and the stored SQL verdict always
agreeing with lcm_etl.eligibility.evaluate (a property test over generated facts)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, insert, text

from lcm_etl import pipeline, queries, sqlfiles
from lcm_etl.eligibility import EligibilityFacts, OfferWindow, evaluate, is_current
from lcm_etl.schema import (
    enterprise_eligibility,
    offer_summary,
    raw_coupon_offer,
    raw_coupon_voucher,
    raw_lm_agreement,
    raw_lm_plan,
    raw_lms_customer,
    watermark,
)

from support import eligibility_builder as eb

UTC = dt.UTC
BASE = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
MICRO = dt.timedelta(microseconds=1)
ACME = uuid.UUID("0ac3e000-0000-4000-8000-000000000001")


# ------------------------------------------------------------------------------------------------
# through the pipeline: the golden source, asked at other moments
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def golden(make_settings, sqlite_source_url, engine):
    now = dt.datetime.now(UTC)
    _, _, ids = eb.build_golden(sqlite_source_url, now)
    url = sqlite_source_url.render_as_string()
    settings_ = make_settings(
        ecommerce_database_url=url, lms_database_url=url, license_manager_database_url=url
    )
    pipeline.run_pass(settings_, mode="full", trigger="manual")
    return settings_, ids


def page_at(engine: Engine, settings_: Any, enterprise: uuid.UUID, now: dt.datetime) -> Any:
    answer = queries.learner_credit_page(engine, enterprise, settings=settings_, now=now)
    assert answer is not None
    return answer


def test_an_offer_is_current_until_its_end_inclusive_and_not_a_minute_after(golden, engine) -> None:
    settings_, ids = golden
    end = ids["ending_offer_end"]
    at_end = page_at(engine, settings_, eb.ENDING_OFFER, end)
    assert at_end["offers"][0]["is_current"] is True
    assert (at_end["eligible"], at_end["lcm_offer_id"]) == (True, str(ids["ending_offer"]))
    later = page_at(engine, settings_, eb.ENDING_OFFER, end + MINUTE)
    assert later["offers"][0]["is_current"] is False
    assert (later["eligible"], later["reasons"], later["lcm_offer_id"]) == (
        False,
        ["no_current_offer"],
        None,
    )


def test_a_subscription_counts_from_its_start_and_stops_blocking_after_it_expires(
    golden, engine
) -> None:
    settings_, ids = golden
    start = ids["future_plan_start"]
    assert page_at(engine, settings_, eb.FUTURE_PLAN, start - MICRO)["reasons"] == []
    assert page_at(engine, settings_, eb.FUTURE_PLAN, start)["reasons"] == ["has_subscription_plan"]
    end = ids["ending_plan_end"]
    assert page_at(engine, settings_, eb.ENDING_PLAN, end)["reasons"] == ["has_subscription_plan"]
    # It expired yesterday: it no longer blocks, though no pass ran since.
    tomorrow = page_at(engine, settings_, eb.ENDING_PLAN, end + eb.DAY)
    assert (tomorrow["eligible"], tomorrow["reasons"]) == (True, [])


# ------------------------------------------------------------------------------------------------
# the SQL at a chosen :now, and the page at a chosen request time, on hand-written rows
# ------------------------------------------------------------------------------------------------

_offer_ids = itertools.count(70_000)


def add_offer(
    conn: Connection, start: dt.datetime | None, end: dt.datetime | None, *, fcfs: bool = True
) -> int:
    offer_id = next(_offer_ids)
    zero = Decimal("0.00")
    conn.execute(
        insert(offer_summary).values(
            offer_id=offer_id,
            enterprise_customer_uuid=ACME,
            enterprise_name="Acme",
            offer_name=f"offer {offer_id}",
            offer_type="Site",
            status="Open",
            start_datetime=start,
            end_datetime=end,
            usage_type="Percentage",
            discount_value=Decimal("100") if fcfs else Decimal("50"),
            max_discount=Decimal("1000.00"),
            amount_spent=zero,
            amount_refunded=zero,
            amount_of_offer_spent=zero,
            redeemed_funds=zero,
            balance_state="ok",
            enrollment_count=0,
            learner_count=0,
            sum_course_price=zero,
            sum_amount_learner_paid=zero,
            is_fcfs_org_wide=fcfs,
            source_offer={},
            data_as_of=BASE,
        )
    )
    return offer_id


def mark(conn: Connection, source: str, *tables: str) -> None:
    for name in tables:
        conn.execute(
            insert(watermark).values(source=source, source_table=name, kind="full", run_id=1)
        )


def add_customer(conn: Connection, *, screen: bool) -> None:
    conn.execute(
        insert(raw_lms_customer).values(
            uuid=ACME.hex,
            name="Acme",
            slug="acme",
            active=True,
            enable_portal_learner_credit_management_screen=screen,
            enable_data_sharing_consent=True,
            enforce_data_sharing_consent="at_enrollment",
            modified=BASE,
            landed_run_id=1,
        )
    )
    mark(conn, "lms", "enterprise_enterprisecustomer")


def add_plans(conn: Connection, plans: list[tuple[dt.datetime, dt.datetime, bool, bool]]) -> None:
    conn.execute(
        insert(raw_lm_agreement).values(
            uuid="a" * 32, enterprise_customer_uuid=ACME.hex, modified=BASE, landed_run_id=1
        )
    )
    for n, (start, end, active, internal) in enumerate(plans):
        conn.execute(
            insert(raw_lm_plan).values(
                uuid=f"{n:032x}",
                customer_agreement_id="a" * 32,
                title=f"plan {n}",
                start_date=start,
                expiration_date=end,
                is_active=active,
                for_internal_use_only=internal,
                modified=BASE,
                landed_run_id=1,
            )
        )
    mark(
        conn, "license_manager", "subscriptions_customeragreement", "subscriptions_subscriptionplan"
    )


def add_codes(conn: Connection, codes: list[tuple[dt.datetime, dt.datetime, bool, bool]]) -> None:
    """codes: (start, end, used single-use code, offer Open)."""
    for n, (start, end, used, open_) in enumerate(codes):
        conn.execute(
            insert(raw_coupon_offer).values(
                id=n + 1,
                name=f"coupon {n}",
                status="Open" if open_ else "Suspended",
                condition_id=n + 1,
                enterprise_customer_uuid=ACME.hex,
                landed_run_id=1,
            )
        )
        conn.execute(
            insert(raw_coupon_voucher).values(
                id=n + 1,
                voucher_id=n + 1,
                conditionaloffer_id=n + 1,
                usage="Single use" if used else "Multi-use",
                start_datetime=start,
                end_datetime=end,
                num_orders=1 if used else 0,
                landed_run_id=1,
            )
        )
    mark(conn, "ecommerce", "voucher_voucher_offers")


def publish_eligibility(conn: Connection, now: dt.datetime) -> Any:
    """Run email_policy.sql and enterprise_eligibility.sql at ``now`` the way a publish does,
    store the row, and return it."""
    conn.execute(text("CREATE TEMP TABLE lc_offer (enterprise_customer_uuid uuid) ON COMMIT DROP"))
    conn.execute(text("INSERT INTO lc_offer VALUES (:u)"), {"u": ACME})
    conn.execute(
        text(
            "CREATE TEMP TABLE email_policy ON COMMIT DROP AS "
            + sqlfiles.load("transform/email_policy.sql")
        ),
        {"hide_unknown": False},
    )
    row = conn.execute(
        text(sqlfiles.load("transform/enterprise_eligibility.sql")), {"now": now}
    ).one()
    conn.execute(insert(enterprise_eligibility).values(**row._mapping))
    return row


@pytest.fixture
def conn(engine: Engine):
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.mark.parametrize(
    ("start", "end", "current"),
    [
        (BASE, BASE + HOUR, True),  # starts exactly now
        (BASE - HOUR, BASE, True),  # ends exactly now
        (BASE + MICRO, BASE + HOUR, False),  # starts a microsecond later
        (BASE - HOUR, BASE - MICRO, False),  # ended a microsecond ago
        (None, BASE + HOUR, True),  # no start: open
        (BASE - HOUR, None, True),  # no end: open
        (None, None, True),
        (None, BASE - MICRO, False),
        (BASE + MICRO, None, False),
    ],
)
def test_offer_boundaries_in_the_stored_facts_and_at_request_time(
    conn, make_settings, start, end, current
) -> None:
    offer_id = add_offer(conn, start, end)
    row = publish_eligibility(conn, BASE)
    assert row.current_offer_count == (1 if current else 0)
    assert row.lcm_offer_id == (offer_id if current else None)
    assert row.reasons == ([] if current else ["no_current_offer"])
    page = queries.learner_credit_page(conn, ACME, settings=make_settings(), now=BASE)
    assert page is not None
    assert page["offers"][0]["is_current"] is current
    assert page["reasons"] == row.reasons
    assert page["lcm_offer_id"] == (str(offer_id) if current else None)


@pytest.mark.parametrize(
    ("start", "end", "blocks"),
    [
        (BASE, BASE + HOUR, True),
        (BASE - HOUR, BASE, True),
        (BASE + MICRO, BASE + HOUR, False),
        (BASE - HOUR, BASE - MICRO, False),
    ],
)
def test_plan_and_code_boundaries(conn, make_settings, start, end, blocks) -> None:
    add_offer(conn, None, None)
    add_plans(conn, [(start, end, True, False)])
    add_codes(conn, [(start, end, False, True)])
    row = publish_eligibility(conn, BASE)
    expected = ["has_subscription_plan", "has_coupon_codes"] if blocks else []
    assert row.reasons == expected
    page = queries.learner_credit_page(conn, ACME, settings=make_settings(), now=BASE)
    assert page is not None
    assert page["reasons"] == expected


# ------------------------------------------------------------------------------------------------
# property: the stored verdict and the request-time verdict are evaluate()'s, and eligible ⇔ no
# reason, for generated facts
# ------------------------------------------------------------------------------------------------

moments = st.integers(-3, 3).map(lambda hours: BASE + hours * HOUR)
optional_moments = st.none() | moments
windows = st.tuples(moments, moments).map(sorted)
offers_strategy = st.lists(st.tuples(optional_moments, optional_moments, st.booleans()), max_size=4)
plans_strategy = st.none() | st.lists(st.tuples(windows, st.booleans(), st.booleans()), max_size=3)
codes_strategy = st.none() | st.lists(st.tuples(windows, st.booleans(), st.booleans()), max_size=3)


def _expected(
    offers: list[Any], screen: bool | None, plans: Any, codes: Any, now: dt.datetime
) -> Any:
    plan_count = (
        None
        if plans is None
        else sum(
            active and not internal and is_current(s, e, now) for (s, e), active, internal in plans
        )
    )
    code_count = (
        None
        if codes is None
        else sum(open_ and not used and is_current(s, e, now) for (s, e), used, open_ in codes)
    )
    windows_ = [OfferWindow(str(i), s, e, fcfs) for i, (s, e, fcfs) in offers]
    return evaluate(windows_, EligibilityFacts(screen, plan_count, code_count), now)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    offers=offers_strategy,
    screen=st.none() | st.booleans(),
    plans=plans_strategy,
    codes=codes_strategy,
    later=st.integers(0, 4).map(lambda hours: hours * HOUR),
)
def test_stored_and_request_time_verdicts_are_the_rule(
    engine, make_settings, offers, screen, plans, codes, later
) -> None:
    settings_ = make_settings()
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            numbered = []
            for start, end, fcfs in offers:
                if start is not None and end is not None and end < start:
                    start, end = end, start  # the pipeline rejects such offers
                offer_id = add_offer(connection, start, end, fcfs=fcfs)
                numbered.append((offer_id, (start, end, fcfs)))
            if screen is not None:
                add_customer(connection, screen=screen)
            if plans is not None:
                add_plans(
                    connection, [(s, e, active, internal) for (s, e), active, internal in plans]
                )
            if codes is not None:
                add_codes(connection, [(s, e, used, open_) for (s, e), used, open_ in codes])
            row = publish_eligibility(connection, BASE)
            at_pass = _expected(numbered, screen, plans, codes, BASE)
            assert row.is_eligible == (row.reasons == [])
            assert (row.is_eligible, row.reasons) == (at_pass.eligible, at_pass.reasons)
            assert row.lcm_offer_id == (
                None if at_pass.lcm_offer_id is None else int(at_pass.lcm_offer_id)
            )
            request = BASE + later
            page = queries.learner_credit_page(connection, ACME, settings=settings_, now=request)
            at_request = _expected(numbered, screen, plans, codes, request)
            assert page is not None
            assert page["eligible"] == (page["reasons"] == [])
            assert (page["eligible"], page["reasons"], page["lcm_offer_id"]) == (
                at_request.eligible,
                at_request.reasons,
                at_request.lcm_offer_id,
            )
        finally:
            transaction.rollback()
