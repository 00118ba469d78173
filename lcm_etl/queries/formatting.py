"""Rendering values as the contracts render them: money rounded to cents in ``Decimal`` (JSON
numbers, or DRF decimal strings where ecommerce does so), ISO-8601 UTC datetimes with ``Z``
(microseconds only when non-zero, like DRF), ``YYYY-MM-DD`` dates, lowercase dashed UUIDs."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

UTC = dt.UTC
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal | None) -> float | None:
    """A money amount as a JSON number rounded to cents (computed in Decimal, rendered once)."""
    return None if value is None else float(cents(value))


def money_string(value: Decimal | None) -> str | None:
    """A money amount as DRF renders a ``DecimalField(decimal_places=2)``: ``"50000.00"``."""
    return None if value is None else str(cents(value))


def number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def iso_datetime(value: dt.datetime | None) -> str | None:
    """ISO-8601 in UTC with ``Z``; microseconds only when non-zero (DRF's rendering)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def uuid_string(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))
