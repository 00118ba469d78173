"""Who gets the Learner Credit Management page (ADR 0003), as a pure function.

The rule (docs/architecture.md, "Eligibility for the page"): the customer's LCM screen flag is
not disabled, exactly one offer is current, that offer is a first-come-first-serve org-wide offer,
and the customer has no active subscription plan and no active coupon code. Every "no" carries a
reason code, so ``eligible`` is true exactly when ``reasons`` is empty.

Whether an offer is current depends on the clock, so this runs at request time from stored dates;
a stored verdict would serve an offer that ended a minute ago as current.

The non-offer facts come from other systems (LMS, license-manager, ecommerce vouchers) and may be
unknown — e.g. when a source is not configured. An unknown fact never produces a reason: the page
must not disappear because a source we do not read says nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from enum import StrEnum


class Reason(StrEnum):
    """Why an enterprise is not eligible for the LCM page (the API's ``reasons`` codes)."""

    LCM_SCREEN_DISABLED = "lcm_screen_disabled"
    NO_CURRENT_OFFER = "no_current_offer"
    MULTIPLE_CURRENT_OFFERS = "multiple_current_offers"
    OFFER_NOT_FCFS_ORG_WIDE = "offer_not_fcfs_org_wide"
    HAS_SUBSCRIPTION_PLAN = "has_subscription_plan"
    HAS_COUPON_CODES = "has_coupon_codes"


@dataclasses.dataclass(frozen=True)
class OfferWindow:
    """What eligibility needs to know about one offer of the enterprise."""

    offer_id: str
    start: dt.datetime | None
    end: dt.datetime | None
    is_fcfs_org_wide: bool


@dataclasses.dataclass(frozen=True)
class EligibilityFacts:
    """The non-offer facts about one enterprise; ``None`` means unknown (never a reason).

    - ``lcm_screen_enabled``: the LMS flag ``enable_portal_learner_credit_management_screen``.
    - ``active_subscription_plans``: license-manager plans that are active and current.
    - ``active_coupon_codes``: enterprise coupon codes that can still be redeemed.
    """

    lcm_screen_enabled: bool | None = None
    active_subscription_plans: int | None = None
    active_coupon_codes: int | None = None

    @classmethod
    def unknown(cls) -> EligibilityFacts:
        return cls()


@dataclasses.dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: list[str]
    lcm_offer_id: str | None
    """The one current offer when exactly one is current (even if another reason applies)."""


def is_current(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> bool:
    """start ≤ now ≤ end, where a missing bound is open."""
    return (start is None or start <= now) and (end is None or now <= end)


def evaluate(
    offers: Iterable[OfferWindow], facts: EligibilityFacts, now: dt.datetime
) -> Eligibility:
    """Apply the eligibility rule at ``now`` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    current = [offer for offer in offers if is_current(offer.start, offer.end, now)]
    reasons: list[Reason] = []
    if facts.lcm_screen_enabled is False:
        reasons.append(Reason.LCM_SCREEN_DISABLED)
    if not current:
        reasons.append(Reason.NO_CURRENT_OFFER)
    elif len(current) > 1:
        reasons.append(Reason.MULTIPLE_CURRENT_OFFERS)
    elif not current[0].is_fcfs_org_wide:
        reasons.append(Reason.OFFER_NOT_FCFS_ORG_WIDE)
    if facts.active_subscription_plans is not None and facts.active_subscription_plans > 0:
        reasons.append(Reason.HAS_SUBSCRIPTION_PLAN)
    if facts.active_coupon_codes is not None and facts.active_coupon_codes > 0:
        reasons.append(Reason.HAS_COUPON_CODES)
    return Eligibility(
        eligible=not reasons,
        reasons=[reason.value for reason in reasons],
        lcm_offer_id=current[0].offer_id if len(current) == 1 else None,
    )


# ------------------------------------------------------------------------------------------------
# The eligibility facts the pipeline stores (lcm.enterprise_eligibility) as validity windows,
# counted at request time, so a subscription that expired yesterday stops blocking today.
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ValidityWindow:
    """When something (a subscription plan, a group of coupon codes) is active: start ≤ now ≤
    end, a missing bound open; ``count`` things share the window."""

    start: dt.datetime | None
    end: dt.datetime | None
    count: int = 1


def active_at(windows: Iterable[ValidityWindow], now: dt.datetime) -> int:
    """How many things are active at ``now``."""
    return sum(w.count for w in windows if is_current(w.start, w.end, now))


def facts_at(
    now: dt.datetime,
    *,
    lcm_screen_enabled: bool | None,
    subscription_plans: Iterable[ValidityWindow] | None,
    coupon_codes: Iterable[ValidityWindow] | None,
) -> EligibilityFacts:
    """The facts at ``now`` from stored windows; ``None`` windows stay unknown."""
    return EligibilityFacts(
        lcm_screen_enabled=lcm_screen_enabled,
        active_subscription_plans=(
            None if subscription_plans is None else active_at(subscription_plans, now)
        ),
        active_coupon_codes=None if coupon_codes is None else active_at(coupon_codes, now),
    )
