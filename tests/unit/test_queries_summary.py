"""The admin portal's summary clamps and balance thresholds, server-side (docs/architecture.md,
"What the page shows"), and the JSON rendering rules of the contracts."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lcm_etl.queries import (
    PageSummary,
    Thresholds,
    alerts_for,
    iso_datetime,
    money,
    money_string,
    page_summary,
    uuid_string,
)

PORTAL = Thresholds(Decimal("0.75"), Decimal("100"))


def summary(max_discount: str | None, net: str) -> PageSummary:
    cap = None if max_discount is None else Decimal(max_discount)
    spent = Decimal(net)
    return page_summary(
        max_discount=cap,
        amount_of_offer_spent=spent,
        remaining_balance=None if cap is None else cap - spent,
        percent_of_offer_spent=None if not cap else spent / cap,
        thresholds=PORTAL,
    )


def test_the_portals_own_test_case() -> None:
    # data/tests/utils.test.js: maxDiscount 1, spent 1.34 → {1, 1, 0.0, 1.0}
    result = summary("1", "1.34")
    assert (result.total_funds, result.redeemed_funds, result.remaining_funds) == (
        Decimal(1),
        Decimal(1),
        Decimal(0),
    )
    assert result.percent_utilized == 1


def test_uncapped_shows_total_spend_only() -> None:
    assert summary(None, "100") == PageSummary(None, Decimal(100), None, None, "uncapped")


@pytest.mark.parametrize(
    ("max_discount", "net", "state"),
    [
        ("10000", "7500", "ok"),  # exactly 75 % is not low
        ("10000", "7500.01", "low"),
        ("100000", "99900", "depleted"),  # exactly $100 left is depleted
        ("100000", "99899.99", "low"),
        ("1000", "0", "ok"),
        ("100", "0", "depleted"),  # a budget of $100 or less is never usable
        ("0", "0", "depleted"),
    ],
)
def test_boundaries(max_discount: str, net: str, state: str) -> None:
    assert summary(max_discount, net).balance_state == state


def test_missing_raw_values_are_derived() -> None:
    result = page_summary(
        max_discount=Decimal(1000),
        amount_of_offer_spent=Decimal(800),
        remaining_balance=None,
        percent_of_offer_spent=None,
        thresholds=PORTAL,
    )
    assert (result.remaining_funds, result.percent_utilized, result.balance_state) == (
        Decimal(200),
        Decimal("0.8"),
        "low",
    )


cents = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(cap=cents, net=cents)
def test_clamps_and_states_hold_for_any_capped_offer(cap: Decimal, net: Decimal) -> None:
    result = page_summary(
        max_discount=cap,
        amount_of_offer_spent=net,
        remaining_balance=cap - net,
        percent_of_offer_spent=net / cap if cap else None,
        thresholds=PORTAL,
    )
    assert result.redeemed_funds == min(net, cap)
    assert result.remaining_funds == max(cap - net, 0)
    assert result.remaining_funds is not None
    assert result.remaining_funds >= 0
    if result.percent_utilized is not None:
        assert 0 <= result.percent_utilized <= 1
    assert result.balance_state == (
        "depleted" if cap - net <= 100 else "low" if net / cap > Decimal("0.75") else "ok"
    )
    assert [a["kind"] for a in alerts_for(result.balance_state)] == {
        "depleted": ["no_balance"],
        "low": ["low_balance"],
        "ok": [],
    }[result.balance_state]


def test_a_spend_just_past_the_fraction_is_low_although_the_stored_percent_rounds_to_it() -> None:
    """The page once compared the stored percentage, rounded to 6 places, with the fraction, and
    called ok an offer the publish had stored as low (7,500,000.01 of 10,000,000 spent)."""
    result = page_summary(
        max_discount=Decimal("10000000.00"),
        amount_of_offer_spent=Decimal("7500000.01"),
        remaining_balance=Decimal("2499999.99"),
        percent_of_offer_spent=Decimal("0.750000"),
        thresholds=PORTAL,
    )
    assert result.balance_state == "low"


def test_alerts() -> None:
    assert alerts_for("low") == [{"kind": "low_balance", "dismissible": True}]
    assert alerts_for("depleted") == [{"kind": "no_balance", "dismissible": False}]
    assert alerts_for("ok") == alerts_for("uncapped") == []


def test_rendering() -> None:
    assert money(Decimal("12.345")) == 12.35  # half up, in Decimal, then a JSON number
    assert money(Decimal("0.1") + Decimal("0.2")) == 0.3
    assert money(None) is None
    assert money_string(Decimal("50000")) == "50000.00"  # DRF DecimalField(decimal_places=2)
    assert money_string(Decimal("-0.34")) == "-0.34"
    assert iso_datetime(dt.datetime(2021, 12, 20, 16, 5, 11, 482913, tzinfo=dt.UTC)) == (
        "2021-12-20T16:05:11.482913Z"
    )
    assert iso_datetime(dt.datetime(2022, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=-5)))) == (
        "2022-01-03T05:00:00Z"
    )
    assert uuid_string(uuid.UUID("0A9AD1E66F5E4C3B9A571D2C3B4A5E6F")) == (
        "0a9ad1e6-6f5e-4c3b-9a57-1d2c3b4a5e6f"
    )
