"""Depletion forecast for capped offers and budgets (both eras), from the trailing 30-day net
spend rate. Pure; docs/forecast.md explains the method and its limits.

- The window is the 30 UTC days ending with the day of ``as_of`` (the data's time,
  ``data_as_of``, not the request's: the data knows nothing newer), today's partial day included.
- Net spend in the window = spend − refunds of those days; the rate is that over 30 days.
- ``remaining`` is what can still be spent (an offer's remaining balance, a budget's available
  amount); ``None`` means uncapped.
- Status: ``uncapped`` (no cap), ``depleted`` (nothing left), ``no_recent_spend`` (net spend in the
  window ≤ 0), ``after_expiry`` (at that rate the money outlasts the plan's end), else
  ``projected`` with the projected date. Only ``projected`` carries a date.

The analysts' view ``lcm.v_depletion_forecast`` computes the same in SQL; a test holds both to
the same golden answers. ``offer_forecasts_from`` forecasts the page's offers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

WINDOW_DAYS = 30
METHOD = "trailing_30_day_net_spend"

Status = Literal["projected", "after_expiry", "depleted", "no_recent_spend", "uncapped"]


@dataclasses.dataclass(frozen=True)
class Forecast:
    status: Status
    daily_net_spend: Decimal | None
    projected_depletion_date: dt.date | None
    as_of: dt.datetime

    def as_json(self) -> dict[str, Any]:
        rate = self.daily_net_spend
        return {
            "method": METHOD,
            "window_days": WINDOW_DAYS,
            "status": self.status,
            "daily_net_spend": None
            if rate is None
            else float(rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            "projected_depletion_date": (
                None
                if self.projected_depletion_date is None
                else self.projected_depletion_date.isoformat()
            ),
        }


def window_start(as_of: dt.datetime) -> dt.date:
    """The first UTC day of the window ending on ``as_of``'s day."""
    return as_of.astimezone(dt.UTC).date() - dt.timedelta(days=WINDOW_DAYS - 1)


def depletion_forecast(
    *,
    remaining: Decimal | None,
    net_spend_in_window: Decimal,
    as_of: dt.datetime,
    expires: dt.datetime | None,
) -> Forecast:
    """When ``remaining`` runs out at the window's net spend rate (see the module doc)."""
    if remaining is None:
        return Forecast("uncapped", None, None, as_of)
    rate = net_spend_in_window / WINDOW_DAYS if net_spend_in_window > 0 else None
    if remaining <= 0:
        return Forecast("depleted", rate, None, as_of)
    if rate is None:
        return Forecast("no_recent_spend", None, None, as_of)
    days = remaining / rate
    day = (as_of.astimezone(dt.UTC) + dt.timedelta(days=float(days))).date()
    if expires is not None and day > expires.astimezone(dt.UTC).date():
        return Forecast("after_expiry", rate, None, as_of)
    return Forecast("projected", rate, day, as_of)


def offer_forecasts_from(
    rows: Sequence[Any], window_spend: dict[int, Decimal], as_of: dt.datetime | None
) -> dict[int, dict[str, Any]]:
    """The forecast of each offer of the page's rows (``max_discount``, ``remaining_balance``,
    ``end_datetime``; uncapped without a ``max_discount``), with the net spend of the window
    ending on ``as_of``'s day per offer."""
    if as_of is None:
        return {}
    return {
        row.offer_id: depletion_forecast(
            remaining=None if row.max_discount is None else row.remaining_balance,
            net_spend_in_window=Decimal(window_spend.get(row.offer_id) or 0),
            as_of=as_of,
            expires=row.end_datetime,
        ).as_json()
        for row in rows
    }


__all__ = [
    "METHOD",
    "WINDOW_DAYS",
    "Forecast",
    "depletion_forecast",
    "offer_forecasts_from",
    "window_start",
]
