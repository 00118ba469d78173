"""``apply_changes``: an hour of live ecommerce traffic on an existing demo source.

New Complete orders for current learner-credit offers, recent Pending orders completing, full and
partial refunds, and offer top-ups (a raised ``max_discount``), with ecommerce's own counters
updated as ecommerce does. Everything happens in the hour after the newest timestamp already in
the source, so an extractor's source-side watermarks see it as new; ids continue above the
current maxima. Deterministic: the same seed on the same source state makes the same changes.

Reads use primary keys and the indexes of the real schema, so it stays quick at scale L on
MariaDB too (orders are sampled by id rather than scanned per offer).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, inspect, select, update

from lcm_etl.db import make_engine
from lcm_etl.demo.change_state import ChangeSummary, OfferCounters, Seat, cents, chunks, usd
from lcm_etl.ingest.sources import ecommerce as e
from lcm_etl.ingest.sources import lms

COMPLETE = "Complete"
# A Pending order completes within this long of being placed, or not at all. Within the
# pipeline's default LCM_PENDING_ORDER_LOOKBACK_DAYS, so an incremental pass sees every
# completion this makes.
PENDING_COMPLETION_WINDOW = dt.timedelta(days=7)
_SHOWCASE_HEX_PREFIX = "a11ce000000040008000"  # showcase offers are not topped up


def apply_changes(url: str, *, seed: int, fraction: float = 0.005) -> ChangeSummary:
    """Mutate the demo source at ``url`` like an hour of live ecommerce, touching about
    ``fraction`` of its learner-credit redemptions."""
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction}")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return _Changer(conn, seed, fraction).run()
    finally:
        engine.dispose()


class _Changer:
    def __init__(self, conn: Connection, seed: int, fraction: float) -> None:
        self.conn = conn
        self.seed = seed
        self.fraction = fraction
        tables = set(inspect(conn).get_table_names())
        self.has_lms = {lms.enterprise_customer.name, lms.data_sharing_consent.name} <= tables
        self.has_lms_enrollments = {
            lms.enterprise_customer_user.name,
            lms.enterprise_course_enrollment.name,
        } <= tables

    def _tick(self) -> dt.datetime | None:
        if self._next_time >= len(self._times):
            return None
        self._next_time += 1
        when: dt.datetime = self._times[self._next_time - 1]
        return when

    def _max(self, column: Any) -> Any:
        return self.conn.execute(select(func.max(column))).scalar_one()

    def run(self) -> ChangeSummary:
        newest = max(
            value
            for value in (
                self._max(e.order.c.date_placed),
                self._max(e.refund.c.modified),
                self._max(e.refund_line.c.modified),
            )
            if value is not None
        )
        start = newest.replace(microsecond=0) + dt.timedelta(seconds=1)
        max_order_id = self._max(e.order.c.id) or 0
        rng = random.Random(f"lcm-demo:{self.seed}:changes:{max_order_id}:{start.isoformat()}")
        self.offers = self._load_offers()
        base = sum(offer.orders for offer in self.offers.values())
        wanted = max(4, round(self.fraction * base))
        new_count = round(wanted * 0.55)
        flip_count = round(wanted * 0.10)
        refund_count = wanted - new_count - flip_count
        # Event times within the hour, handed out in order (new orders first, then refunds).
        self._times = sorted(
            start + dt.timedelta(microseconds=rng.randrange(3_600 * 1_000_000))
            for _ in range(wanted + 2)
        )
        self._next_time = 0

        sample = self._sample_orders(rng, max_order_id, 8 * wanted + 50)
        new_orders = self._new_orders(rng, sample, new_count)
        completed = self._complete_pending(rng, flip_count, start - PENDING_COMPLETION_WINDOW)
        full, partial = self._refunds(rng, sample, refund_count)
        top_ups = self._top_ups(rng)
        self._save_offers()
        touched = [offer for _, offer in sorted(self.offers.items()) if offer.touched]
        return ChangeSummary(
            seed=self.seed,
            window_start=start,
            window_end=start + dt.timedelta(hours=1),
            new_orders=tuple(new_orders),
            completed_orders=tuple(completed),
            full_refunds=tuple(full),
            partial_refunds=tuple(partial),
            top_ups=tuple(top_ups),
            offer_ids=tuple(offer.id for offer in touched),
            enterprise_uuids=tuple(sorted({_dashed(offer.enterprise_hex) for offer in touched})),
        )

    # --- reading ------------------------------------------------------------------------------
    def _load_offers(self) -> dict[int, OfferCounters]:
        o, c, b = e.offer, e.condition, e.benefit
        rows = self.conn.execute(
            select(
                o.c.id,
                o.c.name,
                c.c.enterprise_customer_uuid,
                b.c.proxy_class,
                b.c.value,
                o.c.start_datetime,
                o.c.end_datetime,
                o.c.max_discount,
                o.c.total_discount,
                o.c.num_applications,
                o.c.num_orders,
                o.c.status,
                o.c.max_user_applications,
                o.c.max_user_discount,
            )
            .join(c, c.c.id == o.c.condition_id)
            .join(b, b.c.id == o.c.benefit_id)
            .where(
                o.c.offer_type == "Site",
                c.c.proxy_class == e.ENTERPRISE_CONDITION,
                c.c.enterprise_customer_uuid.is_not(None),
            )
            .order_by(o.c.id)
        ).all()
        return {
            row.id: OfferCounters(
                id=row.id,
                name=row.name,
                enterprise_hex=row.enterprise_customer_uuid,
                benefit_proxy=row.proxy_class,
                value_cents=cents(row.value or 0),
                start=row.start_datetime,
                end=row.end_datetime,
                max_discount_cents=None if row.max_discount is None else cents(row.max_discount),
                total_cents=cents(row.total_discount),
                applications=row.num_applications,
                orders=row.num_orders,
                status=row.status,
                per_user_limited=row.max_user_applications is not None
                or row.max_user_discount is not None,
            )
            for row in rows
        }

    def _sample_orders(
        self, rng: random.Random, max_order_id: int, size: int
    ) -> list[tuple[int, int, int, int]]:
        """Random Complete learner-credit orders: (order id, user id, offer id, amount cents),
        only clean ones (one discount, positive amount, a known offer)."""
        ids = sorted(rng.sample(range(1, max_order_id + 1), min(size, max_order_id)))
        orders: dict[int, int] = {}
        discounts: dict[int, list[tuple[int | None, Any, Any]]] = {}
        for chunk in chunks(ids):
            for order in self.conn.execute(
                select(e.order.c.id, e.order.c.user_id).where(
                    e.order.c.id.in_(chunk),
                    e.order.c.status == COMPLETE,
                    e.order.c.user_id.is_not(None),
                )
            ):
                orders[order.id] = order.user_id
            for row in self.conn.execute(
                select(
                    e.order_discount.c.order_id,
                    e.order_discount.c.offer_id,
                    e.order_discount.c.amount,
                    e.order_discount.c.voucher_id,
                ).where(e.order_discount.c.order_id.in_(chunk))
            ):
                discounts.setdefault(row.order_id, []).append(
                    (row.offer_id, row.amount, row.voucher_id)
                )
        sample = []
        for order_id in sorted(orders):
            found = discounts.get(order_id, [])
            if len(found) != 1:
                continue
            offer_id, amount, voucher_id = found[0]
            if offer_id in self.offers and voucher_id is None and amount is not None and amount > 0:
                sample.append((order_id, orders[order_id], offer_id, cents(amount)))
        return sample

    def _seats(self) -> list[Seat]:
        p, s = e.product, e.stockrecord
        rows = self.conn.execute(
            select(p.c.id, p.c.title, p.c.course_id, s.c.id.label("sr"), s.c.partner_sku, s.c.price)
            .join(s, s.c.product_id == p.c.id)
            .where(p.c.structure == "child", p.c.course_id.is_not(None), s.c.price.is_not(None))
            .order_by(p.c.id)
        ).all()
        return [Seat(r.id, r.title, r.sr, r.partner_sku, cents(r.price), r.course_id) for r in rows]

    # --- changes ------------------------------------------------------------------------------
    def _new_orders(
        self, rng: random.Random, sample: list[tuple[int, int, int, int]], count: int
    ) -> list[int]:
        seats = self._seats()
        first = self._times[0]
        candidates = [
            (user_id, offer_id)
            for _, user_id, offer_id, _ in sample
            if self.offers[offer_id].is_current(first)
            and not self.offers[offer_id].per_user_limited
        ]
        if not candidates or not seats:
            return []
        next_order = (self._max(e.order.c.id) or 0) + 1
        next_line = (self._max(e.line.c.id) or 0) + 1
        next_discount = (self._max(e.order_discount.c.id) or 0) + 1
        next_basket = (self._max(e.order.c.basket_id) or 0) + 1
        orders, lines, discounts = [], [], []
        # (user id, course id, enterprise hex, time)
        enrollments: list[tuple[int, str, str, dt.datetime]] = []
        created: list[int] = []
        for _ in range(count):
            user_id, offer_id = rng.choice(candidates)
            offer = self.offers[offer_id]
            picked = rng.sample(seats, 2 if rng.random() < 0.06 else 1)
            prices = [seat.price_cents for seat in picked]
            discount = offer.discount_for(prices)
            if offer.max_discount_cents is not None and (
                offer.total_cents + discount > offer.max_discount_cents
            ):
                continue  # ecommerce refuses a checkout past the bookings limit
            placed = self._tick()
            if placed is None:
                break
            paid = sum(prices) - discount
            orders.append(
                {
                    "id": next_order,
                    "number": f"EDX-{next_basket + 100_000}",
                    "currency": "USD",
                    "total_incl_tax": usd(paid),
                    "total_excl_tax": usd(paid),
                    "shipping_incl_tax": usd(0),
                    "shipping_excl_tax": usd(0),
                    "shipping_method": "No shipping required",
                    "shipping_code": "no-shipping-required",
                    "status": COMPLETE,
                    "guest_email": "",
                    "date_placed": placed,
                    "basket_id": next_basket,
                    "billing_address_id": None,
                    "shipping_address_id": None,
                    "site_id": None,
                    "user_id": user_id,
                    "partner_id": 1,
                }
            )
            left = discount
            for k, seat in enumerate(picked):
                share = left if k == len(picked) - 1 else discount * seat.price_cents // sum(prices)
                left -= share
                line_price = usd(seat.price_cents - share)
                list_price = usd(seat.price_cents)
                lines.append(
                    {
                        "id": next_line,
                        "partner_name": "edX",
                        "partner_sku": seat.sku,
                        "partner_line_reference": "",
                        "partner_line_notes": "",
                        "title": seat.title,
                        "upc": None,
                        "quantity": 1,
                        "line_price_incl_tax": line_price,
                        "line_price_excl_tax": line_price,
                        "line_price_before_discounts_incl_tax": list_price,
                        "line_price_before_discounts_excl_tax": list_price,
                        "unit_price_incl_tax": list_price,
                        "unit_price_excl_tax": list_price,
                        "status": COMPLETE,
                        "order_id": next_order,
                        "partner_id": 1,
                        "product_id": seat.product_id,
                        "stockrecord_id": seat.stockrecord_id,
                        "effective_contract_discount_percentage": None,
                        "effective_contract_discounted_price": None,
                    }
                )
                next_line += 1
                enrollments.append((user_id, seat.course_id, offer.enterprise_hex, placed))
            discounts.append(
                {
                    "id": next_discount,
                    "category": "Basket",
                    "offer_id": offer.id,
                    "offer_name": offer.name,
                    "voucher_id": None,
                    "voucher_code": "",
                    "frequency": 1,
                    "amount": usd(discount),
                    "message": "",
                    "order_id": next_order,
                }
            )
            offer.record(discount, +1)
            created.append(next_order)
            next_order += 1
            next_discount += 1
            next_basket += 1 + rng.randrange(3)  # abandoned baskets leave gaps
        for table, rows in ((e.order, orders), (e.line, lines), (e.order_discount, discounts)):
            if rows:
                self.conn.execute(table.insert(), rows)
        if self.has_lms and enrollments:
            self._add_consents(enrollments)
        if self.has_lms_enrollments and enrollments:
            self._add_course_enrollments(enrollments)
        return created

    def _add_course_enrollments(self, enrollments: list[tuple[int, str, str, dt.datetime]]) -> None:
        """New enrollments get their LMS enterprise course enrollment (the learner's link to the
        enterprise, the course run), unless the learner already has one for that run."""
        users = e.user
        lms_ids = {
            row.id: row.lms_user_id
            for row in self.conn.execute(
                select(users.c.id, users.c.lms_user_id).where(
                    users.c.id.in_(sorted({user_id for user_id, _, _, _ in enrollments}))
                )
            )
        }
        ecu = lms.enterprise_customer_user
        links = {
            (row.enterprise_customer_id, row.user_id): row.id
            for row in self.conn.execute(
                select(ecu.c.id, ecu.c.enterprise_customer_id, ecu.c.user_id).where(
                    ecu.c.user_id.in_(sorted({v for v in lms_ids.values() if v is not None}))
                )
            )
        }
        ece = lms.enterprise_course_enrollment
        existing = {
            (row.enterprise_customer_user_id, row.course_id)
            for row in self.conn.execute(
                select(ece.c.enterprise_customer_user_id, ece.c.course_id).where(
                    ece.c.enterprise_customer_user_id.in_(sorted(links.values()))
                )
            )
        }
        next_id = (self._max(ece.c.id) or 0) + 1
        rows = []
        for user_id, course_id, hex_, at in enrollments:
            link = links.get((hex_, lms_ids.get(user_id)))
            if link is None or (link, course_id) in existing:
                continue
            existing.add((link, course_id))
            rows.append(
                {
                    "id": next_id,
                    "created": at,
                    "modified": at,
                    "course_id": course_id,
                    "enterprise_customer_user_id": link,
                }
            )
            next_id += 1
        if rows:
            self.conn.execute(ece.insert(), rows)

    def _add_consents(self, enrollments: list[tuple[int, str, str, dt.datetime]]) -> None:
        """New enrollments in customers that request consent get a granted consent record."""
        customers = {hex_ for _, _, hex_, _ in enrollments}
        requesting = {
            row.uuid
            for row in self.conn.execute(
                select(lms.enterprise_customer.c.uuid).where(
                    lms.enterprise_customer.c.uuid.in_(sorted(customers)),
                    lms.enterprise_customer.c.enable_data_sharing_consent.is_(True),
                    lms.enterprise_customer.c.enforce_data_sharing_consent != "externally_managed",
                )
            )
        }
        user_ids = sorted({user_id for user_id, _, _, _ in enrollments})
        usernames = {
            row.id: row.username
            for row in self.conn.execute(
                select(e.user.c.id, e.user.c.username).where(e.user.c.id.in_(user_ids))
            )
        }
        dsc = lms.data_sharing_consent
        existing = {
            (row.enterprise_customer_id, row.username, row.course_id)
            for row in self.conn.execute(
                select(dsc.c.enterprise_customer_id, dsc.c.username, dsc.c.course_id).where(
                    dsc.c.username.in_(sorted(usernames.values()))
                )
            )
        }
        next_id = (self._max(dsc.c.id) or 0) + 1
        rows = []
        for user_id, course_id, hex_, at in enrollments:
            key = (hex_, usernames[user_id], course_id)
            if hex_ not in requesting or key in existing:
                continue
            existing.add(key)
            rows.append(
                {
                    "id": next_id,
                    "created": at,
                    "modified": at,
                    "username": key[1],
                    "granted": True,
                    "course_id": course_id,
                    "enterprise_customer_id": hex_,
                }
            )
            next_id += 1
        if rows:
            self.conn.execute(dsc.insert(), rows)

    def _complete_pending(
        self, rng: random.Random, count: int, placed_since: dt.datetime
    ) -> list[int]:
        """Complete up to ``count`` of the Pending orders placed since ``placed_since`` (orders
        complete soon after they are placed; older ones stay Pending)."""
        pending = list(
            self.conn.execute(
                select(e.order.c.id)
                .where(e.order.c.status == "Pending", e.order.c.date_placed >= placed_since)
                .order_by(e.order.c.id)
            ).scalars()
        )
        chosen = sorted(rng.sample(pending, min(count, len(pending))))
        if not chosen:
            return []
        rows = self.conn.execute(
            select(e.order_discount.c.offer_id, e.order_discount.c.amount).where(
                e.order_discount.c.order_id.in_(chosen)
            )
        ).all()
        self.conn.execute(update(e.order).where(e.order.c.id.in_(chosen)).values(status=COMPLETE))
        self.conn.execute(
            update(e.line).where(e.line.c.order_id.in_(chosen)).values(status=COMPLETE)
        )
        for row in rows:
            if row.offer_id in self.offers and row.amount is not None:
                self.offers[row.offer_id].record(cents(row.amount), +1)
        return chosen

    def _refunds(
        self, rng: random.Random, sample: list[tuple[int, int, int, int]], count: int
    ) -> tuple[list[int], list[int]]:
        order_ids = [order_id for order_id, *_ in sample]
        refunded: set[int] = set()
        lines: dict[int, list[tuple[int, int, int | None]]] = {}
        for chunk in chunks(order_ids):
            refunded.update(
                self.conn.execute(
                    select(e.refund.c.order_id).where(e.refund.c.order_id.in_(chunk))
                ).scalars()
            )
            for row in self.conn.execute(
                select(
                    e.line.c.order_id,
                    e.line.c.id,
                    e.line.c.line_price_excl_tax,
                    e.line.c.product_id,
                )
                .where(e.line.c.order_id.in_(chunk))
                .order_by(e.line.c.id)
            ):
                lines.setdefault(row.order_id, []).append(
                    (row.id, cents(row.line_price_excl_tax), row.product_id)
                )
        candidates = [
            entry
            for entry in sample
            if entry[0] not in refunded
            and lines.get(entry[0])
            and all(product is not None for *_, product in lines[entry[0]])
        ]
        multi = [entry for entry in candidates if len(lines[entry[0]]) > 1]
        partial_count = min(len(multi), round(count * 0.25))
        partial_orders = rng.sample(multi, partial_count)
        partial_ids = {entry[0] for entry in partial_orders}
        rest = [entry for entry in candidates if entry[0] not in partial_ids]
        full_orders = rng.sample(rest, min(len(rest), count - partial_count))
        next_refund = (self._max(e.refund.c.id) or 0) + 1
        next_refund_line = (self._max(e.refund_line.c.id) or 0) + 1
        refunds, refund_lines = [], []
        full_ids, partial_refund_ids = [], []
        plan = [(entry, False) for entry in full_orders] + [
            (entry, True) for entry in partial_orders
        ]
        plan.sort(key=lambda item: item[0][0])
        for (order_id, user_id, offer_id, amount), partial in plan:
            when = self._tick()
            if when is None:
                break
            order_lines = lines[order_id]
            chosen = [rng.choice(order_lines)] if partial else order_lines
            refunds.append(
                {
                    "id": next_refund,
                    "created": when,
                    "modified": when,
                    "total_credit_excl_tax": usd(sum(paid for _, paid, _ in chosen)),
                    "currency": "USD",
                    "status": COMPLETE,
                    "order_id": order_id,
                    "user_id": user_id,
                }
            )
            for line_id, paid, _ in chosen:
                refund_lines.append(
                    {
                        "id": next_refund_line,
                        "created": when,
                        "modified": when,
                        "line_credit_excl_tax": usd(paid),
                        "quantity": 1,
                        "status": COMPLETE,
                        "order_line_id": line_id,
                        "refund_id": next_refund,
                    }
                )
                next_refund_line += 1
            offer = self.offers[offer_id]
            if partial:
                offer.touched = True  # ecommerce credits nothing back for a partial refund
                partial_refund_ids.append(next_refund)
            else:
                offer.record(amount, -1)
                full_ids.append(next_refund)
            next_refund += 1
        if refunds:
            self.conn.execute(e.refund.insert(), refunds)
            self.conn.execute(e.refund_line.insert(), refund_lines)
        return full_ids, partial_refund_ids

    def _top_ups(self, rng: random.Random) -> list[tuple[int, Decimal, Decimal]]:
        """Two nearly-spent current offers get more budget, as an admin's top-up would."""
        now = self._tick()
        if now is None:
            return []
        capped = [
            offer
            for offer in self.offers.values()
            if offer.max_discount_cents
            and offer.is_current(now)
            and not offer.enterprise_hex.startswith(_SHOWCASE_HEX_PREFIX)
        ]
        capped.sort(key=lambda o: (-o.total_cents / (o.max_discount_cents or 1), o.id))
        chosen = sorted(rng.sample(capped[:6], min(2, len(capped))), key=lambda o: o.id)
        result = []
        for offer in chosen:
            old = offer.max_discount_cents or 0
            raised = max(old // 4, 500_000)
            new = -(-(old + raised) // 50_000) * 50_000
            offer.max_discount_cents = new
            offer.touched = True
            result.append((offer.id, usd(old), usd(new)))
        return result

    def _save_offers(self) -> None:
        for offer in self.offers.values():
            if not offer.touched:
                continue
            consumed = (
                offer.max_discount_cents is not None
                and offer.total_cents >= offer.max_discount_cents
            )
            status = offer.status
            if status != "Suspended":
                status = "Consumed" if consumed else "Open"
            self.conn.execute(
                update(e.offer)
                .where(e.offer.c.id == offer.id)
                .values(
                    max_discount=None
                    if offer.max_discount_cents is None
                    else usd(offer.max_discount_cents),
                    total_discount=usd(offer.total_cents),
                    num_applications=max(offer.applications, 0),
                    num_orders=max(offer.orders, 0),
                    status=status,
                )
            )


def _dashed(hex_: str) -> str:
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"
