"""A small builder for hand-made ecommerce sources, for golden and rule tests.

Rows are written with the project's Core definitions of the real ecommerce tables, with values
shaped like ecommerce writes them (32-hex enterprise UUIDs, 'Complete' orders, seat products…).
Every method returns the ids it created so a test can refer to them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine, insert, update
from sqlalchemy.engine import URL

from lcm_etl.ingest.sources import ecommerce as ec

UTC = dt.UTC
D = Decimal
DEFAULT_CAP = D("5000.00")
HUNDRED = D("100")
ZERO = D("0.00")


def ts(text: str) -> dt.datetime:
    """A naive UTC datetime, as Django stores it."""
    return dt.datetime.fromisoformat(text)


class SourceBuilder:
    def __init__(self, url: str | URL, *, create: bool = True) -> None:
        self.engine: Engine = create_engine(url)
        if create:
            ec.metadata.create_all(self.engine)
        self._ids = itertools.count(1)
        self._order_ids = itertools.count(1)
        self._offer_ids = itertools.count(500)
        self._courses: dict[str, int] = {}
        self._users: dict[str, int] = {}
        self._order_users: dict[int, int] = {}
        self.now = ts("2026-06-01 12:00:00")
        # The partner every course and order points at (a foreign key in the real schema).
        self._insert(ec.partner, id=1, code="edX", name="edX", short_code="EDX")

    def _id(self) -> int:
        return next(self._ids)

    def _insert(self, table: Any, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(table).values(**values))

    # ---- offers ---------------------------------------------------------------------------

    def offer(
        self,
        enterprise: uuid.UUID | str | None,
        *,
        name: str = "Acme",
        max_discount: Decimal | None = DEFAULT_CAP,
        usage_type: str = "Percentage",
        value: Decimal = HUNDRED,
        start: str | None = "2026-01-01 00:00:00",
        end: str | None = "2030-01-01 00:00:00",
        offer_type: str = "Site",
        proxy_class: str | None = ec.ENTERPRISE_CONDITION,
        max_user_discount: Decimal | None = None,
        max_user_applications: int | None = None,
        total_discount: Decimal = ZERO,
        status: str = "Open",
        emails: str = "",
        offer_id: int | None = None,
    ) -> int:
        offer_id = offer_id or next(self._offer_ids)
        condition_id = self._id()
        benefit_id = self._id()
        if isinstance(enterprise, uuid.UUID):
            enterprise_hex: str | None = enterprise.hex
        else:
            enterprise_hex = enterprise
        self._insert(
            ec.condition,
            id=condition_id,
            type="",
            proxy_class=proxy_class,
            enterprise_customer_uuid=enterprise_hex,
            enterprise_customer_name=name,
            enterprise_customer_catalog_uuid=uuid.UUID(int=condition_id).hex,
        )
        benefit_class = ec.PERCENTAGE_BENEFIT if usage_type == "Percentage" else ec.ABSOLUTE_BENEFIT
        self._insert(ec.benefit, id=benefit_id, type="", value=value, proxy_class=benefit_class)
        self._insert(
            ec.offer,
            id=offer_id,
            name=f"Discount of type Site provided by {name} for {offer_id}.",
            slug=f"offer-{offer_id}",
            description="",
            offer_type=offer_type,
            status=status,
            priority=10,
            start_datetime=ts(start) if start else None,
            end_datetime=ts(end) if end else None,
            max_basket_applications=1,
            max_discount=max_discount,
            total_discount=total_discount,
            num_applications=0,
            num_orders=0,
            redirect_url="",
            date_created=ts("2025-12-01 00:00:00"),
            benefit_id=benefit_id,
            condition_id=condition_id,
            exclusive=True,
            max_user_discount=max_user_discount,
            max_user_applications=max_user_applications,
            emails_for_usage_alert=emails,
            usage_email_frequency="DAILY",
        )
        return offer_id

    def set_offer(self, offer_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(ec.offer).where(ec.offer.c.id == offer_id).values(**values))

    # ---- catalogue and users ----------------------------------------------------------------

    def course(self, run_key: str, title: str | None = None) -> int:
        """A course run and its seat product; returns the product id."""
        if run_key in self._courses:
            return self._courses[run_key]
        self._insert(
            ec.course,
            id=run_key,
            name=title or f"Course {run_key}",
            created=self.now,
            modified=self.now,
            partner_id=1,
        )
        product_id = self._id()
        self._insert(
            ec.product,
            id=product_id,
            structure="child",
            title=f"Seat in {title or run_key}",
            slug=f"seat-{product_id}",
            description="",
            date_created=self.now,
            date_updated=self.now,
            is_discountable=True,
            course_id=run_key,
            is_public=True,
        )
        self._courses[run_key] = product_id
        return product_id

    def bare_product(self, course_id: str | None) -> int:
        product_id = self._id()
        self._insert(
            ec.product,
            id=product_id,
            structure="standalone",
            title="A product",
            slug=f"p-{product_id}",
            description="",
            date_created=self.now,
            date_updated=self.now,
            is_discountable=True,
            course_id=course_id,
            is_public=True,
        )
        return product_id

    def user(self, email: str, *, lms_user_id: int | None = None) -> int:
        if email in self._users:
            return self._users[email]
        user_id = self._id()
        self._insert(
            ec.user,
            id=user_id,
            password="!",
            is_superuser=False,
            username=email.split("@")[0],
            first_name="",
            last_name="",
            email=email,
            is_staff=False,
            is_active=True,
            date_joined=self.now,
            lms_user_id=lms_user_id if lms_user_id is not None else 10_000 + user_id,
        )
        self._users[email] = user_id
        return user_id

    # ---- orders ----------------------------------------------------------------------------

    def order(
        self,
        offer_id: int | None,
        email: str,
        lines: Sequence[tuple[str, Decimal, Decimal]],
        *,
        amount: Decimal | None = None,
        status: str = "Complete",
        placed: str = "2026-03-01 10:00:00",
        null_amount: bool = False,
        extra_discounts: Sequence[tuple[int | None, Decimal | None]] = (),
        order_id: int | None = None,
        discount_id: int | None = None,
    ) -> dict[str, Any]:
        """An order of ``lines`` = [(course run key or '' for no product, list price, paid)].

        The discount amount defaults to Σ(list − paid) (``null_amount``: NULL, a bad row).
        Returns ids: order, lines, discounts.
        """
        order_id = order_id or next(self._order_ids) + 1000
        user_id = self.user(email)
        self._order_users[order_id] = user_id
        line_ids = []
        total_paid = sum((paid for _, _, paid in lines), D(0))
        self._insert(
            ec.order,
            id=order_id,
            number=f"EDX-{100000 + order_id}",
            currency="USD",
            total_incl_tax=total_paid,
            total_excl_tax=total_paid,
            shipping_incl_tax=D(0),
            shipping_excl_tax=D(0),
            shipping_method="",
            shipping_code="",
            status=status,
            guest_email="",
            date_placed=ts(placed),
            user_id=user_id,
            partner_id=1,
        )
        for run_key, price, paid in lines:
            product_id = self.course(run_key) if run_key else None
            line_id = self._id()
            self._insert(
                ec.line,
                id=line_id,
                partner_name="edX",
                partner_sku="SKU",
                partner_line_reference="",
                partner_line_notes="",
                title=f"Seat in {run_key}",
                quantity=1,
                line_price_incl_tax=paid,
                line_price_excl_tax=paid,
                line_price_before_discounts_incl_tax=price,
                line_price_before_discounts_excl_tax=price,
                unit_price_excl_tax=price,
                unit_price_incl_tax=price,
                status="Complete",
                order_id=order_id,
                product_id=product_id,
            )
            line_ids.append(line_id)
        discount_ids = []
        discounts: list[tuple[int | None, Decimal | None]] = []
        if offer_id is not None:
            default = sum((price - paid for _, price, paid in lines), D(0))
            given = default if amount is None else amount
            discounts.append((offer_id, None if null_amount else given))
        discounts.extend(extra_discounts)
        for index, (discount_offer, discount_amount) in enumerate(discounts):
            did = discount_id if (discount_id and index == 0) else self._id()
            self._insert(
                ec.order_discount,
                id=did,
                category="Basket",
                offer_id=discount_offer,
                offer_name="",
                voucher_code="",
                frequency=1,
                amount=discount_amount,
                message="",
                order_id=order_id,
            )
            discount_ids.append(did)
        return {"order_id": order_id, "line_ids": line_ids, "discount_ids": discount_ids}

    def set_order_status(self, order_id: int, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(ec.order).where(ec.order.c.id == order_id).values(status=status))

    def refund(
        self,
        order_id: int,
        line_ids: Sequence[int],
        *,
        status: str = "Complete",
        when: str = "2026-04-01 09:00:00",
    ) -> int:
        refund_id = self._id()
        self._insert(
            ec.refund,
            id=refund_id,
            created=ts(when),
            modified=ts(when),
            total_credit_excl_tax=D(0),
            currency="USD",
            status=status,
            order_id=order_id,
            user_id=self._order_users[order_id],
        )
        for line_id in line_ids:
            self._insert(
                ec.refund_line,
                id=self._id(),
                created=ts(when),
                modified=ts(when),
                line_credit_excl_tax=D(0),
                quantity=1,
                status="Complete" if status == "Complete" else "Open",
                order_line_id=line_id,
                refund_id=refund_id,
            )
        return refund_id
