"""learner_credit_page against a real read model: the page JSON, the admin portal's clamps and
thresholds (docs/architecture.md, "What the page shows" and "Balance state"), request-time
currency, eligibility and freshness."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from lcm_etl import cli, queries
from lcm_etl.eligibility import EligibilityFacts
from lcm_etl.schema import offer_utilization_daily
from lcm_etl.settings import get_settings

from .serving_support import ACME, DATA_AS_OF, GLOBEX, NOW, ReadModel, admin_of


def page(engine: Engine, settings, enterprise=ACME, **kwargs):
    return queries.learner_credit_page(engine, enterprise, settings=settings, **kwargs)


def only_offer(answer):
    assert answer is not None
    assert len(answer["offers"]) == 1
    return answer["offers"][0]


def test_unknown_enterprise_has_no_page(engine, make_settings, read_model: ReadModel) -> None:
    read_model.offer(GLOBEX)
    assert page(engine, make_settings(), ACME) is None


def test_page_is_designs_json_field_for_field(engine, make_settings, read_model) -> None:
    start = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    end = dt.datetime(2027, 1, 3, tzinfo=dt.UTC)
    offer_id = read_model.offer(start=start, end=end, max_discount="5000.00", net="200.00")
    answer = page(engine, make_settings(), now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert answer == {
        "enterprise_customer_uuid": str(ACME),
        "enterprise_name": "Acme Corp",
        "eligible": True,
        "reasons": [],
        "lcm_offer_id": str(offer_id),
        "offers": [
            {
                "offer_id": str(offer_id),
                "display_name": "Acme Corp - JAN26",
                "status": "Open",
                "start_datetime": "2026-01-03T00:00:00Z",
                "end_datetime": "2027-01-03T00:00:00Z",
                "is_current": True,
                "usage_type": "Percentage",
                "discount_value": 100.0,
                "is_fcfs_org_wide": True,
                "summary": {
                    "total_funds": 5000.0,
                    "redeemed_funds": 200.0,
                    "remaining_funds": 4800.0,
                    "percent_utilized": 0.04,
                    "balance_state": "ok",
                    "enrollment_count": 3,
                    "learner_count": 3,
                    "amount_refunded": 0.0,
                },
                "alerts": [],
                "forecast": {
                    "method": "trailing_30_day_net_spend",
                    "window_days": 30,
                    "status": "no_recent_spend",
                    "daily_net_spend": None,
                    "projected_depletion_date": None,
                },
            }
        ],
        "data_as_of": "2026-03-01T06:00:41Z",
        "budgets": [],
    }
    # JSON types, not just equal values: numbers are numbers, ids are strings.
    summary = answer["offers"][0]["summary"]
    assert all(type(summary[k]) is float for k in ("total_funds", "redeemed_funds"))
    assert type(summary["enrollment_count"]) is int
    json.dumps(answer, allow_nan=False)


def test_overspent_offer_is_clamped_like_the_portal(engine, make_settings, read_model) -> None:
    # The portal's own test case: maxDiscount 1, spent 1.34 → {1, 1, 0.0, 1.0}.
    read_model.offer(max_discount="1.00", net="1.34")
    offer = only_offer(page(engine, make_settings()))
    summary = offer["summary"]
    assert (
        summary["total_funds"],
        summary["redeemed_funds"],
        summary["remaining_funds"],
        summary["percent_utilized"],
    ) == (1.0, 1.0, 0.0, 1.0)
    assert summary["balance_state"] == "depleted"
    assert offer["alerts"] == [{"kind": "no_balance", "dismissible": False}]


@pytest.mark.parametrize(
    ("max_discount", "net", "state", "alerts"),
    [
        ("10000.00", "7500.00", "ok", []),  # exactly 75 % is not low
        ("10000.00", "7501.00", "low", [{"kind": "low_balance", "dismissible": True}]),
        ("100000.00", "99900.00", "depleted", [{"kind": "no_balance", "dismissible": False}]),
        ("100000.00", "99899.99", "low", [{"kind": "low_balance", "dismissible": True}]),
        ("150.00", "50.00", "depleted", [{"kind": "no_balance", "dismissible": False}]),
        ("0.00", "0.00", "depleted", [{"kind": "no_balance", "dismissible": False}]),
    ],
    ids=[
        "75pct-ok",
        "just-over-75pct-low",
        "100-left-depleted",
        "100.01-left-low",
        "small",
        "zero",
    ],
)
def test_threshold_boundaries(
    engine, make_settings, read_model, max_discount, net, state, alerts
) -> None:
    read_model.offer(max_discount=max_discount, net=net, balance_state="ok")  # stored: stale
    offer = only_offer(page(engine, make_settings()))
    assert offer["summary"]["balance_state"] == state
    assert offer["alerts"] == alerts


def test_thresholds_come_from_settings(engine, make_settings, read_model) -> None:
    read_model.offer(max_discount="10000.00", net="6000.00")
    assert only_offer(page(engine, make_settings()))["summary"]["balance_state"] == "ok"
    tighter = make_settings(low_balance_fraction="0.5")
    assert only_offer(page(engine, tighter))["summary"]["balance_state"] == "low"
    stricter = make_settings(no_balance_amount="4000")
    assert only_offer(page(engine, stricter))["summary"]["balance_state"] == "depleted"


def test_uncapped_offer_shows_total_spend_only(engine, make_settings, read_model) -> None:
    read_model.offer(max_discount=None, net="100.00")
    offer = only_offer(page(engine, make_settings()))
    assert offer["summary"] == {
        "total_funds": None,
        "redeemed_funds": 100.0,
        "remaining_funds": None,
        "percent_utilized": None,
        "balance_state": "uncapped",
        "enrollment_count": 3,
        "learner_count": 3,
        "amount_refunded": 0.0,
    }
    assert offer["alerts"] == []


def test_money_is_rounded_to_cents(engine, make_settings, read_model) -> None:
    read_model.offer(max_discount="3.00", net="1.00", refunded="0.10")
    summary = only_offer(page(engine, make_settings()))["summary"]
    assert summary["remaining_funds"] == 2.0
    assert summary["amount_refunded"] == 0.1
    assert summary["percent_utilized"] == pytest.approx(1 / 3)


def test_an_offer_that_ended_a_minute_ago_is_not_current(engine, make_settings, read_model) -> None:
    offer_id = read_model.offer(
        start=NOW - dt.timedelta(days=365), end=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    answer = page(engine, make_settings())
    assert answer is not None
    assert answer["offers"][0]["is_current"] is False
    assert answer["eligible"] is False
    assert answer["reasons"] == ["no_current_offer"]
    assert answer["lcm_offer_id"] is None
    # The same stored row, asked about two minutes earlier, was current: evaluated per request.
    earlier = page(engine, make_settings(), now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3))
    assert earlier is not None
    assert earlier["offers"][0]["is_current"] is True
    assert earlier["lcm_offer_id"] == str(offer_id)


def test_open_bounds_are_current(engine, make_settings, read_model) -> None:
    read_model.offer(start=None, end=None)
    assert only_offer(page(engine, make_settings()))["is_current"] is True


def test_offers_are_listed_current_first_then_newest_start(
    engine, make_settings, read_model
) -> None:
    year = dt.timedelta(days=365)
    old = read_model.offer(offer_id=10, start=NOW - 3 * year, end=NOW - 2 * year)
    older_no_start = read_model.offer(offer_id=11, start=None, end=NOW - year)
    recent_ended = read_model.offer(offer_id=12, start=NOW - year, end=NOW - dt.timedelta(days=1))
    current = read_model.offer(offer_id=13, start=NOW - 2 * year, end=NOW + year)
    answer = page(engine, make_settings())
    assert answer is not None
    assert [o["offer_id"] for o in answer["offers"]] == [
        str(current),
        str(recent_ended),
        str(old),
        str(older_no_start),
    ]
    assert answer["lcm_offer_id"] == str(current)


def test_two_current_offers_are_not_eligible(engine, make_settings, read_model) -> None:
    read_model.offer()
    read_model.offer()
    answer = page(engine, make_settings())
    assert answer is not None
    assert (answer["eligible"], answer["reasons"], answer["lcm_offer_id"]) == (
        False,
        ["multiple_current_offers"],
        None,
    )


def test_a_per_user_capped_offer_is_named_but_not_eligible(
    engine, make_settings, read_model
) -> None:
    offer_id = read_model.offer(max_user_discount="500.00")
    answer = page(engine, make_settings())
    assert answer is not None
    assert answer["reasons"] == ["offer_not_fcfs_org_wide"]
    assert answer["lcm_offer_id"] == str(offer_id)
    assert answer["offers"][0]["is_fcfs_org_wide"] is False


def test_known_facts_add_reasons(engine, make_settings, read_model) -> None:
    read_model.offer()
    facts = EligibilityFacts(
        lcm_screen_enabled=False, active_subscription_plans=1, active_coupon_codes=2
    )
    answer = page(engine, make_settings(), facts=facts)
    assert answer is not None
    assert answer["reasons"] == ["lcm_screen_disabled", "has_subscription_plan", "has_coupon_codes"]
    assert answer["eligible"] is False


def test_data_as_of_is_the_last_publish_that_covered_the_enterprise(
    engine, make_settings, read_model
) -> None:
    read_model.offer(data_as_of=DATA_AS_OF)
    later = DATA_AS_OF + dt.timedelta(hours=1)
    # A targeted publish of another enterprise says nothing about this one...
    read_model.publish_run(mode="targeted", enterprise_uuids=[GLOBEX], data_as_of=later)
    read_model.publish_run(status="failed", data_as_of=later + dt.timedelta(hours=1))
    answer = page(engine, make_settings())
    assert answer is not None
    assert answer["data_as_of"] == "2026-03-01T06:00:41Z"
    # ...an incremental publish covers every enterprise, even when its rows did not change.
    read_model.publish_run(mode="incremental", data_as_of=later)
    answer = page(engine, make_settings())
    assert answer is not None
    assert answer["data_as_of"] == "2026-03-01T07:00:41Z"


def test_cli_page_prints_the_same_json(
    engine, make_settings, read_model, database_url, monkeypatch
) -> None:
    read_model.offer(max_discount="10000.00", net="8000.00")
    monkeypatch.setenv("LCM_DATABASE_URL", database_url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["page", str(ACME)])
        indented = CliRunner().invoke(cli.app, ["page", "--indent", str(ACME)])
        missing = CliRunner().invoke(cli.app, ["page", str(uuid.uuid4())])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == page(engine, make_settings())
    assert missing.exit_code == 1
    # --indent (what `make run` prints): the same values, one field a line for a reader.
    assert indented.exit_code == 0, indented.output
    assert json.loads(indented.stdout) == json.loads(result.stdout)
    assert result.stdout.count("\n") == 1
    assert indented.stdout.count("\n") > 10
    assert '\n  "enterprise_customer_uuid": ' in indented.stdout


def printed_page(database_url, monkeypatch):
    """What `lcm-etl page` prints for ACME, reading the test's read model."""
    monkeypatch.setenv("LCM_DATABASE_URL", database_url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, ["page", str(ACME)])
    finally:
        get_settings.cache_clear()


