"""The plan of a demo source: scales, showcase enterprises, and every enterprise/offer/user range.

The plan is small (one object per enterprise and per offer, never per order) and fully determined
by the seed and the scale; ``builder.py`` streams the orders from it. All dates are fixed absolute
dates, so the same seed gives the same bytes on any day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import re
import uuid

from lcm_etl.demo import vocab

# --- fixed timeline ------------------------------------------------------------------------------
#: No order, refund or consent is dated after this instant (it lies in the past).
ANCHOR = dt.datetime(2026, 11, 1)
CURRENT_START_FIRST = dt.datetime(2025, 1, 6)
CURRENT_START_LAST = dt.datetime(2026, 6, 1)
FRESH_START = dt.datetime(2026, 10, 20)  # current offers that have not been used yet
CURRENT_ENDS = (
    dt.datetime(2030, 12, 31, 23, 59, 59),
    dt.datetime(2032, 6, 30, 23, 59, 59),
    dt.datetime(2035, 12, 31, 23, 59, 59),
)
ENDED_START_FIRST = dt.datetime(2023, 1, 9)
ENDED_START_LAST = dt.datetime(2024, 6, 3)
ENDED_END_FIRST = dt.datetime(2024, 12, 31, 23, 59, 59)
ENDED_END_LAST = dt.datetime(2025, 12, 31, 23, 59, 59)
FUTURE_START_FIRST = dt.datetime(2036, 1, 5)
FUTURE_START_LAST = dt.datetime(2036, 6, 1)
FUTURE_END = dt.datetime(2037, 12, 31, 23, 59, 59)
USERS_JOINED_FIRST = dt.datetime(2021, 1, 4)
ENTERPRISES_CREATED_FIRST = dt.datetime(2020, 3, 2)

#: ``ecommerce_user.lms_user_id = ecommerce_user.id + LMS_USER_ID_OFFSET`` (= ``auth_user.id``):
#: the two services number users independently, so an ETL that joins on the wrong id shows it.
LMS_USER_ID_OFFSET = 1000

# --- showcase enterprises ------------------------------------------------------------------------
_SHOWCASE_PREFIX = "a11ce000-0000-4000-8000-0000000000"
SHOWCASE_LOW_BALANCE_ENTERPRISE = _SHOWCASE_PREFIX + "01"
SHOWCASE_DEPLETED_ENTERPRISE = _SHOWCASE_PREFIX + "02"
SHOWCASE_UNCAPPED_ENTERPRISE = _SHOWCASE_PREFIX + "03"
SHOWCASE_HEALTHY_ENTERPRISE = _SHOWCASE_PREFIX + "04"
SHOWCASE_SUBSCRIPTION_ENTERPRISE = _SHOWCASE_PREFIX + "05"
SHOWCASE_COUPON_ENTERPRISE = _SHOWCASE_PREFIX + "06"
SHOWCASE_SCREEN_DISABLED_ENTERPRISE = _SHOWCASE_PREFIX + "07"
SHOWCASE_TWO_OFFERS_ENTERPRISE = _SHOWCASE_PREFIX + "08"
SHOWCASE_NOT_FCFS_ENTERPRISE = _SHOWCASE_PREFIX + "09"
SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE = _SHOWCASE_PREFIX + "0a"
SHOWCASE_LARGE_ENTERPRISE = _SHOWCASE_PREFIX + "0b"


@dataclasses.dataclass(frozen=True)
class Showcase:
    uuid: str
    name: str
    demonstrates: str


SHOWCASES: tuple[Showcase, ...] = (
    Showcase(
        SHOWCASE_LOW_BALANCE_ENTERPRISE,
        "Acme Corp",
        "eligible; one FCFS org-wide offer ~85 % spent net of refunds: low-balance warning; "
        "pending orders, full and partial refunds; ~2.5 % of learners declined data sharing",
    ),
    Showcase(
        SHOWCASE_DEPLETED_ENTERPRISE,
        "Initech",
        "eligible; overspent FCFS offer (raw remaining < 0, status Consumed): no-balance alert",
    ),
    Showcase(
        SHOWCASE_UNCAPPED_ENTERPRISE,
        "Umbrella Corporation",
        "eligible; FCFS offer without max_discount: uncapped, Total Spend only, no alerts",
    ),
    Showcase(
        SHOWCASE_HEALTHY_ENTERPRISE,
        "Hooli",
        "eligible; FCFS offer ~30 % spent: ok; an Open and a Denied refund that do not count; "
        "data-sharing consent externally managed (emails shown)",
    ),
    Showcase(
        SHOWCASE_SUBSCRIPTION_ENTERPRISE,
        "Stark Industries",
        "not eligible: has_subscription_plan (an active current plan, plus an expired one)",
    ),
    Showcase(
        SHOWCASE_COUPON_ENTERPRISE,
        "Wayne Enterprises",
        "not eligible: has_coupon_codes (current enterprise coupon codes, some redeemed)",
    ),
    Showcase(
        SHOWCASE_SCREEN_DISABLED_ENTERPRISE,
        "Cyberdyne Systems",
        "not eligible: lcm_screen_disabled (LMS flag off)",
    ),
    Showcase(
        SHOWCASE_TWO_OFFERS_ENTERPRISE,
        "Soylent Corp",
        "not eligible: multiple_current_offers (two current FCFS offers)",
    ),
    Showcase(
        SHOWCASE_NOT_FCFS_ENTERPRISE,
        "Tyrell Corporation",
        "not eligible: offer_not_fcfs_org_wide (50 % Percentage: learners pay the rest)",
    ),
    Showcase(
        SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE,
        "Massive Dynamic",
        "not eligible: no_current_offer (an ended offer with redemptions and a future offer)",
    ),
    Showcase(
        SHOWCASE_LARGE_ENTERPRISE,
        "Globex Corporation",
        "eligible; the largest enterprise (7.5 % of all redemptions: >= 100,000 at scale L)",
    ),
)

# --- offer vocabulary ----------------------------------------------------------------------------
PERCENTAGE = "Percentage"
ABSOLUTE = "Absolute"

KIND_FCFS = "fcfs"  # 100 % Percentage, no per-user limits: first-come-first-serve org-wide
KIND_UNCAPPED = "uncapped"  # like fcfs, max_discount NULL
KIND_PERCENTAGE = "percentage"  # Percentage < 100: the learner pays the rest
KIND_ABSOLUTE = "absolute"  # a fixed USD amount off each order
KIND_PER_USER = "per_user"  # 100 % with max_user_discount / max_user_applications

TIMING_CURRENT = "current"
TIMING_FRESH = "fresh"  # current, started recently, no redemptions yet
TIMING_ENDED = "ended"
TIMING_FUTURE = "future"

BUDGET_OK = "ok"
BUDGET_LOW = "low"
BUDGET_DEPLETED = "depleted"
BUDGET_OVERSPENT = "overspent"

# Forced events on the n-th order of an offer, so every case exists at every scale and seed.
FORCE_FULL_REFUND = "full_refund"
FORCE_PARTIAL_REFUND = "partial_refund"  # the order gets two lines, one of them refunded
FORCE_OPEN_REFUND = "open_refund"
FORCE_DENIED_REFUND = "denied_refund"
FORCE_MULTI_LINE = "multi_line"


@dataclasses.dataclass(frozen=True)
class ScaleSpec:
    """Sizes of one scale. ``redemptions`` counts Complete order discounts of learner-credit
    offers (extra rows: pending orders, coupon/noise orders and the bad rows)."""

    name: str
    enterprises: int
    offers: int  # learner-credit offers: Site offers with an enterprise condition and uuid
    redemptions: int
    courses: int  # course runs in the catalog
    #: Shares of all redemptions held by the largest enterprises: the first is Globex (showcase),
    #: the others are ordinary enterprises.
    large_shares: tuple[float, ...] = (0.075, 0.06, 0.05)
    refund_rate: float = 0.0212  # any refund; ~95 % of them Complete -> 2 % refunded

    def validate(self) -> None:
        problems = []
        ordinary = self.enterprises - len(SHOWCASES)
        minimum_ordinary = len(self.large_shares) - 1 + _ORDINARY_ROLES
        if ordinary < minimum_ordinary:
            problems.append(
                f"needs at least {len(SHOWCASES) + minimum_ordinary} enterprises ({len(SHOWCASES)} "
                f"showcases + {minimum_ordinary} ordinary), got {self.enterprises}"
            )
        extra = self.offers - _SHOWCASE_OFFERS - max(ordinary, 0)
        if extra < 0:
            problems.append(
                f"needs at least one offer per enterprise: offers >= {_SHOWCASE_OFFERS + ordinary}"
            )
        elif extra > max(ordinary - minimum_ordinary, 0):
            problems.append(
                "at most two offers per ordinary enterprise: offers <= "
                f"{_SHOWCASE_OFFERS + 2 * ordinary - minimum_ordinary}"
            )
        fixed = _SHOWCASE_REDEMPTIONS + 20 * max(ordinary, 0)
        if self.redemptions < 2 * fixed:
            problems.append(f"needs at least {2 * fixed} redemptions, got {self.redemptions}")
        if not 0 < sum(self.large_shares) < 0.5 or any(s <= 0 for s in self.large_shares):
            problems.append("large_shares must be positive and sum to less than 0.5")
        if self.courses < 20:
            problems.append("needs at least 20 course runs")
        if problems:
            raise ValueError(f"scale {self.name}: " + "; ".join(problems))


SCALES: dict[str, ScaleSpec] = {
    "S": ScaleSpec("S", enterprises=50, offers=70, redemptions=5_000, courses=80),
    "M": ScaleSpec("M", enterprises=500, offers=600, redemptions=200_000, courses=400),
    "L": ScaleSpec("L", enterprises=5_000, offers=6_000, redemptions=2_000_000, courses=1_200),
}

# Ordinary enterprises with a fixed role (bad rows host, expired coupons, expired/inactive
# subscription plans, manual-enrollment offer, consent disabled, Absolute and per-user offers).
_ORDINARY_ROLES = 9
_SHOWCASE_OFFERS = 13  # 0008 and 000a have two offers
_SHOWCASE_REDEMPTIONS = 815 + 80  # + the Absolute and per-user role offers


@dataclasses.dataclass
class OfferPlan:
    """One learner-credit offer, plus what generating its orders found (the ecommerce counters)."""

    enterprise_index: int
    kind: str
    timing: str
    benefit: str
    value_cents: int  # 10000 = 100.00 (a percent for Percentage, USD for Absolute)
    start: dt.datetime | None
    end: dt.datetime | None
    catalog_hex: str
    date_created: dt.datetime
    budget: str | None  # None: uncapped
    target_utilization: float
    redemptions: int = 0
    pending: int = 0
    max_user_applications: int | None = None
    max_user_discount_cents: int | None = None
    forced: dict[int, str] = dataclasses.field(default_factory=dict)
    emails_for_usage_alert: str = ""
    usage_email_frequency: str = "DAILY"
    sales_force_id: str | None = None
    id: int = 0
    name: str = ""
    # filled while the orders are generated
    gross_cents: int = 0
    refunded_net_cents: int = 0  # Complete refunds, full and partial (what the ETL reverses)
    full_refunded_cents: int = 0  # Complete full-order refunds (what ecommerce credited back)
    complete_orders: int = 0
    full_refunds: int = 0
    max_discount_cents: int | None = None

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.refunded_net_cents

    @property
    def total_discount_cents(self) -> int:
        """ecommerce's own ``total_discount`` counter: full-order refunds only are credited."""
        return self.gross_cents - self.full_refunded_cents

    @property
    def counted_orders(self) -> int:
        return self.complete_orders - self.full_refunds

    @property
    def is_fcfs(self) -> bool:
        return self.kind in (KIND_FCFS, KIND_UNCAPPED)


