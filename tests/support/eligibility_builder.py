"""Hand-made LMS and license-manager sources, and enterprise coupons in an ecommerce source, for
the eligibility and consent tests.

Rows are written with the project's Core definitions of the real tables
(``lcm_etl.ingest.sources``), with values shaped like the services write them: 32-hex UUIDs, naive
UTC datetimes, every NOT NULL column given (the real DDL has no defaults). The same builder fills
SQLite or the real MariaDB DDL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine, delete, insert, update
from sqlalchemy.engine import URL

from lcm_etl.ingest.sources import ecommerce as ec
from lcm_etl.ingest.sources import license_manager as lm
from lcm_etl.ingest.sources import lms

from support.sourcebuilder import SourceBuilder

UTC = dt.UTC


def naive(moment: dt.datetime) -> dt.datetime:
    """A naive UTC datetime, as Django stores it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


class EligibilitySource:
    """Writes LMS and license-manager rows into ``url`` (creating the tables unless ``create`` is
    False, e.g. after loading the real DDL) and enterprise coupons through ``ecommerce``."""

    def __init__(
        self, url: str | URL, ecommerce: SourceBuilder | None = None, *, create: bool = True
    ) -> None:
        self.engine: Engine = create_engine(url)
        if create:
            lms.metadata.create_all(self.engine)
            lm.metadata.create_all(self.engine)
        self.ecommerce = ecommerce
        self._ids = itertools.count(1)
        self.moment = naive(dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def _insert(self, table: Any, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(table).values(**values))

    def _tick(self) -> dt.datetime:
        """Strictly increasing modification times (a change is always newer than the mark)."""
        self.moment += dt.timedelta(seconds=1)
        return self.moment

    # ---- LMS --------------------------------------------------------------------------------

    def customer(
        self,
        enterprise: uuid.UUID | str,
        name: str,
        *,
        lcm_screen: bool = True,
        consent: bool = True,
        enforce: str = lms.CONSENT_AT_ENROLLMENT,
        active: bool = True,
    ) -> None:
        key = enterprise.hex if isinstance(enterprise, uuid.UUID) else enterprise
        values: dict[str, Any] = dict(lms.ENTERPRISE_CUSTOMER_DEFAULTS)
        values.update(
            created=self.moment,
            modified=self._tick(),
            uuid=key,
            name=name,
            slug=f"slug-{next(self._ids)}",
            active=active,
            enable_portal_learner_credit_management_screen=lcm_screen,
            enable_data_sharing_consent=consent,
            enforce_data_sharing_consent=enforce,
            customer_type_id=1,
            site_id=1,
        )
        self._insert(lms.enterprise_customer, **values)

    def set_customer(self, enterprise: uuid.UUID, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(lms.enterprise_customer)
                .where(lms.enterprise_customer.c.uuid == enterprise.hex)
                .values(modified=self._tick(), **values)
            )

    def learner(self, enterprise: uuid.UUID, user_id: int) -> None:
        self._insert(
            lms.enterprise_customer_user,
            id=next(self._ids),
            created=self.moment,
            modified=self._tick(),
            user_id=user_id,
            active=True,
            linked=True,
            enterprise_customer_id=enterprise.hex,
            invite_key_id=None,
            should_inactivate_other_customers=True,
            is_relinkable=True,
            user_fk=None,
        )

    def consent(
        self, enterprise: uuid.UUID | str, username: str, course_id: str, granted: bool | None
    ) -> int:
        key = enterprise.hex if isinstance(enterprise, uuid.UUID) else enterprise
        consent_id = next(self._ids)
        self._insert(
            lms.data_sharing_consent,
            id=consent_id,
            created=self.moment,
            modified=self._tick(),
            username=username,
            granted=granted,
            course_id=course_id,
            enterprise_customer_id=key,
        )
        return consent_id

    def set_consent(self, consent_id: int, granted: bool | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(lms.data_sharing_consent)
                .where(lms.data_sharing_consent.c.id == consent_id)
                .values(granted=granted, modified=self._tick())
            )

    # ---- license-manager --------------------------------------------------------------------

    def agreement(self, enterprise: uuid.UUID | str, name: str | None = None) -> str:
        key = enterprise.hex if isinstance(enterprise, uuid.UUID) else enterprise
        agreement = uuid.UUID(int=next(self._ids) + (1 << 100)).hex
        self._insert(
            lm.customer_agreement,
            created=self.moment,
            modified=self._tick(),
            uuid=agreement,
            enterprise_customer_uuid=key,
            enterprise_customer_slug=None,
            default_enterprise_catalog_uuid=None,
            disable_expiration_notifications=False,
            license_duration_before_purge=lm.DEFAULT_LICENSE_DURATION_BEFORE_PURGE,
            enterprise_customer_name=name,
            disable_onboarding_notifications=False,
            has_custom_license_expiration_messaging=False,
            enable_auto_applied_subscriptions_with_universal_link=False,
            enable_auto_scaling_of_current_plan=False,
        )
        return agreement

    def plan(
        self,
        agreement: str,
        start: dt.datetime,
        end: dt.datetime,
        *,
        active: bool = True,
        internal: bool = False,
    ) -> str:
        plan = uuid.UUID(int=next(self._ids) + (2 << 100)).hex
        self._insert(
            lm.subscription_plan,
            created=self.moment,
            modified=self._tick(),
            uuid=plan,
            start_date=naive(start),
            expiration_date=naive(end),
            enterprise_catalog_uuid=uuid.UUID(int=7).hex,
            is_active=active,
            title=f"plan {plan[-6:]}",
            salesforce_opportunity_id=None,
            for_internal_use_only=internal,
            num_revocations_applied=0,
            revoke_max_percentage=5,
            customer_agreement_id=agreement,
            expiration_processed=False,
            is_revocation_cap_enabled=False,
            can_freeze_unused_licenses=False,
            last_freeze_timestamp=None,
            should_auto_apply_licenses=None,
            product_id=None,
            salesforce_opportunity_line_item=None,
            desired_num_licenses=None,
        )
        return plan

    def delete_plan(self, plan: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(lm.subscription_plan).where(lm.subscription_plan.c.uuid == plan))

    # ---- ecommerce coupons ------------------------------------------------------------------

    def coupon(
        self,
        enterprise: uuid.UUID | str | None,
        codes: Sequence[tuple[dt.datetime, dt.datetime]],
        *,
        usage: str = "Multi-use",
        num_orders: int = 0,
        status: str = "Open",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> tuple[int, list[int]]:
        """An enterprise coupon (a Voucher offer with the assignable enterprise condition) with
        one voucher per (start, end) in ``codes``; returns (offer id, voucher ids)."""
        assert self.ecommerce is not None, "coupons need the ecommerce builder"
        b = self.ecommerce
        offer_id = b.offer(
            enterprise,
            name="Coupon",
            offer_type="Voucher",
            proxy_class=ec.ASSIGNABLE_ENTERPRISE_CONDITION,
            start=naive(start).isoformat(sep=" ") if start else None,
            end=naive(end).isoformat(sep=" ") if end else None,
            status=status,
            max_discount=None,
        )
        vouchers = []
        with b.engine.begin() as conn:
            for code_start, code_end in codes:
                voucher_id = next(self._ids) + 900_000
                conn.execute(
                    insert(ec.voucher).values(
                        id=voucher_id,
                        name=f"code {voucher_id}",
                        code=f"CODE{voucher_id}",
                        usage=usage,
                        start_datetime=naive(code_start),
                        end_datetime=naive(code_end),
                        num_basket_additions=num_orders,
                        num_orders=num_orders,
                        total_discount=Decimal("0.00"),
                        date_created=self.moment,
                        voucher_set_id=None,
                        is_public=False,
                    )
                )
                conn.execute(
                    insert(ec.voucher_offers).values(
                        id=voucher_id, voucher_id=voucher_id, conditionaloffer_id=offer_id
                    )
                )
                vouchers.append(voucher_id)
        return offer_id, vouchers

    def delete_voucher(self, voucher_id: int) -> None:
        assert self.ecommerce is not None
        with self.ecommerce.engine.begin() as conn:
            conn.execute(delete(ec.voucher_offers).where(ec.voucher_offers.c.id == voucher_id))
            conn.execute(delete(ec.voucher).where(ec.voucher.c.id == voucher_id))


# ------------------------------------------------------------------------------------------------
# The golden eligibility source: one enterprise per rule and per combination
# ------------------------------------------------------------------------------------------------

DAY = dt.timedelta(days=1)


def enterprise(n: int) -> uuid.UUID:
    return uuid.UUID(f"e1191b1e-0000-4000-8000-{n:012x}")


ELIGIBLE = enterprise(1)  # all clear; only expired/inactive/internal plans, dead coupon codes
SCREEN_OFF = enterprise(2)
NO_CURRENT = enterprise(3)  # an ended offer and a future one
LMS_ONLY = enterprise(4)  # an LMS customer without any offer
TWO_CURRENT = enterprise(5)
HALF_PRICE = enterprise(6)  # 50 % Percentage: the learner pays the rest
PER_USER = enterprise(7)  # a per-user cap
SUBSCRIBED = enterprise(8)
COUPONS = enterprise(9)
EVERYTHING = enterprise(10)  # flag off, two current offers, a plan, coupon codes
NOT_FCFS_SUBSCRIBED = enterprise(11)
FUTURE_PLAN = enterprise(12)  # a plan starting in two days: eligible now, not then
ENDING_PLAN = enterprise(13)  # a plan ending tomorrow: blocks now, not the day after
ENDING_OFFER = enterprise(14)  # the only offer ends tomorrow

#: enterprise -> (lcm_screen_enabled, offer_count, current_offer_count, current_fcfs_offer_count,
#: active_subscription_plan_count, active_coupon_code_count, reasons), as of the pass.
EXPECTED: dict[uuid.UUID, tuple[Any, ...]] = {
    ELIGIBLE: (True, 1, 1, 1, 0, 0, []),
    SCREEN_OFF: (False, 1, 1, 1, 0, 0, ["lcm_screen_disabled"]),
    NO_CURRENT: (True, 2, 0, 0, 0, 0, ["no_current_offer"]),
    LMS_ONLY: (True, 0, 0, 0, 0, 0, ["no_current_offer"]),
    TWO_CURRENT: (True, 2, 2, 2, 0, 0, ["multiple_current_offers"]),
    HALF_PRICE: (True, 1, 1, 0, 0, 0, ["offer_not_fcfs_org_wide"]),
    PER_USER: (True, 1, 1, 0, 0, 0, ["offer_not_fcfs_org_wide"]),
    SUBSCRIBED: (True, 1, 1, 1, 1, 0, ["has_subscription_plan"]),
    COUPONS: (True, 1, 1, 1, 0, 3, ["has_coupon_codes"]),
    EVERYTHING: (
        False,
        2,
        2,
        1,
        1,
        1,
        [
            "lcm_screen_disabled",
            "multiple_current_offers",
            "has_subscription_plan",
            "has_coupon_codes",
        ],
    ),
    NOT_FCFS_SUBSCRIBED: (
        True,
        1,
        1,
        0,
        1,
        0,
        ["offer_not_fcfs_org_wide", "has_subscription_plan"],
    ),
    FUTURE_PLAN: (True, 1, 1, 1, 0, 0, []),
    ENDING_PLAN: (True, 1, 1, 1, 1, 0, ["has_subscription_plan"]),
    ENDING_OFFER: (True, 1, 1, 1, 0, 0, []),
}

#: (source, source_table, reason) of the deliberate bad rows every source can hold.
EXPECTED_REJECTIONS = {
    ("lms", "enterprise_enterprisecustomer", "invalid_enterprise_uuid"),
    ("license_manager", "subscriptions_subscriptionplan", "plan_expiration_before_start"),
    ("ecommerce", "offer_conditionaloffer", "coupon_missing_enterprise_uuid"),
    ("ecommerce", "offer_conditionaloffer", "coupon_invalid_enterprise_uuid"),
    ("ecommerce", "voucher_voucher_offers", "voucher_end_before_start"),
}
#: Bad rows only a source without foreign keys (SQLite) can hold.
EXPECTED_LOOSE_REJECTIONS = {
    ("license_manager", "subscriptions_subscriptionplan", "plan_agreement_missing"),
    ("lms", "consent_datasharingconsent", "invalid_enterprise_uuid"),
}


def build_golden(
    url: str | URL, now: dt.datetime, *, create: bool = True, native_uuid: bool = False
) -> tuple[SourceBuilder, EligibilitySource, dict[str, Any]]:
    """The golden source at ``now`` (real time: the pass evaluates "current" when it runs);
    returns the builders and the ids a test may change. ``native_uuid``: the customer table's
    uuid is MariaDB's native type, which cannot hold the customer whose UUID is not one."""
    b = SourceBuilder(url, create=create)
    e = EligibilitySource(url, b, create=create)
    loose = b.engine.dialect.name == "sqlite"

    def at(moment: dt.datetime) -> str:
        return naive(moment).isoformat(sep=" ")

    def offer(owner: uuid.UUID, name: str, **terms: Any) -> int:
        terms.setdefault("start", at(now - 30 * DAY))
        terms.setdefault("end", at(now + 300 * DAY))
        return b.offer(owner, name=name, **terms)

    current = (now - 5 * DAY, now + 60 * DAY)
    ids: dict[str, Any] = {}

    for owner, name, screen in (
        (ELIGIBLE, "Eligible", True),
        (SCREEN_OFF, "Screen Off", False),
        (NO_CURRENT, "No Current", True),
        (LMS_ONLY, "Lms Only", True),
        (TWO_CURRENT, "Two Current", True),
        (HALF_PRICE, "Half Price", True),
        (PER_USER, "Per User", True),
        (SUBSCRIBED, "Subscribed", True),
        (COUPONS, "Coupons", True),
        (EVERYTHING, "Everything", False),
        (NOT_FCFS_SUBSCRIBED, "Not Fcfs Subscribed", True),
        (FUTURE_PLAN, "Future Plan", True),
        (ENDING_PLAN, "Ending Plan", True),
        (ENDING_OFFER, "Ending Offer", True),
    ):
        e.customer(owner, name, lcm_screen=screen)
        if owner not in (
            NO_CURRENT,
            LMS_ONLY,
            HALF_PRICE,
            PER_USER,
            NOT_FCFS_SUBSCRIBED,
            ENDING_OFFER,
        ):
            offer(owner, name)

    # ELIGIBLE: plans and coupons that do not count.
    agreement = e.agreement(ELIGIBLE, "Eligible")
    e.plan(agreement, now - 400 * DAY, now - 30 * DAY)  # expired
    e.plan(agreement, now - 10 * DAY, now + 300 * DAY, active=False)  # switched off
    e.plan(agreement, now - 10 * DAY, now + 300 * DAY, internal=True)  # internal/test plan
    e.plan(agreement, now + 10 * DAY, now - 10 * DAY)  # bad: expires before it starts
    e.coupon(ELIGIBLE, [(now - 90 * DAY, now - 10 * DAY)] * 2)  # expired codes
    e.coupon(ELIGIBLE, [current], usage="Single use", num_orders=1)  # used single-use code
    e.coupon(ELIGIBLE, [current], status="Suspended")  # a suspended coupon
    e.coupon(ELIGIBLE, [current], end=now - DAY)  # the coupon offer itself has ended

    offer(NO_CURRENT, "No Current", start=at(now - 400 * DAY), end=at(now - DAY))
    offer(NO_CURRENT, "No Current", start=at(now + 10 * DAY), end=at(now + 400 * DAY))
    offer(TWO_CURRENT, "Two Current")
    offer(HALF_PRICE, "Half Price", value=Decimal("50"))
    offer(PER_USER, "Per User", max_user_applications=2)

    subscribed = e.agreement(SUBSCRIBED)
    e.plan(subscribed, now - 10 * DAY, now + 355 * DAY)
    e.plan(subscribed, now - 400 * DAY, now - 20 * DAY)
    ids["subscribed_agreement"] = subscribed

    coupon_offer, codes = e.coupon(COUPONS, [current] * 3)
    ids["coupon_codes"] = codes
    with b.engine.begin() as conn:  # a voucher that ends before it starts
        conn.execute(
            insert(ec.voucher).values(
                id=990_001,
                name="bad code",
                code="BADCODE",
                usage="Multi-use",
                start_datetime=naive(now + DAY),
                end_datetime=naive(now - DAY),
                num_basket_additions=0,
                num_orders=0,
                total_discount=Decimal("0.00"),
                date_created=naive(now),
                voucher_set_id=None,
                is_public=False,
            )
        )
        conn.execute(
            insert(ec.voucher_offers).values(
                id=990_001, voucher_id=990_001, conditionaloffer_id=coupon_offer
            )
        )

    offer(EVERYTHING, "Everything", value=Decimal("50"))
    e.plan(e.agreement(EVERYTHING), now - DAY, now + DAY * 90)
    e.coupon(EVERYTHING, [current])

    offer(NOT_FCFS_SUBSCRIBED, "Not Fcfs Subscribed", max_user_discount=Decimal("100.00"))
    e.plan(e.agreement(NOT_FCFS_SUBSCRIBED), now - DAY, now + DAY * 90)

    ids["future_plan_start"] = now + 2 * DAY
    e.plan(e.agreement(FUTURE_PLAN), now + 2 * DAY, now + 400 * DAY)
    ids["ending_plan_end"] = now + DAY
    e.plan(e.agreement(ENDING_PLAN), now - 100 * DAY, now + DAY)
    ids["ending_offer_end"] = now + DAY
    ids["ending_offer"] = offer(ENDING_OFFER, "Ending Offer", end=at(now + DAY))

    # Bad rows.
    if not native_uuid:
        e.customer("not-a-uuid", "Broken")
    b.offer(None, name="Coupon Without Owner", offer_type="Voucher",
            proxy_class=ec.ASSIGNABLE_ENTERPRISE_CONDITION)  # fmt: skip
    b.offer("bogus", name="Coupon With Bad Owner", offer_type="Voucher")
    if loose:
        e.plan(uuid.UUID(int=12345).hex, now - DAY, now + DAY)  # no such agreement
        e.consent("nonsense", "someone", "edX+DemoX", True)
    return b, e, ids
