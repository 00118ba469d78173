"""The eligibility rule (ADR 0003; docs/architecture.md), a pure function of offers, facts, now."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lcm_etl.eligibility import Eligibility, EligibilityFacts, OfferWindow, evaluate, is_current

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
UNKNOWN = EligibilityFacts.unknown()
REASONS = {
    "lcm_screen_disabled",
    "no_current_offer",
    "multiple_current_offers",
    "offer_not_fcfs_org_wide",
    "has_subscription_plan",
    "has_coupon_codes",
}


def offer(offer_id: str = "1", *, fcfs: bool = True, start=NOW - DAY, end=NOW + DAY):
    return OfferWindow(offer_id, start, end, fcfs)


def test_one_current_fcfs_offer_and_unknown_facts_is_eligible() -> None:
    assert evaluate([offer("42")], UNKNOWN, NOW) == Eligibility(True, [], "42")


def test_no_offer_at_all() -> None:
    assert evaluate([], UNKNOWN, NOW) == Eligibility(False, ["no_current_offer"], None)


def test_only_ended_or_future_offers() -> None:
    offers = [offer("1", end=NOW - dt.timedelta(minutes=1)), offer("2", start=NOW + DAY)]
    assert evaluate(offers, UNKNOWN, NOW) == Eligibility(False, ["no_current_offer"], None)


def test_two_current_offers_name_none() -> None:
    result = evaluate([offer("1"), offer("2"), offer("3", end=NOW - DAY)], UNKNOWN, NOW)
    assert result == Eligibility(False, ["multiple_current_offers"], None)


def test_the_current_offer_is_named_even_when_another_reason_applies() -> None:
    facts = EligibilityFacts(lcm_screen_enabled=False, active_subscription_plans=2)
    result = evaluate([offer("7", fcfs=False), offer("8", end=NOW - DAY)], facts, NOW)
    assert result == Eligibility(
        False,
        ["lcm_screen_disabled", "offer_not_fcfs_org_wide", "has_subscription_plan"],
        "7",
    )


@pytest.mark.parametrize(
    ("facts", "reasons"),
    [
        (EligibilityFacts(lcm_screen_enabled=True), []),
        (EligibilityFacts(lcm_screen_enabled=False), ["lcm_screen_disabled"]),
        (EligibilityFacts(active_subscription_plans=0), []),
        (EligibilityFacts(active_subscription_plans=1), ["has_subscription_plan"]),
        (EligibilityFacts(active_coupon_codes=0), []),
        (EligibilityFacts(active_coupon_codes=3), ["has_coupon_codes"]),
        (EligibilityFacts(None, None, None), []),  # unknown is never a reason
    ],
)
def test_each_fact(facts: EligibilityFacts, reasons: list[str]) -> None:
    result = evaluate([offer()], facts, NOW)
    assert result.reasons == reasons
    assert result.eligible is (not reasons)


def test_bounds_are_inclusive_and_open_when_missing() -> None:
    assert is_current(NOW, NOW, NOW)
    assert is_current(None, None, NOW)
    assert is_current(None, NOW, NOW)
    assert not is_current(None, NOW - dt.timedelta(microseconds=1), NOW)
    assert not is_current(NOW + dt.timedelta(microseconds=1), None, NOW)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate([], UNKNOWN, NOW.replace(tzinfo=None))


moments = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=5).map(lambda days: NOW + days * DAY),
)
offers_strategy = st.lists(
    st.builds(
        OfferWindow,
        offer_id=st.integers(1, 10_000).map(str),
        start=moments,
        end=moments,
        is_fcfs_org_wide=st.booleans(),
    ),
    max_size=5,
)
facts_strategy = st.builds(
    EligibilityFacts,
    lcm_screen_enabled=st.none() | st.booleans(),
    active_subscription_plans=st.none() | st.integers(0, 3),
    active_coupon_codes=st.none() | st.integers(0, 3),
)


@given(offers=offers_strategy, facts=facts_strategy)
def test_eligible_exactly_when_there_is_no_reason(offers, facts) -> None:
    result = evaluate(offers, facts, NOW)
    assert result.eligible == (result.reasons == [])
    assert set(result.reasons) <= REASONS
    assert len(result.reasons) == len(set(result.reasons))
    current = [o for o in offers if is_current(o.start, o.end, NOW)]
    assert result.lcm_offer_id == (current[0].offer_id if len(current) == 1 else None)
    if result.eligible:
        assert len(current) == 1
        assert current[0].is_fcfs_org_wide
        assert facts.lcm_screen_enabled is not False


@given(offers=offers_strategy)
def test_unknown_facts_only_ever_yield_offer_reasons(offers) -> None:
    reasons = set(evaluate(offers, UNKNOWN, NOW).reasons)
    assert reasons <= {"no_current_offer", "multiple_current_offers", "offer_not_fcfs_org_wide"}