def test_the_api_sends_the_bytes_lcm_etl_page_prints(
    client, read_model, database_url, monkeypatch
) -> None:
    """One renderer, one encoder: the API's body is `lcm-etl page`'s output, byte for byte,
    non-ASCII names and odd amounts included."""
    read_model.offer(enterprise_name="Açme Corp — Ünïcode", max_discount="10000.07", net="8000.3")
    read_model.offer(max_discount=None, net="12.345", start=None, end=None)
    printed = printed_page(database_url, monkeypatch)
    served = client.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=admin_of(ACME))
    assert printed.exit_code == 0, printed.output
    assert served.status_code == 200
    assert printed.stdout_bytes == served.content + b"\n"
    assert served.headers["content-type"] == "application/json"
    assert served.headers["X-Data-As-Of"] == served.json()["data_as_of"]


def test_the_api_sends_the_cli_s_forecasts_from_the_window_s_spend(
    client, engine, read_model, database_url, monkeypatch
) -> None:
    """The API reads each offer's net spend over the forecast window with the offer's row
    (lcm.page_offers, migration 0023); the CLI groups the daily rows itself. Days before the
    window, days in it and a refund all count as the CLI counts them: same forecasts, same bytes."""
    spending = read_model.offer(max_discount="10000.00", net="3000.00")
    quiet = read_model.offer(max_discount="5000.00", net="100.00")
    day = DATA_AS_OF.date()
    with engine.begin() as conn:
        conn.execute(
            insert(offer_utilization_daily),
            [
                {
                    "offer_id": offer_id,
                    "day": day - dt.timedelta(days=back),
                    "enterprise_customer_uuid": ACME,
                    "amount_spent": spent,
                    "amount_refunded": refunded,
                    "cumulative_net_spent": 0,
                }
                for offer_id, back, spent, refunded in (
                    (spending, 0, Decimal("120.00"), Decimal("0.00")),
                    (spending, 29, Decimal("300.00"), Decimal("20.00")),
                    (spending, 30, Decimal("999.00"), Decimal("0.00")),  # before the window
                    (quiet, 45, Decimal("100.00"), Decimal("0.00")),
                )
            ],
        )
    printed = printed_page(database_url, monkeypatch)
    served = client.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=admin_of(ACME))
    assert printed.exit_code == 0, printed.output
    assert printed.stdout_bytes == served.content + b"\n"
    forecasts = {o["offer_id"]: o["forecast"] for o in served.json()["offers"]}
    # $400 net in the window: $13.33 a day.
    assert forecasts[str(spending)]["daily_net_spend"] == 13.33
    assert forecasts[str(quiet)]["status"] == "no_recent_spend"
