"""The demo's orders: per enterprise, its offers' redemptions, coupon and manual orders, bad rows,
then the noise (promotions that are not learner credit), streamed one order at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from typing import Any

from lcm_etl.demo import plan as p
from lcm_etl.demo.catalog import (
    COMPLETE,
    DENIED,
    MULTI_LINE_RATE,
    NOISE_PROMOTION_NAME,
    OPEN,
    PARTNER_ID,
    PENDING,
    REFUND_STATUSES,
    RETIRED_SEAT_TITLE,
    BadRow,
    BuilderBase,
    CourseRun,
    Voucher,
    coupon_offer_name,
    manual_offer_name,
    user_identity,
)


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


class OrderBuilder(BuilderBase):
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
        self._course_enrollments_for(ent, taken)
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

    def _course_enrollments_for(
        self, ent: p.EnterprisePlan, taken: dict[tuple[int, int], dt.datetime]
    ) -> None:
        """The LMS side of each (learner, course run) enrolled: one enterprise course enrollment,
        recorded when the learner first enrolled. One in 40 is missing (the LMS never recorded
        it), so those redemptions show their fallback id. A hash decides, not the random stream,
        so the rest of the source stays what it was."""
        first_link = self.first_link_ids[ent.index]
        for (user, course_index), first_enrolled in sorted(taken.items()):
            if p.mix64(self.seed * 104_729 + (ent.user_first_id + user) * 977 + course_index) % 40:
                created = self.ts(first_enrolled + dt.timedelta(seconds=5))
                # id, created, modified, course_id, enterprise_customer_user_id
                self._course_enrollments.append(
                    (
                        next(self._next_course_enrollment),
                        created,
                        created,
                        self.courses[course_index].run_key,
                        first_link + user,
                    )
                )

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
