"""Streams the rows of a demo source from its plan into a sink.

Memory stays bounded at any scale: orders, lines, discounts and refunds are generated one order at
a time into the sink's batch buffers; the only per-enterprise state is the set of (learner,
course) pairs it enrolled (for data-sharing consent), dropped once the enterprise is done.
Money is integer cents until the codec turns it into what the driver wants.

Rows are tuples in ``table.columns`` order. Small tables are built with ``_row`` (keyword values,
checked against the table's columns); the millions of order/line/discount/user rows are written
as literal tuples for speed, one commented layout per table.
"""

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
from lcm_etl.ingest.sources import ecommerce, license_manager, lms

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


@dataclasses.dataclass
class _Order:
    """What the refund logic needs to know about an order just written."""

    id: int
    user_id: int
    placed: dt.datetime
    discount_cents: int
    line_ids: list[int]
    line_discounts: list[int]
    line_paid: list[int]


def _row(table: Table, **values: Any) -> Row:
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


class Builder:
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
        self._orders = sink.buffer(ecommerce.order)
        self._lines = sink.buffer(ecommerce.line)
        self._discounts = sink.buffer(ecommerce.order_discount)
        self._refunds = sink.buffer(ecommerce.refund)
        self._refund_lines = sink.buffer(ecommerce.refund_line)
        self._consents = sink.buffer(lms.data_sharing_consent)
        self._orders_since_check = 0

    # --- catalog ---------------------------------------------------------------------------------
    def write_catalog(self) -> None:
        rng = random.Random(f"lcm-demo:{self.seed}:catalog")
        ts = self.ts
        created = ts(dt.datetime(2024, 9, 2, 8, 0))
        self.sink.write(
            ecommerce.partner,
            [
                _row(ecommerce.partner, id=PARTNER_ID, code="edx", name="edX", short_code="EDX",
                     default_site_id=None)
            ],
        )  # fmt: skip
        classes = ("Seat", "Coupon", "Enrollment Code", "Course Entitlement")
        self.sink.write(
            ecommerce.product_class,
            (
                _row(ecommerce.product_class, id=i, name=name, slug=p.slugify(name, 128),
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
                _row(ecommerce.course, id=run.run_key, name=run.title, thumbnail_url=None,
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
                _row(ecommerce.stockrecord, id=sid, partner_sku=sku, price_currency="USD",
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
        return _row(
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
            rows.append(_row(lms.enterprise_customer, **values))
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
                    # id, created, modified, user_id, active, linked (~1 % unlinked since),
                    # enterprise_customer_id, invite_key_id, should_inactivate_other_customers,
                    # is_relinkable, user_fk
                    links.append((next(link_id), joined, joined, lms_id, True, h % 100 != 3,
                                  ent.hex, None, True, True, lms_id))
                # fmt: on
                if len(eco) >= 20_000:
                    self.sink.flush()

    # --- orders ----------------------------------------------------------------------------------
    def write_orders(self) -> None:
        self._prepare_vouchers()
        for ent in self.plan.enterprises:
            self._enterprise_orders(ent)
        self._noise_orders()
        self.sink.flush()

    def _prepare_vouchers(self) -> None:
        rng = random.Random(f"lcm-demo:{self.seed}:vouchers")
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        next_id = itertools.count(1)
        codes: set[str] = set()
        for ent in self.plan.enterprises:
            if ent.coupon is None:
                continue
            vouchers = []
            for k in range(ent.coupon.vouchers):
                code = ""
                while not code or code in codes:
                    code = "".join(rng.choice(alphabet) for _ in range(16))
                codes.add(code)
                name = f"{ent.name[:60]} coupon {ent.coupon.coupon_number}-{k + 1}"
                vouchers.append(Voucher(id=next(next_id), code=code, name=name))
            self.vouchers[ent.index] = vouchers

    def _pick_course(self, rng: random.Random) -> CourseRun:
        return self.courses[self._popular[rng.getrandbits(12)]]

    def _enterprise_orders(self, ent: p.EnterprisePlan) -> None:
        rng = random.Random(f"lcm-demo:{self.seed}:enterprise:{ent.index}")
        # (learner offset, course index) -> first enrollment time: drives the consent rows.
        taken: dict[tuple[int, int], dt.datetime] = {}
        for offer in ent.offers:
            self._offer_orders(rng, ent, offer, taken)
            self.on_redemptions(offer.redemptions)
        if ent.coupon is not None:
            self._coupon_orders(rng, ent, taken)
        if ent.manual_enrollment_offer_id is not None:
            self._manual_orders(rng, ent, taken)
        if ent.hosts_bad_rows:
            self._bad_orders(rng, ent, taken)
        if ent.requests_consent and taken:
            self._consents_for(rng, ent, taken)
        self.sink.maybe_flush()

    @staticmethod
    def _window(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, float]:
        """Orders fall between an offer's start and its end, and never after ANCHOR."""
        low = start or p.CURRENT_START_FIRST
        high = min(end or p.ANCHOR, p.ANCHOR)
        return low, max((high - low).total_seconds(), 1.0)

    @staticmethod
    def _at(low: dt.datetime, span: float, fraction: float) -> dt.datetime:
        return low + dt.timedelta(microseconds=round(span * fraction * 1e6))

    def _offer_orders(
        self,
        rng: random.Random,
        ent: p.EnterprisePlan,
        offer: p.OfferPlan,
        taken: dict[tuple[int, int], dt.datetime],
    ) -> None:
        n = offer.redemptions + offer.pending
        if n == 0:
            return
        low, span = self._window(offer.start, offer.end)
        times = sorted(rng.random() for _ in range(n))  # ids follow dates within an offer
        free = [i for i in range(n) if i not in offer.forced]
        pending = set(rng.sample(free, min(offer.pending, len(free))))
        usage: dict[int, list[int]] | None = {} if offer.kind == p.KIND_PER_USER else None
        for i, fraction in enumerate(times):
            placed = self._at(low, span, fraction)
            forced = offer.forced.get(i)
            if forced in (p.FORCE_PARTIAL_REFUND, p.FORCE_MULTI_LINE):
                line_count = 2
            else:
                roll = rng.random()
                line_count = (
                    1 if roll < MULTI_LINE_RATE[0] else 2 if roll < MULTI_LINE_RATE[1] else 3
                )
            if usage is not None:
                user, runs = self._pick_within_limits(rng, ent, offer, usage)
            else:
                user, runs = self._pick_learner(rng, ent, line_count, taken)
            for run in runs:
                taken.setdefault((user, run.index), placed)
            complete = i not in pending
            order = self._write_order(
                ent.user_first_id + user, placed, runs, offer.id, offer.name, offer.benefit,
                offer.value_cents, complete,
            )  # fmt: skip
            if not complete:
                continue
            offer.gross_cents += order.discount_cents
            offer.complete_orders += 1
            if usage is not None:
                usage[user][0] += 1
                usage[user][1] += order.discount_cents
            self._maybe_refund(rng, offer, order, forced)
            self._orders_since_check += 1
            if self._orders_since_check >= 256:
                self._orders_since_check = 0
                self.sink.maybe_flush()

    def _pick_learner(
        self,
        rng: random.Random,
        ent: p.EnterprisePlan,
        line_count: int,
        taken: dict[tuple[int, int], dt.datetime],
    ) -> tuple[int, list[CourseRun]]:
        user = rng.randrange(ent.user_count)
        runs: list[CourseRun] = []
        chosen: set[int] = set()
        for _ in range(line_count):
            run = self._pick_course(rng)
            for _retry in range(6):  # learners rarely buy the same course run twice
                if (user, run.index) not in taken and run.index not in chosen:
                    break
                run = self._pick_course(rng)
            if run.index not in chosen:
                chosen.add(run.index)
                runs.append(run)
        return user, runs

    def _pick_within_limits(
        self,
        rng: random.Random,
        ent: p.EnterprisePlan,
        offer: p.OfferPlan,
        usage: dict[int, list[int]],
    ) -> tuple[int, list[CourseRun]]:
        """A learner and one course within the offer's per-user limits (ecommerce enforces them
        at checkout)."""
        cap = offer.max_user_discount_cents
        run = self._pick_course(rng)
        for _retry in range(50):
            if cap is None or run.price_cents <= cap:
                break
            run = self._pick_course(rng)
        else:
            run = min(self.courses, key=lambda r: (r.price_cents, r.index))
        start = rng.randrange(ent.user_count)
        for step in range(ent.user_count):
            user = (start + step) % ent.user_count
            used = usage.setdefault(user, [0, 0])
            if offer.max_user_applications is not None and used[0] >= offer.max_user_applications:
                continue
            if cap is not None and used[1] + run.price_cents > cap:
                continue
            return user, [run]
        raise AssertionError(f"offer of {ent.name}: no learner left within the per-user limits")

    def _write_order(
        self,
        user_id: int,
        placed: dt.datetime,
        runs: list[CourseRun],
        offer_id: int,
        offer_name: str,
        benefit: str,
        value_cents: int,
        complete: bool,
        *,
        voucher: Voucher | None = None,
        amount_override: int | None = None,
        null_amount: bool = False,
        product_override: tuple[int | None, int | None, str] | None = None,
        discounted: bool = True,
    ) -> _Order:
        """One order with its lines and its discount, priced like ecommerce's enterprise benefits:
        Percentage = value % of the basket, rounded to cents; Absolute = min(value, basket).
        The discount is split over the lines in proportion to their list prices."""
        money = self.money
        prices = [run.price_cents for run in runs]
        total = sum(prices)
        if benefit == p.PERCENTAGE:
            discount = (total * value_cents + 5_000) // 10_000
        else:
            discount = min(value_cents, total)
        line_discounts = []
        left = discount
        for k, price in enumerate(prices):
            share = left if k == len(prices) - 1 else discount * price // total
            line_discounts.append(share)
            left -= share
        order_id = next(self._next_order)
        basket_id = order_id + order_id // 3 + 11  # abandoned baskets leave gaps
        paid = money(total - discount)
        zero = money(0)
        # fmt: off
        # id, number, currency, total_incl_tax, total_excl_tax, shipping_incl_tax,
        # shipping_excl_tax, shipping_method, shipping_code, status, guest_email, date_placed,
        # basket_id, billing_address_id, shipping_address_id, site_id, user_id, partner_id
        self._orders.append((order_id, f"EDX-{basket_id + 100_000}", "USD", paid, paid, zero, zero,
                             "No shipping required", "no-shipping-required",
                             COMPLETE if complete else PENDING, "", self.ts(placed), basket_id,
                             None, None, None, user_id, PARTNER_ID))
        # fmt: on
        line_ids, line_paid = [], []
        line_status = COMPLETE if complete else OPEN
        for run, price, share in zip(runs, prices, line_discounts, strict=True):
            line_id = next(self._next_line)
            line_ids.append(line_id)
            line_paid.append(price - share)
            product_id: int | None = run.product_id
            stockrecord_id: int | None = run.stockrecord_id
            sku, title = run.sku, run.seat_title
            if product_override is not None:
                product_id, stockrecord_id, sku = product_override
                title = RETIRED_SEAT_TITLE
            after, before = money(price - share), money(price)
            # fmt: off
            # id, partner_name, partner_sku, partner_line_reference, partner_line_notes, title,
            # upc, quantity, line_price_incl_tax, line_price_excl_tax,
            # line_price_before_discounts_incl_tax, line_price_before_discounts_excl_tax,
            # unit_price_incl_tax, unit_price_excl_tax, status, order_id, partner_id, product_id,
            # stockrecord_id, effective_contract_discount_percentage,
            # effective_contract_discounted_price
            self._lines.append((line_id, "edX", sku, "", "", title, None, 1, after, after, before,
                                before, before, before, line_status, order_id, PARTNER_ID,
                                product_id, stockrecord_id, None, None))
            # fmt: on
        if not discounted:
            return _Order(order_id, user_id, placed, 0, line_ids, line_discounts, line_paid)
        amount = None if null_amount else money(amount_override or discount)
        # fmt: off
        # id, category, offer_id, offer_name, voucher_id, voucher_code, frequency, amount,
        # message, order_id
        self._discounts.append((next(self._next_discount), "Basket", offer_id, offer_name,
                                voucher.id if voucher else None, voucher.code if voucher else "",
                                1, amount, "", order_id))
        # fmt: on
        return _Order(order_id, user_id, placed, discount, line_ids, line_discounts, line_paid)

    def _maybe_refund(
        self, rng: random.Random, offer: p.OfferPlan, order: _Order, forced: str | None
    ) -> None:
        forced_refunds = {
            p.FORCE_FULL_REFUND: (False, COMPLETE),
            p.FORCE_PARTIAL_REFUND: (True, COMPLETE),
            p.FORCE_OPEN_REFUND: (False, OPEN),
            p.FORCE_DENIED_REFUND: (False, DENIED),
        }
        if forced in forced_refunds:
            partial, status = forced_refunds[forced]
        elif rng.random() < self.plan.spec.refund_rate:
            partial = len(order.line_ids) > 1 and rng.random() < 0.5
            status = rng.choices(
                [s for s, _ in REFUND_STATUSES], weights=[w for _, w in REFUND_STATUSES]
            )[0]
        else:
            return
        lines = len(order.line_ids)
        refunded = [rng.randrange(lines)] if partial else list(range(lines))
        self._write_refund(rng, order, refunded, status)
        key = (status, "partial" if partial else "full")
        self.refund_counts[key] = self.refund_counts.get(key, 0) + 1
        if status == COMPLETE:
            offer.refunded_net_cents += sum(order.line_discounts[k] for k in refunded)
            if not partial:
                # ecommerce credits the offer back for full-order refunds only.
                offer.full_refunded_cents += order.discount_cents
                offer.full_refunds += 1

    def _write_refund(
        self, rng: random.Random, order: _Order, refunded: list[int], status: str
    ) -> None:
        money, ts = self.money, self.ts
        room = (p.ANCHOR - order.placed).total_seconds()
        delay = min(rng.uniform(3_600, 14 * 86_400), room / 2)  # the 14-day refund window
        created = order.placed + dt.timedelta(seconds=round(delay, 6))
        modified = min(created + dt.timedelta(seconds=rng.randint(30, 900)), p.ANCHOR)
        created_ts, modified_ts = ts(created), ts(modified)
        refund_id = next(self._next_refund)
        credit = money(sum(order.line_paid[k] for k in refunded))
        # fmt: off
        # id, created, modified, total_credit_excl_tax, currency, status, order_id, user_id
        self._refunds.append((refund_id, created_ts, modified_ts, credit, "USD", status, order.id,
                              order.user_id))
        for k in refunded:
            # id, created, modified, line_credit_excl_tax, quantity, status, order_line_id,
            # refund_id
            self._refund_lines.append((next(self._next_refund_line), created_ts, modified_ts,
                                       money(order.line_paid[k]), 1, status, order.line_ids[k],
                                       refund_id))
        # fmt: on

    def _coupon_orders(
        self, rng: random.Random, ent: p.EnterprisePlan, taken: dict[tuple[int, int], dt.datetime]
    ) -> None:
        coupon = ent.coupon
        assert coupon is not None
        low, span = self._window(coupon.start, coupon.end)
        vouchers = self.vouchers[ent.index]
        for voucher in vouchers[: coupon.redemptions]:  # single-use codes: one order each
            placed = self._at(low, span, rng.random())
            user, runs = self._pick_learner(rng, ent, 1, taken)
            taken.setdefault((user, runs[0].index), placed)
            order = self._write_order(
                ent.user_first_id + user, placed, runs, coupon.offer_id,
                coupon_offer_name(coupon), p.PERCENTAGE, 10_000, True, voucher=voucher,
            )  # fmt: skip
            voucher.num_orders += 1
            voucher.total_discount_cents += order.discount_cents

    def _manual_orders(
        self, rng: random.Random, ent: p.EnterprisePlan, taken: dict[tuple[int, int], dt.datetime]
    ) -> None:
        """Orders an admin placed by hand (manual enrollment): not learner credit."""
        offer_id = ent.manual_enrollment_offer_id
        assert offer_id is not None
        counters = self.manual_counters.setdefault(offer_id, [0, 0])
        low, span = self._window(dt.datetime(2025, 3, 3), None)
        for _ in range(4):
            user, runs = self._pick_learner(rng, ent, 1, taken)
            order = self._write_order(
                ent.user_first_id + user, self._at(low, span, rng.random()), runs, offer_id,
                manual_offer_name(ent), p.PERCENTAGE, 10_000, True,
            )  # fmt: skip
            counters[0] += 1
            counters[1] += order.discount_cents

    def _bad_orders(
        self, rng: random.Random, ent: p.EnterprisePlan, taken: dict[tuple[int, int], dt.datetime]
    ) -> None:
        """One order per bad-row class, on the host's current offer; the rest stays clean."""
        offer = ent.offers[0]
        low, span = self._window(offer.start, offer.end)

        def order(**kwargs: Any) -> _Order:
            user, runs = self._pick_learner(rng, ent, 1, taken)
            return self._write_order(
                ent.user_first_id + user, self._at(low, span, rng.random()), runs,
                kwargs.pop("offer_id", offer.id), kwargs.pop("offer_name", offer.name),
                offer.benefit, offer.value_cents, True, **kwargs,
            )  # fmt: skip

        def counted(o: _Order) -> None:  # real orders: ecommerce counted them in its counters
            offer.gross_cents += o.discount_cents
            offer.complete_orders += 1

        if self.allow_null_amount:
            o = order(null_amount=True)
            self._bad("discount_null_amount", "order_orderdiscount", o, "amount IS NULL")
        o = order(amount_override=-2_500)
        self._bad("discount_negative_amount", "order_orderdiscount", o, "amount = -25.00")
        deleted = self.plan.deleted_offer_id
        o = order(offer_id=deleted, offer_name=p.offer_name(ent.name, p.random_uuid(rng).hex))
        self._bad(
            "discount_unknown_offer", "order_orderdiscount", o,
            f"offer_id {deleted} matches no offer (deleted)",
        )  # fmt: skip
        o = order(product_override=(None, None, ""))
        counted(o)
        self._bad("line_without_product", "order_line", o, "product_id IS NULL")
        o = order(
            product_override=(self.bad_product_id, self.bad_stockrecord_id, self.bad_product_sku)
        )
        counted(o)
        self._bad(
            "line_course_missing", "order_line", o,
            f"its product {self.bad_product_id} has course_id NULL",
        )  # fmt: skip
        o = order()
        counted(o)
        duplicate_id = next(self._next_discount)
        # fmt: off
        self._discounts.append((duplicate_id, "Basket", offer.id, offer.name, None, "", 1,
                                self.money(o.discount_cents + 1_000), "", o.id))
        # fmt: on
        self.bad_rows.append(
            BadRow(
                "discount_conflicting_duplicate",
                "order_orderdiscount",
                f"id={duplicate_id} (order {o.id})",
                f"second discount for (order {o.id}, offer {offer.id}), amount + 10.00",
                o.id,
            )
        )  # fmt: skip

    def _bad(self, kind: str, table: str, order: _Order, note: str) -> None:
        key = f"order {order.id}" + (f", line {order.line_ids[0]}" if table == "order_line" else "")
        self.bad_rows.append(BadRow(kind, table, key, note, order.id))

    def _consents_for(
        self, rng: random.Random, ent: p.EnterprisePlan, taken: dict[tuple[int, int], dt.datetime]
    ) -> None:
        """One consent record per (learner, course run) enrolled; declined for a few learners."""
        ts = self.ts
        learners = sorted({user for user, _ in taken})
        declined = set(rng.sample(learners, round(len(learners) * ent.decline_rate)))
        for (user, course_index), first_enrolled in sorted(taken.items()):
            granted: bool | None = user not in declined
            if granted and rng.random() < ent.null_consent_rate:
                granted = None  # asked, not answered yet
            created = ts(first_enrolled - dt.timedelta(seconds=rng.randint(30, 600)))
            username = user_identity(self.seed, ent.user_first_id + user)[2]
            # fmt: off
            # id, created, modified, username, granted, course_id, enterprise_customer_id
            self._consents.append((next(self._next_consent), created, created, username, granted,
                                   self.courses[course_index].run_key, ent.hex))
            # fmt: on

    def _noise_orders(self) -> None:
        """Orders an ETL must ignore: a plain (non-enterprise) promotion and full-price orders."""
        rng = random.Random(f"lcm-demo:{self.seed}:noise")
        plan = self.plan
        low, span = self._window(dt.datetime(2025, 11, 24), dt.datetime(2025, 12, 2))
        for _ in range(plan.noise_orders):
            order = self._write_order(
                plan.b2c_first_user_id + rng.randrange(plan.b2c_user_count),
                self._at(low, span, rng.random()), [self._pick_course(rng)], plan.noise_offer_id,
                NOISE_PROMOTION_NAME, p.PERCENTAGE, 2_000, True,
            )  # fmt: skip
            self.noise_counters[0] += 1
            self.noise_counters[1] += order.discount_cents
        low, span = self._window(dt.datetime(2025, 1, 6), None)
        for _ in range(plan.full_price_orders):
            order = self._write_order(
                plan.b2c_first_user_id + rng.randrange(plan.b2c_user_count),
                self._at(low, span, rng.random()), [self._pick_course(rng)], 0, "",
                p.PERCENTAGE, 0, True, discounted=False,
            )  # fmt: skip

    # --- offers, coupons, subscriptions ----------------------------------------------------------
    def write_offers(self) -> None:
        rng = random.Random(f"lcm-demo:{self.seed}:budgets")
        conditions = self.sink.buffer(ecommerce.condition)
        benefits = self.sink.buffer(ecommerce.benefit)
        offers = self.sink.buffer(ecommerce.offer)
        for ent in self.plan.enterprises:
            for offer in ent.offers:
                finalize_budget(rng, offer)
                conditions.append(
                    self._condition(
                        offer.id, ecommerce.ENTERPRISE_CONDITION, ent.hex, ent.name,
                        offer.catalog_hex,
                    )
                )  # fmt: skip
                benefits.append(self._benefit(offer.id, offer.benefit, offer.value_cents))
                offers.append(self._learner_credit_offer(offer))
        self._write_other_offers(rng)
        self._write_vouchers()
        self.sink.flush()

    def _condition(
        self,
        offer_id: int,
        proxy: str | None,
        ent_hex: str | None,
        ent_name: str | None,
        catalog_hex: str | None,
        *,
        oscar_type: str = "",
        value_cents: int | None = None,
    ) -> Row:
        return _row(
            ecommerce.condition, id=offer_id + CONDITION_ID_OFFSET, type=oscar_type,
            value=None if value_cents is None else self.money(value_cents), proxy_class=proxy,
            range_id=None, program_uuid=None, enterprise_customer_catalog_uuid=catalog_hex,
            enterprise_customer_name=ent_name, enterprise_customer_uuid=ent_hex,
        )  # fmt: skip

    def _benefit(
        self, offer_id: int, benefit: str, value_cents: int, *, proxy: str | None = "enterprise"
    ) -> Row:
        """An enterprise benefit (proxy class, ``type`` '') unless ``proxy`` says otherwise;
        ``proxy=None`` is a plain Oscar benefit with ``type`` set."""
        if proxy == "enterprise":
            proxy = (
                ecommerce.PERCENTAGE_BENEFIT
                if benefit == p.PERCENTAGE
                else ecommerce.ABSOLUTE_BENEFIT
            )
        return _row(
            ecommerce.benefit, id=offer_id + BENEFIT_ID_OFFSET,
            type="" if proxy else benefit, value=self.money(value_cents),
            max_affected_items=None, proxy_class=proxy, range_id=None,
        )  # fmt: skip

    def _offer(self, **values: Any) -> Row:
        """An ``offer_conditionaloffer`` row: the enterprise-form defaults, then ``values``."""
        row: dict[str, Any] = {
            "slug": p.slugify(values["name"], 128),
            "description": "",
            "offer_type": "Site",
            "status": "Open",
            "priority": 10,
            "start_datetime": None,
            "end_datetime": None,
            "max_global_applications": None,
            "max_user_applications": None,
            "max_basket_applications": 1,
            "max_discount": None,
            "total_discount": 0,
            "num_applications": 0,
            "num_orders": 0,
            "redirect_url": "",
            "benefit_id": values["id"] + BENEFIT_ID_OFFSET,
            "condition_id": values["id"] + CONDITION_ID_OFFSET,
            "email_domains": None,
            "site_id": None,
            "partner_id": PARTNER_ID,
            "exclusive": True,
            "enterprise_contract_metadata_id": None,
            "sales_force_id": None,
            "max_user_discount": None,
            "emails_for_usage_alert": "",
            "usage_email_frequency": "DAILY",
            "salesforce_opportunity_line_item": None,
        }
        row.update(values)
        for key in ("start_datetime", "end_datetime", "date_created"):
            row[key] = None if row[key] is None else self.ts(row[key])
        for key in ("max_discount", "max_user_discount", "total_discount"):
            row[key] = None if row[key] is None else self.money(row[key])
        return _row(ecommerce.offer, **row)

    def _learner_credit_offer(self, offer: p.OfferPlan) -> Row:
        counter = offer.total_discount_cents
        consumed = offer.max_discount_cents is not None and counter >= offer.max_discount_cents
        return self._offer(
            id=offer.id,
            name=offer.name,
            status="Consumed" if consumed else "Open",
            start_datetime=offer.start,
            end_datetime=offer.end,
            max_user_applications=offer.max_user_applications,
            max_discount=offer.max_discount_cents,
            total_discount=counter,
            num_applications=offer.counted_orders,
            num_orders=offer.counted_orders,
            date_created=offer.date_created,
            sales_force_id=offer.sales_force_id,
            max_user_discount=offer.max_user_discount_cents,
            emails_for_usage_alert=offer.emails_for_usage_alert,
            usage_email_frequency=offer.usage_email_frequency,
        )

    def _add_offer(self, condition: Row, benefit: Row, offer: Row) -> None:
        self.sink.buffer(ecommerce.condition).append(condition)
        self.sink.buffer(ecommerce.benefit).append(benefit)
        self.sink.buffer(ecommerce.offer).append(offer)

    def _write_other_offers(self, rng: random.Random) -> None:
        """The offers that are not learner credit, and the two bad offers."""
        plan = self.plan
        orders, cents = self.noise_counters
        self._add_offer(
            self._condition(plan.noise_offer_id, None, None, None, None, oscar_type="Count",
                            value_cents=100),
            self._benefit(plan.noise_offer_id, "Percentage", 2_000, proxy=None),
            self._offer(
                id=plan.noise_offer_id, name=NOISE_PROMOTION_NAME, priority=0,
                start_datetime=dt.datetime(2025, 11, 24), end_datetime=dt.datetime(2025, 12, 2),
                max_basket_applications=None, total_discount=cents, num_applications=orders,
                num_orders=orders, date_created=dt.datetime(2025, 11, 1, 9, 30), exclusive=False,
            ),
        )  # fmt: skip
        for ent in plan.enterprises:
            if ent.coupon is not None:
                coupon, used = ent.coupon, self.vouchers[ent.index]
                redeemed = sum(v.num_orders for v in used)
                self._add_offer(
                    self._condition(coupon.offer_id, ecommerce.ASSIGNABLE_ENTERPRISE_CONDITION,
                                    ent.hex, ent.name, coupon.catalog_hex),
                    self._benefit(coupon.offer_id, p.PERCENTAGE, 10_000),
                    self._offer(
                        id=coupon.offer_id, name=coupon_offer_name(coupon), offer_type="Voucher",
                        priority=20, max_global_applications=coupon.vouchers,
                        total_discount=sum(v.total_discount_cents for v in used),
                        num_applications=redeemed, num_orders=redeemed,
                        date_created=coupon.date_created,
                    ),
                )  # fmt: skip
            if ent.manual_enrollment_offer_id is not None:
                offer_id = ent.manual_enrollment_offer_id
                orders, cents = self.manual_counters.get(offer_id, [0, 0])
                self._add_offer(
                    self._condition(offer_id, MANUAL_CONDITION, ent.hex, ent.name, None),
                    self._benefit(offer_id, p.PERCENTAGE, 10_000, proxy=MANUAL_BENEFIT),
                    self._offer(
                        id=offer_id, name=manual_offer_name(ent), offer_type="User",
                        priority=100, total_discount=cents, num_applications=orders,
                        num_orders=orders, date_created=dt.datetime(2025, 3, 3, 10, 0),
                    ),
                )  # fmt: skip
            if ent.hosts_bad_rows:
                self._write_bad_offers(rng, ent)

    def _write_bad_offers(self, rng: random.Random, ent: p.EnterprisePlan) -> None:
        plan = self.plan
        catalog = p.random_uuid(rng).hex
        self._add_offer(
            self._condition(plan.null_uuid_offer_id, ecommerce.ENTERPRISE_CONDITION, None,
                            ent.name, catalog),
            self._benefit(plan.null_uuid_offer_id, p.PERCENTAGE, 10_000),
            self._offer(
                id=plan.null_uuid_offer_id, name=p.offer_name(ent.name, catalog),
                start_datetime=dt.datetime(2025, 4, 7), end_datetime=p.CURRENT_ENDS[0],
                max_discount=2_500_000, date_created=dt.datetime(2025, 4, 1, 12, 0),
            ),
        )  # fmt: skip
        self.bad_rows.append(
            BadRow("offer_without_enterprise", "offer_conditionaloffer",
                   f"id={plan.null_uuid_offer_id}",
                   "enterprise condition with enterprise_customer_uuid NULL")
        )  # fmt: skip
        catalog = p.random_uuid(rng).hex
        self._add_offer(
            self._condition(plan.bad_dates_offer_id, ecommerce.ENTERPRISE_CONDITION, ent.hex,
                            ent.name, catalog),
            self._benefit(plan.bad_dates_offer_id, p.PERCENTAGE, 10_000),
            self._offer(
                id=plan.bad_dates_offer_id, name=p.offer_name(ent.name, catalog),
                start_datetime=dt.datetime(2025, 3, 1), end_datetime=dt.datetime(2025, 2, 1),
                max_discount=1_000_000, date_created=dt.datetime(2025, 2, 20, 12, 0),
            ),
        )  # fmt: skip
        self.bad_rows.append(
            BadRow("offer_end_before_start", "offer_conditionaloffer",
                   f"id={plan.bad_dates_offer_id}", "end_datetime 2025-02-01 < start 2025-03-01")
        )  # fmt: skip

    def _write_vouchers(self) -> None:
        ts = self.ts
        for ent in self.plan.enterprises:
            coupon = ent.coupon
            if coupon is None:
                continue
            for voucher in self.vouchers[ent.index]:
                self.sink.buffer(ecommerce.voucher).append(
                    _row(
                        ecommerce.voucher, id=voucher.id, name=voucher.name, code=voucher.code,
                        usage="Single use", start_datetime=ts(coupon.start),
                        end_datetime=ts(coupon.end), num_basket_additions=voucher.num_orders,
                        num_orders=voucher.num_orders,
                        total_discount=self.money(voucher.total_discount_cents),
                        date_created=ts(coupon.date_created), voucher_set_id=None,
                        is_public=False,
                    )
                )  # fmt: skip
                self.sink.buffer(ecommerce.voucher_offers).append(
                    _row(ecommerce.voucher_offers, id=voucher.id, voucher_id=voucher.id,
                         conditionaloffer_id=coupon.offer_id)
                )  # fmt: skip

    def write_subscriptions(self) -> None:
        rng = random.Random(f"lcm-demo:{self.seed}:subscriptions")
        ts = self.ts
        windows = {  # kind -> (start, expiration, is_active)
            "expired": (dt.datetime(2023, 1, 2), dt.datetime(2024, 12, 31, 23, 59, 59), True),
            "active": (dt.datetime(2025, 1, 6), dt.datetime(2035, 12, 31, 23, 59, 59), True),
            "inactive": (dt.datetime(2025, 3, 3), dt.datetime(2035, 12, 31, 23, 59, 59), False),
            "future": (dt.datetime(2036, 1, 7), dt.datetime(2037, 12, 31, 23, 59, 59), True),
        }
        for ent in self.plan.enterprises:
            if not ent.subscriptions:
                continue
            agreement, catalog = p.random_uuid(rng).hex, p.random_uuid(rng).hex
            created = ts(ent.created + dt.timedelta(days=30))
            self.sink.buffer(license_manager.customer_agreement).append(
                _row(
                    license_manager.customer_agreement, created=created, modified=created,
                    uuid=agreement, enterprise_customer_uuid=ent.hex,
                    enterprise_customer_slug=ent.slug, default_enterprise_catalog_uuid=catalog,
                    disable_expiration_notifications=False,
                    license_duration_before_purge=(
                        license_manager.DEFAULT_LICENSE_DURATION_BEFORE_PURGE
                    ),
                    enterprise_customer_name=ent.name, disable_onboarding_notifications=False,
                    has_custom_license_expiration_messaging=False,
                    enable_auto_applied_subscriptions_with_universal_link=False,
                    enable_auto_scaling_of_current_plan=False,
                )
            )  # fmt: skip
            for kind in ent.subscriptions:
                start, end, is_active = windows[kind]
                plan_created = ts(start - dt.timedelta(days=14))
                self.sink.buffer(license_manager.subscription_plan).append(
                    _row(
                        license_manager.subscription_plan, created=plan_created,
                        modified=plan_created, uuid=p.random_uuid(rng).hex, start_date=ts(start),
                        expiration_date=ts(end), enterprise_catalog_uuid=catalog,
                        is_active=is_active, title=f"{ent.name[:100]} {kind} plan {start.year}",
                        salesforce_opportunity_id=None, for_internal_use_only=False,
                        num_revocations_applied=0, revoke_max_percentage=5,
                        customer_agreement_id=agreement, expiration_processed=kind == "expired",
                        is_revocation_cap_enabled=False, can_freeze_unused_licenses=False,
                        last_freeze_timestamp=None, should_auto_apply_licenses=None,
                        product_id=1, salesforce_opportunity_line_item=None,
                        desired_num_licenses=100,
                    )
                )  # fmt: skip
        self.sink.flush()


def _nice(cents: float, direction: str) -> int:
    """A budget a salesperson would sell: whole $500 / $100 / $10 steps by size."""
    step = 50_000 if cents >= 1_000_000 else 10_000 if cents >= 100_000 else 1_000
    units = cents / step
    rounded = {"up": -(-units // 1), "down": units // 1, "near": round(units)}[direction]
    return int(rounded) * step


def finalize_budget(rng: random.Random, offer: p.OfferPlan) -> None:
    """Set ``max_discount`` so the offer lands in its planned balance state."""
    net, counter = offer.net_cents, offer.total_discount_cents
    if offer.budget is None:
        offer.max_discount_cents = None
    elif net <= 0:
        offer.max_discount_cents = rng.choice((1_000_000, 2_500_000, 5_000_000))
    elif offer.budget in (p.BUDGET_OK, p.BUDGET_LOW):
        # Rounding a low budget down keeps it above its target share; and never below
        # ecommerce's own counter: ecommerce enforces max_discount at checkout.
        rounding = "down" if offer.budget == p.BUDGET_LOW else "near"
        maximum = max(_nice(net / offer.target_utilization, rounding), _nice(counter, "up"))
        if offer.budget == p.BUDGET_LOW and maximum - net <= 10_000:
            maximum = _nice(net + 10_001, "up")  # low, not depleted: more than $100 left
        offer.max_discount_cents = maximum
    elif offer.budget == p.BUDGET_DEPLETED:
        offer.max_discount_cents = net + rng.randrange(0, 9_000)  # $0–$90 left
    else:  # overspent: concurrent checkouts raced past the cap (ecommerce checks, then writes)
        offer.max_discount_cents = max(_nice(net, "down") - 10_000, net // 2)
