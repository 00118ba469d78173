"""The demo builder's shared state and its first tables: the catalog, the enterprises and the
users (see ``builder.py``)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table

from lcm_etl.demo import plan as p
from lcm_etl.demo import vocab
from lcm_etl.demo.writer import Codec, Row, Sink
from lcm_etl.ingest.sources import ecommerce, lms

COMPLETE = "Complete"
PENDING = "Pending"
OPEN = "Open"
DENIED = "Denied"

CONDITION_ID_OFFSET = 100  # offer, condition and benefit ids come from separate sequences
BENEFIT_ID_OFFSET = 300
PARTNER_ID = 1
SEAT_CLASS_ID = 1
MULTI_LINE_RATE = (0.92, 0.98)  # P(1 line), P(<= 2 lines); else 3 lines
REFUND_STATUSES = ((COMPLETE, 0.95), (OPEN, 0.03), (DENIED, 0.02))
NOISE_PROMOTION_NAME = "Holiday promotion: 20% off verified certificates"
MANUAL_CONDITION = "ecommerce.extensions.order.conditions.ManualEnrollmentOrderDiscountCondition"
MANUAL_BENEFIT = "ecommerce.extensions.order.benefits.ManualEnrollmentOrderDiscountBenefit"
RETIRED_SEAT_TITLE = "Seat in Retired Course with verified certificate"


@dataclasses.dataclass(frozen=True)
class CourseRun:
    index: int
    run_key: str
    title: str
    price_cents: int
    parent_product_id: int
    product_id: int
    stockrecord_id: int
    sku: str
    seat_title: str


@dataclasses.dataclass
class Voucher:
    id: int
    code: str
    name: str
    num_orders: int = 0
    total_discount_cents: int = 0


@dataclasses.dataclass(frozen=True)
class BadRow:
    """A deliberately bad source row. ``order_id``: the order it sits in (each has its own)."""

    kind: str
    table: str
    key: str
    note: str
    order_id: int | None = None


def make_row(table: Table, **values: Any) -> Row:
    """A row of ``table`` from keyword values; every column must be given, no other."""
    keys = table.columns.keys()
    if values.keys() != set(keys):
        raise AssertionError(f"{table.name}: columns differ by {set(values) ^ set(keys)}")
    return tuple(values[key] for key in keys)


def user_identity(seed: int, user_id: int) -> tuple[str, str, str]:
    """(first name, last name, username) of a user, the same in ecommerce and the LMS."""
    h = p.mix64(p.mix64(seed) ^ user_id)
    first = vocab.FIRST_NAMES[h % len(vocab.FIRST_NAMES)]
    last = vocab.LAST_NAMES[(h >> 16) % len(vocab.LAST_NAMES)]
    return first, last, f"{first.lower()}_{last.lower()}{user_id}"


def coupon_offer_name(coupon: p.CouponPlan) -> str:
    return f"Coupon [{coupon.coupon_number}]-Percentage-100.00"


def manual_offer_name(ent: p.EnterprisePlan) -> str:
    return f"Manual Course Enrollment Order Offer for enterprise {ent.uuid}"


class BuilderBase:
    """The state every part of the build shares, and the catalog, enterprises and users."""

    def __init__(
        self,
        plan: p.Plan,
        sink: Sink,
        codec: Codec,
        *,
        allow_null_amount: bool,
        on_redemptions: Callable[[int], None] | None = None,
    ) -> None:
        self.plan = plan
        self.seed = plan.seed
        self.sink = sink
        self.money = codec.money
        self.ts = codec.timestamp
        self.allow_null_amount = allow_null_amount
        self.on_redemptions = on_redemptions or (lambda n: None)
        self.bad_rows: list[BadRow] = []
        #: (refund status, "full" | "partial") -> count
        self.refund_counts: dict[tuple[str, str], int] = {}
        self.courses: list[CourseRun] = []
        self._popular: list[int] = []
        self.bad_product_id = self.bad_stockrecord_id = 0
        self.bad_product_sku = "0BADC0D"
        self.vouchers: dict[int, list[Voucher]] = {}
        self.manual_counters: dict[int, list[int]] = {}  # offer id -> [orders, cents]
        self.noise_counters = [0, 0]
        self._next_order = itertools.count(1)
        self._next_line = itertools.count(1)
        self._next_discount = itertools.count(1)
        self._next_refund = itertools.count(1)
        self._next_refund_line = itertools.count(1)
        self._next_consent = itertools.count(1)
        self._next_course_enrollment = itertools.count(1)
        #: enterprise index -> id of its first learner's enterprise_customer_user link (the links
        #: of an enterprise's learners are consecutive, in learner order).
        self.first_link_ids: dict[int, int] = {}
        self._orders = sink.buffer(ecommerce.order)
        self._lines = sink.buffer(ecommerce.line)
        self._discounts = sink.buffer(ecommerce.order_discount)
        self._refunds = sink.buffer(ecommerce.refund)
        self._refund_lines = sink.buffer(ecommerce.refund_line)
        self._consents = sink.buffer(lms.data_sharing_consent)
        self._course_enrollments = sink.buffer(lms.enterprise_course_enrollment)
        self._orders_since_check = 0

    # --- catalog ---------------------------------------------------------------------------------
    def write_catalog(self) -> None:
        rng = random.Random(f"lcm-demo:{self.seed}:catalog")
        ts = self.ts
        created = ts(dt.datetime(2024, 9, 2, 8, 0))
        self.sink.write(
            ecommerce.partner,
            [
                make_row(ecommerce.partner, id=PARTNER_ID, code="edx", name="edX", short_code="EDX",
                     default_site_id=None)
            ],
        )  # fmt: skip
        classes = ("Seat", "Coupon", "Enrollment Code", "Course Entitlement")
        self.sink.write(
            ecommerce.product_class,
            (
                make_row(ecommerce.product_class, id=i, name=name, slug=p.slugify(name, 128),
                     requires_shipping=False, track_stock=False)
                for i, name in enumerate(classes, start=1)
            ),
        )  # fmt: skip
        self.courses = self._course_runs(rng)
        # Popularity: a Zipf-like lookup table, so a few courses take most enrollments.
        order = list(range(len(self.courses)))
        rng.shuffle(order)
        cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(order))))
        self._popular = [
            order[bisect.bisect_left(cumulative, (k + 0.5) / 4096 * cumulative[-1])]
            for k in range(4096)
        ]
        self.sink.write(
            ecommerce.course,
            (
                make_row(ecommerce.course, id=run.run_key, name=run.title, thumbnail_url=None,
                     verification_deadline=ts(dt.datetime(2027, 12, 31)), site_id=None,
                     created=created, modified=created, partner_id=PARTNER_ID)
                for run in self.courses
            ),
        )  # fmt: skip
        # A seat whose course row was deleted: its product keeps course_id NULL (a bad row).
        self.bad_product_id = 2 * len(self.courses) + 1
        self.bad_stockrecord_id = len(self.courses) + 1
        # Seats: a parent product per course run (class Seat) and its child seat (no class);
        # parents first, so a real schema's self-reference is satisfied.
        products = [
            self._product(run.parent_product_id, "parent", f"Seat in {run.title}", None,
                          SEAT_CLASS_ID, run.run_key, created)
            for run in self.courses
        ]  # fmt: skip
        products += [
            self._product(run.product_id, "child", run.seat_title, run.parent_product_id, None,
                          run.run_key, created)
            for run in self.courses
        ]  # fmt: skip
        products.append(
            self._product(self.bad_product_id, "standalone", RETIRED_SEAT_TITLE, None,
                          SEAT_CLASS_ID, None, created)
        )  # fmt: skip
        self.sink.write(ecommerce.product, products)
        stock = [
            (run.stockrecord_id, run.sku, run.product_id, run.price_cents) for run in self.courses
        ]
        stock.append((self.bad_stockrecord_id, self.bad_product_sku, self.bad_product_id, 19_900))
        self.sink.write(
            ecommerce.stockrecord,
            (
                make_row(ecommerce.stockrecord, id=sid, partner_sku=sku, price_currency="USD",
                     num_in_stock=None, num_allocated=None, low_stock_threshold=None,
                     date_created=created, date_updated=created, partner_id=PARTNER_ID,
                     product_id=product_id, price=self.money(price))
                for sid, sku, product_id, price in stock
            ),
        )  # fmt: skip

    def _course_runs(self, rng: random.Random) -> list[CourseRun]:
        prices = [price for price, _ in vocab.LIST_PRICES]
        price_weights = [weight for _, weight in vocab.LIST_PRICES]
        seen: set[tuple[str, str]] = set()
        skus: set[str] = {self.bad_product_sku}
        runs: list[CourseRun] = []
        while len(runs) < self.plan.spec.courses:
            org = rng.choice(vocab.COURSE_ORGS)
            topic, stem = rng.choice(vocab.COURSE_TOPICS)
            prefix, digit = rng.choice(vocab.COURSE_PREFIXES)
            code = f"{stem}{digit}{rng.randint(0, 9)}{rng.randint(0, 9)}"
            if (org, code) in seen:
                continue
            seen.add((org, code))
            title = f"{prefix}{topic}"
            price = rng.choices(prices, weights=price_weights)[0]
            for term in sorted(rng.sample(vocab.COURSE_RUNS, rng.randint(1, 3))):
                if len(runs) == self.plan.spec.courses:
                    break
                sku = f"{rng.getrandbits(28):07X}"
                while sku in skus:
                    sku = f"{rng.getrandbits(28):07X}"
                skus.add(sku)
                i = len(runs)
                runs.append(
                    CourseRun(
                        index=i,
                        run_key=f"course-v1:{org}+{code}+{term}",
                        title=title,
                        price_cents=price,
                        parent_product_id=2 * i + 1,
                        product_id=2 * i + 2,
                        stockrecord_id=i + 1,
                        sku=sku,
                        seat_title=f"Seat in {title} with verified certificate "
                        "(and ID verification)",
                    )
                )
        return runs

    def _product(
        self,
        product_id: int,
        structure: str,
        title: str,
        parent_id: int | None,
        class_id: int | None,
        course_id: str | None,
        created: Any,
    ) -> Row:
        return make_row(
            ecommerce.product, id=product_id, structure=structure, upc=None, title=title,
            slug=p.slugify(title, 255), description="", rating=None, date_created=created,
            date_updated=created, is_discountable=True, parent_id=parent_id,
            product_class_id=class_id, course_id=course_id, expires=None, is_public=True,
            meta_description=None, meta_title=None,
        )  # fmt: skip

    # --- enterprises and users -------------------------------------------------------------------
    def write_enterprises(self) -> None:
        ts = self.ts
        rows = []
        for ent in self.plan.enterprises:
            values: dict[str, Any] = dict(lms.ENTERPRISE_CUSTOMER_DEFAULTS)
            values.update(
                created=ts(ent.created),
                modified=ts(ent.created + dt.timedelta(days=200)),
                uuid=ent.hex,
                name=ent.name,
                slug=ent.slug,
                country=ent.country,
                enable_data_sharing_consent=ent.consent_enabled,
                enforce_data_sharing_consent=ent.consent_enforce,
                enable_portal_code_management_screen=ent.coupon is not None,
                enable_portal_subscription_management_screen=bool(ent.subscriptions),
                contact_email=f"learning-admin@{ent.domain}",
                customer_type_id=1,
                site_id=1,
                default_contract_discount=None,
                default_language=None,
                sender_alias=None,
                reply_to=None,
                auth_org_id=f"org_{ent.hex[:16]}",
                enable_learner_portal_offers=True,
                enable_portal_learner_credit_management_screen=ent.lcm_screen,
            )
            rows.append(make_row(lms.enterprise_customer, **values))
        self.sink.write(lms.enterprise_customer, rows)

    def write_users(self) -> None:
        """ecommerce users, their LMS accounts and enterprise links (B2C shoppers have none)."""
        plan = self.plan
        ranges: list[tuple[int, int, p.EnterprisePlan | None]] = [
            (plan.b2c_first_user_id, plan.b2c_user_count, None),
            *((ent.user_first_id, ent.user_count, ent) for ent in plan.enterprises),
        ]
        ts, seed = self.ts, self.seed
        eco = self.sink.buffer(ecommerce.user)
        auth = self.sink.buffer(lms.auth_user)
        links = self.sink.buffer(lms.enterprise_customer_user)
        link_id = itertools.count(1)
        for first_id, count, ent in ranges:
            domain = ent.domain if ent else "example.org"
            for user_id in range(first_id, first_id + count):
                first, last, username = user_identity(seed, user_id)
                h = p.mix64(seed * 7_919 + user_id)
                joined = ts(p.USERS_JOINED_FIRST + dt.timedelta(seconds=h % (730 * 86_400)))
                email = f"{first.lower()}.{last.lower()}{user_id}@{domain}"
                password = f"!{h:016x}{p.mix64(h):016x}{user_id:08x}"  # unusable (SSO login)
                lms_id = user_id + p.LMS_USER_ID_OFFSET
                # A few ecommerce users were never synced with their LMS account.
                linked_lms_id = None if h % 400 == 7 else lms_id
                # fmt: off
                # id, password, last_login, is_superuser, username, first_name, last_name, email,
                # is_staff, is_active, date_joined, full_name, tracking_context, lms_user_id
                eco.append((user_id, password, joined, False, username, first, last, email,
                            False, True, joined, f"{first} {last}", None, linked_lms_id))
                # id, password, last_login, is_superuser, username, first_name, last_name, email,
                # is_staff, is_active, date_joined
                auth.append((lms_id, password, joined, False, username, first, last, email,
                             False, True, joined))
                if ent is not None:
                    link = next(link_id)
                    self.first_link_ids.setdefault(ent.index, link)
                    # id, created, modified, user_id, active, linked (~1 % unlinked since),
                    # enterprise_customer_id, invite_key_id, should_inactivate_other_customers,
                    # is_relinkable, user_fk
                    links.append((link, joined, joined, lms_id, True, h % 100 != 3,
                                  ent.hex, None, True, True, lms_id))
                # fmt: on
                if len(eco) >= 20_000:
                    self.sink.flush()
