"""The admin portal's balance clamps and thresholds, applied at request time (pure)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Literal

from lcm_etl.settings import Settings

BalanceState = Literal["ok", "low", "depleted", "uncapped"]


@dataclasses.dataclass(frozen=True)
class Thresholds:
    low_balance_fraction: Decimal = Decimal("0.75")
    """``low`` when the spend is above this fraction of the cap (exactly equal is not low)."""
    no_balance_amount: Decimal = Decimal("100")
    """``depleted`` when the remaining amount is at or below this."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(settings.low_balance_fraction, settings.no_balance_amount)


@dataclasses.dataclass(frozen=True)
class PageSummary:
    """The summary cards of the LCM page for one offer, clamped as the portal clamps them."""

    total_funds: Decimal | None
    redeemed_funds: Decimal
    remaining_funds: Decimal | None
    percent_utilized: Decimal | None
    balance_state: BalanceState


def page_summary(
    *,
    max_discount: Decimal | None,
    amount_of_offer_spent: Decimal,
    remaining_balance: Decimal | None,
    percent_of_offer_spent: Decimal | None,
    thresholds: Thresholds,
) -> PageSummary:
    """``transformOfferSummary`` + ``getProgressBarVariant`` of the admin portal, server-side.

    redeemed = min(net, max); remaining = max(raw remaining, 0); percent = min(raw percent, 1).
    An uncapped offer (no ``max_discount``) has no total, remaining or percent, and no state but
    ``uncapped``. Raw remaining/percent missing on a capped offer are derived from max and net;
    a zero budget has no percentage.
    """
    if max_discount is None:
        return PageSummary(None, amount_of_offer_spent, None, None, "uncapped")
    raw_remaining = (
        remaining_balance if remaining_balance is not None else max_discount - amount_of_offer_spent
    )
    raw_percent = percent_of_offer_spent
    if raw_percent is None and max_discount > 0:
        raw_percent = amount_of_offer_spent / max_discount
    remaining = max(raw_remaining, Decimal(0))
    # A zero budget has no meaningful percentage (the pipeline stores none); it is depleted.
    percent = None if raw_percent is None else min(raw_percent, Decimal(1))
    return PageSummary(
        total_funds=max_discount,
        redeemed_funds=min(amount_of_offer_spent, max_discount),
        remaining_funds=remaining,
        percent_utilized=percent,
        balance_state=balance_state(max_discount, amount_of_offer_spent, thresholds),
    )


def balance_state(
    max_discount: Decimal | None, amount_spent: Decimal, thresholds: Thresholds
) -> BalanceState:
    """An offer's balance state: ``uncapped`` without a cap; ``depleted`` when what remains (cap
    − spent, unclamped) is at or below the dollar threshold; ``low`` when the spend is above the
    fraction of the cap (amounts compared, never a rounded percentage); else ``ok``.

    The SQL statements use its twin, the function ``lcm.balance_state`` (migration 0006); a
    property test holds the two equal.
    """
    if max_discount is None:
        return "uncapped"
    if max_discount - amount_spent <= thresholds.no_balance_amount:
        return "depleted"
    if amount_spent > thresholds.low_balance_fraction * max_discount:
        return "low"
    return "ok"


def alerts_for(state: BalanceState) -> list[dict[str, Any]]:
    """The page's alerts: a dismissible warning when low, a permanent danger when depleted."""
    if state == "low":
        return [{"kind": "low_balance", "dismissible": True}]
    if state == "depleted":
        return [{"kind": "no_balance", "dismissible": False}]
    return []
