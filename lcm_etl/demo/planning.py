"""Building a demo plan from a seed and a scale (the plan's shapes and vocabulary are in
``plan.py``): enterprises, their offers, coupons and subscription plans, and every id range."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid

from lcm_etl.demo import vocab
from lcm_etl.demo.plan import (
    ABSOLUTE,
    ANCHOR,
    BUDGET_DEPLETED,
    BUDGET_LOW,
    BUDGET_OK,
    BUDGET_OVERSPENT,
    CURRENT_ENDS,
    CURRENT_START_FIRST,
    CURRENT_START_LAST,
    ENDED_END_FIRST,
    ENDED_END_LAST,
    ENDED_START_FIRST,
    ENDED_START_LAST,
    ENTERPRISES_CREATED_FIRST,
    FORCE_DENIED_REFUND,
    FORCE_FULL_REFUND,
    FORCE_MULTI_LINE,
    FORCE_OPEN_REFUND,
    FORCE_PARTIAL_REFUND,
    FRESH_START,
    FUTURE_END,
    FUTURE_START_FIRST,
    FUTURE_START_LAST,
    KIND_ABSOLUTE,
    KIND_FCFS,
    KIND_PER_USER,
    KIND_PERCENTAGE,
    KIND_UNCAPPED,
    ORDINARY_ROLES,
    PERCENTAGE,
    SHOWCASE_COUPON_ENTERPRISE,
    SHOWCASE_DEPLETED_ENTERPRISE,
    SHOWCASE_HEALTHY_ENTERPRISE,
    SHOWCASE_LARGE_ENTERPRISE,
    SHOWCASE_LOW_BALANCE_ENTERPRISE,
    SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE,
    SHOWCASE_NOT_FCFS_ENTERPRISE,
    SHOWCASE_OFFERS,
    SHOWCASE_SCREEN_DISABLED_ENTERPRISE,
    SHOWCASE_SUBSCRIPTION_ENTERPRISE,
    SHOWCASE_TWO_OFFERS_ENTERPRISE,
    SHOWCASE_UNCAPPED_ENTERPRISE,
    SHOWCASES,
    TIMING_CURRENT,
    TIMING_ENDED,
    TIMING_FRESH,
    TIMING_FUTURE,
    CouponPlan,
    EnterprisePlan,
    OfferPlan,
    Plan,
    ScaleSpec,
    Showcase,
    offer_name,
    random_uuid,
    slugify,
    uniform_datetime,
)


def build_plan(seed: int, spec: ScaleSpec) -> Plan:
    spec.validate()
    rng = random.Random(f"lcm-demo:{seed}:plan")
    enterprises = _showcase_enterprises(rng)
    ordinary = _ordinary_enterprises(rng, spec, start_index=len(enterprises))
    enterprises.extend(ordinary)
    _assign_redemptions(rng, spec, enterprises, ordinary)
    for ent in enterprises:
        for offer in ent.offers:
            _finish_offer_terms(rng, offer, showcase=ent.showcase is not None)

    # Offer ids follow creation dates, like a real auto-increment column.
    offers = sorted(
        (offer for ent in enterprises for offer in ent.offers),
        key=lambda o: (o.date_created, o.enterprise_index),
    )
    coupon_hosts = [ent for ent in enterprises if ent.coupon is not None]
    next_id = 1
    # Older, non-learner-credit offers first: the plain Site promotion and the coupons.
    noise_offer_id = next_id
    next_id += 1
    for ent in coupon_hosts:
        assert ent.coupon is not None
        ent.coupon.offer_id = next_id
        next_id += 1
    for offer in offers:
        offer.id = next_id
        next_id += 1
        ent = enterprises[offer.enterprise_index]
        offer.name = offer_name(ent.name, offer.catalog_hex)
    for ent in enterprises:
        if ent.manual_enrollment_offer_id is not None:
            ent.manual_enrollment_offer_id = next_id
            next_id += 1
    null_uuid_offer_id, bad_dates_offer_id, deleted_offer_id = next_id, next_id + 1, next_id + 2

    # Users: B2C shoppers first, then each enterprise's learners in one id range.
    b2c_users = max(20, spec.redemptions // 200)
    next_user = 1 + b2c_users
    for ent in enterprises:
        # Learners per redemption: more for showcases (so consent rates are measurable) and for
        # per-user-limited offers (whose learners hit their limits).
        per_user = 1.0 if ent.showcase else 0.45
        if any(o.kind == KIND_PER_USER for o in ent.offers):
            per_user = 0.8
        wanted = ent.redemptions + (ent.coupon.redemptions if ent.coupon else 0) + 5
        ent.user_first_id = next_user
        ent.user_count = max(6, math.ceil(wanted * per_user * rng.uniform(0.85, 1.15)))
        next_user += ent.user_count
    return Plan(
        seed=seed,
        spec=spec,
        enterprises=enterprises,
        b2c_first_user_id=1,
        b2c_user_count=b2c_users,
        noise_offer_id=noise_offer_id,
        noise_orders=max(10, spec.redemptions // 200),
        full_price_orders=max(10, spec.redemptions // 200),
        null_uuid_offer_id=null_uuid_offer_id,
        bad_dates_offer_id=bad_dates_offer_id,
        deleted_offer_id=deleted_offer_id,
        next_offer_id=deleted_offer_id + 1,
        user_count=next_user - 1,
    )


def _new_offer(
    rng: random.Random,
    ent: EnterprisePlan,
    kind: str,
    timing: str,
    budget: str | None,
    utilization: float = 0.0,
) -> OfferPlan:
    if timing in (TIMING_CURRENT, TIMING_FRESH):
        start = (
            uniform_datetime(rng, FRESH_START, ANCHOR - dt.timedelta(days=3))
            if timing == TIMING_FRESH
            else uniform_datetime(rng, CURRENT_START_FIRST, CURRENT_START_LAST)
        )
        start = start.replace(hour=0, minute=0, second=0)
        end: dt.datetime | None = rng.choice(CURRENT_ENDS)
    elif timing == TIMING_ENDED:
        start = uniform_datetime(rng, ENDED_START_FIRST, ENDED_START_LAST).replace(
            hour=0, minute=0, second=0
        )
        end = uniform_datetime(rng, ENDED_END_FIRST, ENDED_END_LAST).replace(
            hour=23, minute=59, second=59
        )
    else:
        start = uniform_datetime(rng, FUTURE_START_FIRST, FUTURE_START_LAST).replace(
            hour=0, minute=0, second=0
        )
        end = FUTURE_END
    benefit = ABSOLUTE if kind == KIND_ABSOLUTE else PERCENTAGE
    if kind == KIND_PERCENTAGE:
        value = rng.choice((5000, 7500, 8000, 9000))
    elif kind == KIND_ABSOLUTE:
        value = rng.choice((10000, 15000, 20000, 25000, 50000))
    else:
        value = 10000
    offer = OfferPlan(
        enterprise_index=ent.index,
        kind=kind,
        timing=timing,
        benefit=benefit,
        value_cents=value,
        start=start,
        end=end,
        catalog_hex=random_uuid(rng).hex,
        date_created=start - dt.timedelta(days=rng.randint(1, 20), seconds=rng.randrange(86400)),
        budget=None if kind == KIND_UNCAPPED else budget,
        target_utilization=utilization,
    )
    if kind == KIND_PER_USER:
        choice = rng.randrange(3)
        if choice in (0, 2):
            offer.max_user_applications = rng.choice((2, 3, 5))
        if choice in (1, 2):
            offer.max_user_discount_cents = rng.choice((100_000, 150_000, 250_000))
    ent.offers.append(offer)
    return offer


def _finish_offer_terms(rng: random.Random, offer: OfferPlan, *, showcase: bool) -> None:
    if rng.random() < 0.6:
        offer.emails_for_usage_alert = "learning-admin@example.com"
        offer.usage_email_frequency = rng.choice(("DAILY", "WEEKLY", "MONTHLY"))
    if rng.random() < 0.7:
        offer.sales_force_id = "0064X" + "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)
        )
    if not showcase and offer.timing == TIMING_CURRENT and rng.random() < 0.03:
        offer.end = None  # open-ended offers exist: a missing bound is open


def _enterprise(
    rng: random.Random, index: int, name: str, showcase: Showcase | None, ent_uuid: uuid.UUID
) -> EnterprisePlan:
    return EnterprisePlan(
        index=index,
        uuid=ent_uuid,
        name=name,
        slug=slugify(name, 24),
        showcase=showcase,
        created=uniform_datetime(rng, ENTERPRISES_CREATED_FIRST, dt.datetime(2024, 10, 1)),
        country=rng.choice(vocab.COUNTRIES),
    )


def _showcase_enterprises(rng: random.Random) -> list[EnterprisePlan]:
    ents = [_enterprise(rng, i, sc.name, sc, uuid.UUID(sc.uuid)) for i, sc in enumerate(SHOWCASES)]
    by_uuid = {str(ent.uuid): ent for ent in ents}

    acme = by_uuid[SHOWCASE_LOW_BALANCE_ENTERPRISE]
    offer = _new_offer(rng, acme, KIND_FCFS, TIMING_CURRENT, BUDGET_LOW, 0.85)
    offer.redemptions, offer.pending = 180, 2
    offer.forced = {7: FORCE_FULL_REFUND, 12: FORCE_PARTIAL_REFUND, 20: FORCE_MULTI_LINE}
    acme.decline_rate, acme.null_consent_rate = 0.025, 0.0

    initech = by_uuid[SHOWCASE_DEPLETED_ENTERPRISE]
    offer = _new_offer(rng, initech, KIND_FCFS, TIMING_CURRENT, BUDGET_OVERSPENT, 1.0)
    offer.redemptions, offer.pending = 120, 1
    offer.forced = {5: FORCE_FULL_REFUND}

    umbrella = by_uuid[SHOWCASE_UNCAPPED_ENTERPRISE]
    offer = _new_offer(rng, umbrella, KIND_UNCAPPED, TIMING_CURRENT, None)
    offer.redemptions, offer.pending = 90, 1
    offer.forced = {9: FORCE_PARTIAL_REFUND}

    hooli = by_uuid[SHOWCASE_HEALTHY_ENTERPRISE]
    offer = _new_offer(rng, hooli, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, 0.30)
    offer.redemptions, offer.pending = 110, 1
    offer.forced = {4: FORCE_OPEN_REFUND, 8: FORCE_DENIED_REFUND, 15: FORCE_FULL_REFUND}
    hooli.consent_enforce = "externally_managed"

    stark = by_uuid[SHOWCASE_SUBSCRIPTION_ENTERPRISE]
    offer = _new_offer(rng, stark, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, 0.40)
    offer.redemptions = 60
    stark.subscriptions = ("expired", "active")

    wayne = by_uuid[SHOWCASE_COUPON_ENTERPRISE]
    offer = _new_offer(rng, wayne, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, 0.50)
    offer.redemptions = 50
    wayne.coupon = _coupon(rng, active=True, vouchers=12, redemptions=6)

    cyberdyne = by_uuid[SHOWCASE_SCREEN_DISABLED_ENTERPRISE]
    offer = _new_offer(rng, cyberdyne, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, 0.50)
    offer.redemptions = 40
    cyberdyne.lcm_screen = False

    soylent = by_uuid[SHOWCASE_TWO_OFFERS_ENTERPRISE]
    offer = _new_offer(rng, soylent, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, 0.30)
    offer.redemptions = 35
    offer = _new_offer(rng, soylent, KIND_FCFS, TIMING_CURRENT, BUDGET_LOW, 0.80)
    offer.redemptions = 25

    tyrell = by_uuid[SHOWCASE_NOT_FCFS_ENTERPRISE]
    offer = _new_offer(rng, tyrell, KIND_PERCENTAGE, TIMING_CURRENT, BUDGET_OK, 0.50)
    offer.value_cents = 5000
    offer.redemptions = 45
    offer.forced = {3: FORCE_MULTI_LINE}

    massive = by_uuid[SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE]
    offer = _new_offer(rng, massive, KIND_FCFS, TIMING_ENDED, BUDGET_LOW, 0.90)
    offer.redemptions = 60
    offer.forced = {2: FORCE_FULL_REFUND}
    _new_offer(rng, massive, KIND_FCFS, TIMING_FUTURE, BUDGET_OK, 0.0)

    globex = by_uuid[SHOWCASE_LARGE_ENTERPRISE]
    offer = _new_offer(rng, globex, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, 0.55)
    offer.forced = {30: FORCE_PARTIAL_REFUND, 31: FORCE_FULL_REFUND}
    return ents


def _coupon(rng: random.Random, *, active: bool, vouchers: int, redemptions: int) -> CouponPlan:
    if active:
        start, end = dt.datetime(2025, 2, 3), dt.datetime(2035, 12, 31, 23, 59, 59)
    else:
        start, end = dt.datetime(2024, 1, 8), dt.datetime(2025, 6, 30, 23, 59, 59)
    return CouponPlan(
        offer_id=0,
        coupon_number=rng.randint(10_000, 99_999),
        active=active,
        vouchers=vouchers,
        redemptions=redemptions,
        catalog_hex=random_uuid(rng).hex,
        date_created=start - dt.timedelta(days=rng.randint(2, 30)),
        start=start,
        end=end,
    )


_CURRENT_KINDS = (
    (KIND_FCFS, 0.70),
    (KIND_UNCAPPED, 0.06),
    (KIND_PERCENTAGE, 0.08),
    (KIND_ABSOLUTE, 0.06),
    (KIND_PER_USER, 0.10),
)
_BUDGETS = (
    (BUDGET_OK, 0.65),
    (BUDGET_LOW, 0.20),
    (BUDGET_DEPLETED, 0.10),
    (BUDGET_OVERSPENT, 0.05),
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _budget(rng: random.Random) -> tuple[str, float]:
    budget = _pick(rng, _BUDGETS)
    if budget == BUDGET_OK:
        return budget, rng.uniform(0.05, 0.70)
    if budget == BUDGET_LOW:
        return budget, rng.uniform(0.77, 0.95)
    return budget, 1.0


def _current_offer(
    rng: random.Random, ent: EnterprisePlan, kind: str | None = None, timing: str = TIMING_CURRENT
) -> OfferPlan:
    budget, utilization = _budget(rng)
    return _new_offer(rng, ent, kind or _pick(rng, _CURRENT_KINDS), timing, budget, utilization)


def _company_names(rng: random.Random, count: int) -> list[str]:
    p, c, s = vocab.COMPANY_PREFIXES, vocab.COMPANY_CORES, vocab.COMPANY_SUFFIXES
    # Three-word names never collide with the (shorter) showcase names.
    picks = rng.sample(range(len(p) * len(c) * len(s)), count)
    return [f"{p[i % len(p)]} {c[i // len(p) % len(c)]} {s[i // (len(p) * len(c))]}" for i in picks]


def _ordinary_enterprises(
    rng: random.Random, spec: ScaleSpec, start_index: int
) -> list[EnterprisePlan]:
    count = spec.enterprises - len(SHOWCASES)
    names = _company_names(rng, count)
    ents = [
        _enterprise(rng, start_index + i, name, None, random_uuid(rng))
        for i, name in enumerate(names)
    ]
    slugs: set[str] = {slugify(sc.name, 24) for sc in SHOWCASES}
    for ent in ents:  # slugs are unique (SlugField unique=True)
        base, n = ent.slug, 1
        while ent.slug in slugs:
            n += 1
            ent.slug = f"{base[:26]}-{n}"
        slugs.add(ent.slug)

    whales = len(spec.large_shares) - 1
    roles = ents[whales : whales + ORDINARY_ROLES]
    rest = ents[whales + ORDINARY_ROLES :]
    for ent in ents[:whales]:
        budget, utilization = BUDGET_OK, rng.uniform(0.3, 0.7)
        _new_offer(rng, ent, KIND_FCFS, TIMING_CURRENT, budget, utilization)

    # Fixed roles, so every case exists at every scale.
    (
        host,
        expired_coupons,
        expired_plan,
        inactive_plan,
        manual,
        no_consent,
        absolute,
        per_user,
        fresh,
    ) = roles
    _new_offer(rng, host, KIND_FCFS, TIMING_CURRENT, BUDGET_OK, rng.uniform(0.3, 0.6))
    host.hosts_bad_rows = True
    _current_offer(rng, expired_coupons, KIND_FCFS)
    expired_coupons.coupon = _coupon(rng, active=False, vouchers=5, redemptions=3)
    _current_offer(rng, expired_plan, KIND_FCFS)
    expired_plan.subscriptions = ("expired",)
    _current_offer(rng, inactive_plan, KIND_FCFS)
    inactive_plan.subscriptions = ("inactive",)
    _current_offer(rng, manual, KIND_FCFS)
    manual.manual_enrollment_offer_id = -1  # numbered with the other offers
    _current_offer(rng, no_consent, KIND_FCFS)
    no_consent.consent_enabled = False
    # Fixed sizes for the rarer benefit kinds, so they always have redemptions to show.
    offer = _current_offer(rng, absolute, KIND_ABSOLUTE)
    offer.value_cents, offer.redemptions = 10_000, 40  # $100 off: learners pay the rest
    offer = _current_offer(rng, per_user, KIND_PER_USER)
    offer.redemptions = 40
    _current_offer(rng, fresh, KIND_FCFS, TIMING_FRESH)

    two_offer_count = spec.offers - SHOWCASE_OFFERS - count
    two_offers = set(rng.sample(range(len(rest)), two_offer_count))
    for i, ent in enumerate(rest):
        if i in two_offers:
            pattern = rng.choices(
                ("ended+current", "current+future", "current+current", "ended+ended"),
                weights=(0.65, 0.15, 0.12, 0.08),
            )[0]
        else:
            pattern = rng.choices(("current", "ended", "fresh"), weights=(0.94, 0.04, 0.02))[0]
        for part in pattern.split("+"):
            if part == "current":
                _current_offer(rng, ent)
            elif part == "fresh":
                _current_offer(rng, ent, timing=TIMING_FRESH)
            elif part == "ended":
                _current_offer(rng, ent, timing=TIMING_ENDED)
            else:
                _new_offer(rng, ent, KIND_FCFS, TIMING_FUTURE, BUDGET_OK, 0.0)
        # Other subsidies and flags, in the proportions seen across real customers.
        roll = rng.random()
        if roll < 0.02:
            ent.subscriptions = (rng.choice(("active", "expired", "inactive", "future")),)
        elif roll < 0.035:
            active = rng.random() < 0.5
            ent.coupon = _coupon(rng, active=active, vouchers=rng.randint(3, 20), redemptions=2)
        ent.lcm_screen = rng.random() >= 0.08
        ent.consent_enabled = rng.random() >= 0.04
        ent.decline_rate = rng.uniform(0.0, 0.05)
    return ents


def _assign_redemptions(
    rng: random.Random,
    spec: ScaleSpec,
    enterprises: list[EnterprisePlan],
    ordinary: list[EnterprisePlan],
) -> None:
    globex = next(e for e in enterprises if str(e.uuid) == SHOWCASE_LARGE_ENTERPRISE)
    whales = [globex, *ordinary[: len(spec.large_shares) - 1]]
    for ent, share in zip(whales, spec.large_shares, strict=True):
        ent.offers[0].redemptions = round(spec.redemptions * share)
    fixed = sum(ent.redemptions for ent in enterprises)
    remaining = spec.redemptions - fixed
    candidates = [
        offer
        for ent in ordinary[len(whales) - 1 :]
        for offer in ent.offers
        if offer.timing in (TIMING_CURRENT, TIMING_ENDED) and offer.redemptions == 0
    ]
    # Heavy-tailed sizes: most enterprises redeem a little, a few a lot; capped (water-filling)
    # so no ordinary offer outgrows the designated large enterprises.
    weights = [rng.paretovariate(1.16) for _ in candidates]
    cap = 0.45 * spec.redemptions * min(spec.large_shares)  # two offers stay below it
    exact = _water_fill(weights, remaining, cap)
    counts = [math.floor(x) for x in exact]
    short = remaining - sum(counts)
    by_fraction = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_fraction[:short]:
        counts[i] += 1
    for offer, n in zip(candidates, counts, strict=True):
        offer.redemptions = n
    for ent in enterprises:
        for offer in ent.offers:
            # ~1 % of orders still Pending (showcases have theirs fixed above).
            if (ent.showcase is None or ent is globex) and offer.redemptions:
                offer.pending = int(offer.redemptions * 0.01 + rng.random())
            if ent.showcase is None and offer.redemptions >= 200 and rng.random() < 0.3:
                offer.forced = {rng.randrange(offer.redemptions): FORCE_PARTIAL_REFUND}


def _water_fill(weights: list[float], total: float, cap: float) -> list[float]:
    """Split ``total`` in proportion to ``weights`` with no share above ``cap`` (the excess goes
    to the others, in proportion)."""
    shares = [0.0] * len(weights)
    open_ = set(range(len(weights)))
    left = total
    while open_:
        weight = sum(weights[i] for i in open_)
        over = {i for i in open_ if left * weights[i] / weight > cap}
        if not over:
            for i in open_:
                shares[i] = left * weights[i] / weight
            break
        for i in over:
            shares[i] = cap
        left -= cap * len(over)
        open_ -= over
    return shares
