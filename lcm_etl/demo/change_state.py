"""What ``apply_changes`` works with: the offers' running counters, the seats it sells, and the
summary of what it changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from lcm_etl.ingest.sources import ecommerce as e


@dataclasses.dataclass(frozen=True)
class ChangeSummary:
    """What ``apply_changes`` did."""

    seed: int
    window_start: dt.datetime
    window_end: dt.datetime
    new_orders: tuple[int, ...]  # order ids
    completed_orders: tuple[int, ...]  # Pending -> Complete
    full_refunds: tuple[int, ...]  # refund ids
    partial_refunds: tuple[int, ...]
    top_ups: tuple[tuple[int, Decimal, Decimal], ...]  # (offer id, old max, new max)
    offer_ids: tuple[int, ...]  # every learner-credit offer touched
    enterprise_uuids: tuple[str, ...]  # dashed, every enterprise touched

    @property
    def changed(self) -> int:
        return (
            len(self.new_orders)
            + len(self.completed_orders)
            + len(self.full_refunds)
            + len(self.partial_refunds)
            + len(self.top_ups)
        )

    def describe(self) -> str:
        return (
            f"changes {self.window_start:%Y-%m-%d %H:%M}–{self.window_end:%H:%M}: "
            f"{len(self.new_orders)} new orders, {len(self.completed_orders)} pending orders "
            f"completed, {len(self.full_refunds)} full and {len(self.partial_refunds)} partial "
            f"refunds, {len(self.top_ups)} top-ups; {len(self.offer_ids)} offers of "
            f"{len(self.enterprise_uuids)} enterprises touched"
        )


@dataclasses.dataclass
class OfferCounters:
    id: int
    name: str
    enterprise_hex: str
    benefit_proxy: str | None
    value_cents: int
    start: dt.datetime | None
    end: dt.datetime | None
    max_discount_cents: int | None
    total_cents: int
    applications: int
    orders: int
    status: str
    per_user_limited: bool
    touched: bool = False

    def is_current(self, at: dt.datetime) -> bool:
        if self.start and self.end and self.end < self.start:
            return False
        return (self.start is None or self.start <= at) and (self.end is None or at <= self.end)

    def discount_for(self, prices: Sequence[int]) -> int:
        total = sum(prices)
        if self.benefit_proxy == e.ABSOLUTE_BENEFIT:
            return min(self.value_cents, total)
        return (total * self.value_cents + 5_000) // 10_000

    def record(self, cents: int, sign: int) -> None:
        self.total_cents += sign * cents
        self.applications += sign
        self.orders += sign
        self.touched = True


@dataclasses.dataclass(frozen=True)
class Seat:
    product_id: int
    title: str
    stockrecord_id: int
    sku: str
    price_cents: int
    course_id: str


def cents(value: Any) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def usd(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def chunks(values: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    """``values`` in slices of ``size`` (ids per IN list)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
