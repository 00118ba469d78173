"""The demo's offers, coupons and subscriptions (written after the orders, whose totals size the
budgets)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from lcm_etl.demo import plan as p
from lcm_etl.demo.catalog import (
    BENEFIT_ID_OFFSET,
    CONDITION_ID_OFFSET,
    MANUAL_BENEFIT,
    MANUAL_CONDITION,
    NOISE_PROMOTION_NAME,
    PARTNER_ID,
    BadRow,
    BuilderBase,
    coupon_offer_name,
    make_row,
    manual_offer_name,
)
from lcm_etl.demo.writer import Row
from lcm_etl.ingest.sources import ecommerce, license_manager


class OfferBuilder(BuilderBase):
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
        return make_row(
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
        return make_row(
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
        return make_row(ecommerce.offer, **row)

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
                    make_row(
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
                    make_row(ecommerce.voucher_offers, id=voucher.id, voucher_id=voucher.id,
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
                make_row(
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
                    make_row(
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