@dataclasses.dataclass
class CouponPlan:
    offer_id: int
    coupon_number: int
    active: bool
    vouchers: int
    redemptions: int
    catalog_hex: str
    date_created: dt.datetime
    start: dt.datetime
    end: dt.datetime


@dataclasses.dataclass
class EnterprisePlan:
    index: int
    uuid: uuid.UUID
    name: str
    slug: str
    showcase: Showcase | None
    created: dt.datetime
    country: str
    lcm_screen: bool = True
    consent_enabled: bool = True
    consent_enforce: str = "at_enrollment"
    decline_rate: float = 0.02
    null_consent_rate: float = 0.004
    offers: list[OfferPlan] = dataclasses.field(default_factory=list)
    coupon: CouponPlan | None = None
    subscriptions: tuple[str, ...] = ()  # "active", "expired", "inactive", "future"
    manual_enrollment_offer_id: int | None = None
    hosts_bad_rows: bool = False
    user_first_id: int = 0
    user_count: int = 0

    @property
    def hex(self) -> str:
        return self.uuid.hex

    @property
    def domain(self) -> str:
        return f"{self.slug}.example.com"

    @property
    def requests_consent(self) -> bool:
        return self.consent_enabled and self.consent_enforce != "externally_managed"

    @property
    def redemptions(self) -> int:
        return sum(offer.redemptions for offer in self.offers)


