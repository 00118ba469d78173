"""The plan of a demo source: scales, showcase enterprises, and every enterprise/offer/user range.

The plan is small (one object per enterprise and per offer, never per order) and fully determined
by the seed and the scale; ``planning.py`` builds it, ``builder.py`` streams the orders from it.
All dates are fixed absolute dates, so the same seed gives the same bytes on any day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import uuid

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
        minimum_ordinary = len(self.large_shares) - 1 + ORDINARY_ROLES
        if ordinary < minimum_ordinary:
            problems.append(
                f"needs at least {len(SHOWCASES) + minimum_ordinary} enterprises ({len(SHOWCASES)} "
                f"showcases + {minimum_ordinary} ordinary), got {self.enterprises}"
            )
        extra = self.offers - SHOWCASE_OFFERS - max(ordinary, 0)
        if extra < 0:
            problems.append(
                f"needs at least one offer per enterprise: offers >= {SHOWCASE_OFFERS + ordinary}"
            )
        elif extra > max(ordinary - minimum_ordinary, 0):
            problems.append(
                "at most two offers per ordinary enterprise: offers <= "
                f"{SHOWCASE_OFFERS + 2 * ordinary - minimum_ordinary}"
            )
        fixed = SHOWCASE_REDEMPTIONS + 20 * max(ordinary, 0)
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
ORDINARY_ROLES = 9
SHOWCASE_OFFERS = 13  # 0008 and 000a have two offers
SHOWCASE_REDEMPTIONS = 815 + 80  # + the Absolute and per-user role offers


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
