"""Stored validity windows counted at request time (lcm_etl.eligibility.active_at / facts_at, and
how queries reads tstzrange bounds)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql import Range

from lcm_etl.eligibility import (
    EligibilityFacts,
    OfferWindow,
    ValidityWindow,
    active_at,
    evaluate,
    facts_at,
)
from lcm_etl.queries.page import _validity_windows

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
MICRO = dt.timedelta(microseconds=1)


def test_a_window_counts_from_its_start_to_its_end_inclusive() -> None:
    windows = [ValidityWindow(NOW - DAY, NOW, 3), ValidityWindow(NOW, NOW + DAY, 2)]
    assert active_at(windows, NOW) == 5
    assert active_at(windows, NOW - MICRO) == 3
    assert active_at(windows, NOW + MICRO) == 2
    assert active_at(windows, NOW + DAY + MICRO) == 0
    assert active_at([ValidityWindow(None, None)], NOW) == 1


def test_unknown_windows_stay_unknown_and_known_empty_ones_count_zero() -> None:
    assert facts_at(NOW, lcm_screen_enabled=None, subscription_plans=None, coupon_codes=None) == (
        EligibilityFacts.unknown()
    )
    facts = facts_at(NOW, lcm_screen_enabled=True, subscription_plans=[], coupon_codes=[])
    assert facts == EligibilityFacts(True, 0, 0)


def test_a_plan_that_expired_yesterday_no_longer_blocks() -> None:
    plans = [ValidityWindow(NOW - 30 * DAY, NOW - DAY)]
    offer = [OfferWindow("1", None, None, True)]
    blocked = facts_at(
        NOW - 2 * DAY, lcm_screen_enabled=True, subscription_plans=plans, coupon_codes=[]
    )
    assert evaluate(offer, blocked, NOW - 2 * DAY).reasons == ["has_subscription_plan"]
    free = facts_at(NOW, lcm_screen_enabled=True, subscription_plans=plans, coupon_codes=[])
    assert evaluate(offer, free, NOW).eligible


def test_stored_ranges_become_inclusive_windows() -> None:
    ranges = [
        Range(NOW - DAY, NOW, bounds="[]"),
        Range(NOW - DAY, NOW, bounds="[)"),  # ends a microsecond before NOW
        Range(NOW, NOW + DAY, bounds="(]"),  # starts a microsecond after NOW
        Range(None, NOW, bounds="(]"),  # no start
        Range(empty=True),
    ]
    windows = _validity_windows(ranges, [1, 2, 4, 8, 16])
    assert windows == [
        ValidityWindow(NOW - DAY, NOW, 1),
        ValidityWindow(NOW - DAY, NOW - MICRO, 2),
        ValidityWindow(NOW + MICRO, NOW + DAY, 4),
        ValidityWindow(None, NOW, 8),
    ]
    assert active_at(windows, NOW) == 9


offsets = st.integers(-3, 3).map(lambda days: NOW + days * DAY)
window_lists = st.none() | st.lists(
    st.builds(
        ValidityWindow, start=st.none() | offsets, end=st.none() | offsets, count=st.integers(1, 3)
    ),
    max_size=4,
)


@given(
    offers=st.lists(
        st.builds(
            OfferWindow,
            offer_id=st.integers(1, 99).map(str),
            start=st.none() | offsets,
            end=st.none() | offsets,
            is_fcfs_org_wide=st.booleans(),
        ),
        max_size=4,
    ),
    screen=st.none() | st.booleans(),
    plans=window_lists,
    codes=window_lists,
    at=offsets,
)
def test_eligible_exactly_when_no_reason_from_stored_windows(
    offers, screen, plans, codes, at
) -> None:
    facts = facts_at(at, lcm_screen_enabled=screen, subscription_plans=plans, coupon_codes=codes)
    result = evaluate(offers, facts, at)
    assert result.eligible == (result.reasons == [])
    assert ("has_subscription_plan" in result.reasons) == bool(plans and active_at(plans, at))
    assert ("has_coupon_codes" in result.reasons) == bool(codes and active_at(codes, at))
    if screen is None:
        assert "lcm_screen_disabled" not in result.reasons
