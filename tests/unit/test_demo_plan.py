"""The demo source's plan and budget rules (no I/O): sizes, determinism, showcases, validation."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lcm_etl import demo
from lcm_etl.demo import plan as p
from lcm_etl.demo import planning
from lcm_etl.demo.offers import finalize_budget
from lcm_etl.demo.planning import build_plan
from lcm_etl.demo.source import OfferFacts, resolve_scale


@pytest.mark.parametrize("scale", ["S", "M", "L"])
def test_plan_has_exactly_the_sizes_of_its_scale(scale: str) -> None:
    spec = p.SCALES[scale]
    plan = build_plan(7, spec)

    assert len(plan.enterprises) == spec.enterprises
    assert len(plan.offers) == spec.offers
    assert sum(offer.redemptions for offer in plan.offers) == spec.redemptions
    assert len({ent.uuid for ent in plan.enterprises}) == spec.enterprises
    assert len({ent.slug for ent in plan.enterprises}) == spec.enterprises
    assert len({offer.id for offer in plan.offers}) == spec.offers
    assert len({offer.name for offer in plan.offers}) == spec.offers


def test_scale_l_is_the_benchmark_size_with_large_enterprises() -> None:
    spec = p.SCALES["L"]
    assert (spec.enterprises, spec.offers, spec.redemptions) == (5_000, 6_000, 2_000_000)

    plan = build_plan(7, spec)
    by_size = sorted(plan.enterprises, key=lambda e: -e.redemptions)
    assert str(by_size[0].uuid) == demo.SHOWCASE_LARGE_ENTERPRISE
    assert by_size[0].redemptions >= 100_000
    assert sum(ent.redemptions >= 100_000 for ent in plan.enterprises) >= 2
    # Heavy tail: most enterprises redeem little.
    median = sorted(ent.redemptions for ent in plan.enterprises)[len(plan.enterprises) // 2]
    assert median < spec.redemptions / spec.enterprises


def test_same_seed_same_plan_and_other_seed_other_plan() -> None:
    spec = p.SCALES["S"]
    first, again, other = build_plan(7, spec), build_plan(7, spec), build_plan(8, spec)

    assert first.enterprises == again.enterprises
    assert first.enterprises != other.enterprises


def test_showcase_constants_are_fixed_dashed_lowercase_uuids() -> None:
    expected = [f"a11ce000-0000-4000-8000-{n:012x}" for n in range(1, 12)]
    assert [s.uuid for s in demo.SHOWCASES] == expected
    assert expected[0] == demo.SHOWCASE_LOW_BALANCE_ENTERPRISE
    assert expected[9] == demo.SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE
    for value in expected:
        assert str(uuid.UUID(value)) == value

    plan = build_plan(3, p.SCALES["S"])
    showcases = {str(ent.uuid): ent for ent in plan.enterprises if ent.showcase}
    assert set(showcases) == set(expected)
    assert showcases[expected[0]].name == "Acme Corp"
    assert showcases[expected[0]].hex == "a11ce000000040008000000000000001"


def test_showcases_are_set_up_for_their_eligibility_case() -> None:
    plan = build_plan(11, p.SCALES["S"])
    by_uuid = {str(ent.uuid): ent for ent in plan.enterprises}

    def current(ent: p.EnterprisePlan) -> list[p.OfferPlan]:
        return [o for o in ent.offers if o.timing in (p.TIMING_CURRENT, p.TIMING_FRESH)]

    acme = by_uuid[demo.SHOWCASE_LOW_BALANCE_ENTERPRISE]
    assert [o.kind for o in acme.offers] == [p.KIND_FCFS]
    assert acme.lcm_screen
    assert not acme.subscriptions
    assert acme.coupon is None
    assert by_uuid[demo.SHOWCASE_UNCAPPED_ENTERPRISE].offers[0].budget is None
    assert by_uuid[demo.SHOWCASE_SUBSCRIPTION_ENTERPRISE].subscriptions == ("expired", "active")
    coupon = by_uuid[demo.SHOWCASE_COUPON_ENTERPRISE].coupon
    assert coupon is not None
    assert coupon.active
    assert not by_uuid[demo.SHOWCASE_SCREEN_DISABLED_ENTERPRISE].lcm_screen
    assert len(current(by_uuid[demo.SHOWCASE_TWO_OFFERS_ENTERPRISE])) == 2
    tyrell = current(by_uuid[demo.SHOWCASE_NOT_FCFS_ENTERPRISE])
    assert len(tyrell) == 1
    assert not tyrell[0].is_fcfs
    assert tyrell[0].value_cents < 10_000
    massive = by_uuid[demo.SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE]
    assert sorted(o.timing for o in massive.offers) == [p.TIMING_ENDED, p.TIMING_FUTURE]
    assert not current(massive)


def test_dates_are_fixed_and_orders_never_come_after_the_anchor() -> None:
    plan = build_plan(5, p.SCALES["M"])
    for offer in plan.offers:
        assert offer.start is not None
        if offer.timing == p.TIMING_CURRENT:
            assert offer.start <= p.ANCHOR
            assert offer.end is None or offer.end.year >= 2030
        elif offer.timing == p.TIMING_ENDED:
            assert offer.end is not None
            assert offer.end.year < 2026
        elif offer.timing == p.TIMING_FUTURE:
            assert offer.start.year >= 2036
            assert offer.redemptions == 0


def test_unknown_scale_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown demo scale 'XL': choose one of S, M, L"):
        resolve_scale("XL")
    assert resolve_scale("m") is p.SCALES["M"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            p.ScaleSpec("T", enterprises=12, offers=30, redemptions=50_000, courses=40),
            "enterprises",
        ),
        (p.ScaleSpec("T", enterprises=40, offers=20, redemptions=50_000, courses=40), "offer per"),
        (
            p.ScaleSpec("T", enterprises=40, offers=200, redemptions=50_000, courses=40),
            "at most two",
        ),
        (p.ScaleSpec("T", enterprises=40, offers=50, redemptions=1_000, courses=40), "redemptions"),
        (p.ScaleSpec("T", enterprises=40, offers=50, redemptions=50_000, courses=5), "course runs"),
    ],
)
def test_impossible_scale_specs_are_rejected(spec: p.ScaleSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_plan(1, spec)


@given(
    weights=st.lists(st.floats(0.01, 1_000), min_size=1, max_size=60),
    total=st.floats(1, 1e6),
    cap_share=st.floats(0.02, 1.0),
)
def test_water_fill_splits_the_total_without_exceeding_the_cap(
    weights: list[float], total: float, cap_share: float
) -> None:
    cap = max(total * cap_share, total / len(weights))  # a feasible cap
    shares = planning._water_fill(weights, total, cap)

    assert sum(shares) == pytest.approx(total, rel=1e-9)
    assert all(share <= cap * (1 + 1e-9) for share in shares)


def _offer(budget: str | None, utilization: float) -> p.OfferPlan:
    ent = p.EnterprisePlan(
        index=0,
        uuid=uuid.uuid4(),
        name="X",
        slug="x",
        showcase=None,
        created=p.ANCHOR,
        country="US",
    )
    return planning._new_offer(
        random.Random(1), ent, p.KIND_FCFS, p.TIMING_CURRENT, budget, utilization
    )


def _usd(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _state(offer: p.OfferPlan) -> str:
    maximum = offer.max_discount_cents
    facts = OfferFacts(
        offer_id=1, kind=offer.kind, timing=offer.timing, usage_type="Percentage",
        discount_value=_usd(offer.value_cents), redemptions=1,
        max_discount=None if maximum is None else _usd(maximum),
        net_spend=_usd(offer.net_cents), total_discount_ecommerce=_usd(offer.total_discount_cents),
    )  # fmt: skip
    return facts.balance_state


@given(
    gross=st.integers(100_000, 100_000_000),
    full_refunds=st.integers(0, 5_000),
    partial_refunds=st.integers(0, 5_000),
    utilization=st.floats(0.05, 0.70),
    seed=st.integers(0, 1_000),
)
def test_budgets_land_in_their_planned_balance_state(
    gross: int, full_refunds: int, partial_refunds: int, utilization: float, seed: int
) -> None:
    """max_discount follows the plan: ok/low/depleted/overspent/uncapped, and (except overspent)
    never below ecommerce's own counter, which ecommerce enforces at checkout."""
    expected = {
        p.BUDGET_OK: ("ok", utilization),
        p.BUDGET_LOW: ("low", 0.77 + utilization / 4),
        p.BUDGET_DEPLETED: ("depleted", 1.0),
        p.BUDGET_OVERSPENT: ("depleted", 1.0),
        None: ("uncapped", 0.0),
    }
    for budget, (state, target) in expected.items():
        offer = _offer(budget, target)
        offer.gross_cents = gross
        offer.full_refunded_cents = full_refunds
        partial = 0 if budget == p.BUDGET_DEPLETED else partial_refunds
        offer.refunded_net_cents = full_refunds + partial
        finalize_budget(random.Random(seed), offer)

        assert _state(offer) == state, budget
        if budget == p.BUDGET_OVERSPENT:
            assert offer.max_discount_cents is not None
            assert offer.max_discount_cents < offer.net_cents  # raw remaining < 0
        elif budget in (p.BUDGET_OK, p.BUDGET_LOW):
            assert offer.max_discount_cents is not None
            assert offer.max_discount_cents >= offer.total_discount_cents