@dataclasses.dataclass
class Plan:
    seed: int
    spec: ScaleSpec
    enterprises: list[EnterprisePlan]
    b2c_first_user_id: int
    b2c_user_count: int
    noise_offer_id: int
    noise_orders: int
    full_price_orders: int
    null_uuid_offer_id: int
    bad_dates_offer_id: int
    deleted_offer_id: int
    next_offer_id: int
    user_count: int

    @property
    def offers(self) -> list[OfferPlan]:
        return [offer for ent in self.enterprises for offer in ent.offers]


# --- helpers -------------------------------------------------------------------------------------
_MASK = (1 << 64) - 1


def mix64(value: int) -> int:
    """splitmix64: a fast, well-spread hash for per-row decisions that must not consume the RNG."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def uniform_datetime(rng: random.Random, first: dt.datetime, last: dt.datetime) -> dt.datetime:
    span = int((last - first).total_seconds())
    return first + dt.timedelta(seconds=rng.randrange(span + 1))


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def slugify(text: str, max_length: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].rstrip("-")


def offer_name(enterprise_name: str, catalog_hex: str) -> str:
    """ecommerce's auto-generated (unique) enterprise offer name."""
    catalog = str(uuid.UUID(hex=catalog_hex))
    return f"Discount of type Site provided by {enterprise_name[:48]} for {catalog}."


# --- building the plan ---------------------------------------------------------------------------
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
    roles = ents[whales : whales + _ORDINARY_ROLES]
    rest = ents[whales + _ORDINARY_ROLES :]
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

    two_offer_count = spec.offers - _SHOWCASE_OFFERS - count
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
