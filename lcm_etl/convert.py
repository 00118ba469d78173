"""Turning source values into landing values, one column kind at a time.

Sources hand us different Python types for the same column: MariaDB and PostgreSQL drivers return
``datetime``/``Decimal``/``int``; SQLite returns whatever was stored (text dates, floats, even a
string in a numeric column). Each converter accepts every reasonable form and raises
:class:`BadValue` for anything else, so one bad cell rejects its row instead of the pass.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

Converter = Callable[[Any], Any]

UTC = dt.UTC
# The longest text a landing column holds. ecommerce's and the LMS's character columns are at
# most 255 long and nothing the read model shows needs more; a longer value (a planted 10 MB
# course title) is rejected rather than landed, stored and served.
MAX_TEXT_CHARS = 10_000
# Amounts are DECIMAL(12,2) in the sources and the read model.
MAX_DECIMAL = Decimal("1e10")


class BadValue(ValueError):
    """A source value that cannot be read as its column's type."""


def _decoded(value: str | bytes) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode()
    except UnicodeDecodeError:
        raise BadValue(f"not UTF-8 text: {value!r}") from None


def to_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | bytes):
        try:
            return int(_decoded(value).strip())
        except ValueError:
            raise BadValue(f"not an integer: {value!r}") from None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise BadValue(f"not an integer: {value!r}")


def to_decimal(value: Any, *, bounded: bool = True) -> Decimal | None:
    """A finite decimal; with ``bounded``, one that fits DECIMAL(12,2) (below 10^10)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise BadValue(f"not a decimal: {value!r}")
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadValue(f"not a finite decimal: {value!r}")
        # repr() is the shortest string that round-trips: 13.37 stays 13.37, not 13.3699999…
        result = Decimal(repr(value))
    elif isinstance(value, str | bytes):
        try:
            result = Decimal(_decoded(value).strip())
        except InvalidOperation:
            raise BadValue(f"not a decimal: {value!r}") from None
    else:
        raise BadValue(f"not a decimal: {value!r}")
    if not result.is_finite():
        raise BadValue(f"not a finite decimal: {value!r}")
    if bounded and abs(result) >= MAX_DECIMAL:
        raise BadValue(f"decimal out of range for DECIMAL(12,2): {value!r}")
    return result


def to_datetime(value: Any) -> dt.datetime | None:
    """A UTC-aware datetime. Naive values are UTC (Django stores UTC with USE_TZ=True)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str | bytes):
        text = _decoded(value).strip()
        if not text or text.startswith("0000-00-00"):
            raise BadValue(f"not a date-time: {value!r}")
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadValue(f"not a date-time: {value!r}") from None
    else:
        raise BadValue(f"not a date-time: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        text = _decoded(value)
    elif isinstance(value, int | float | Decimal):
        text = str(value)
    else:
        raise BadValue(f"not text: {value!r}")
    if "\x00" in text:
        raise BadValue("text contains a NUL byte")
    if len(text) > MAX_TEXT_CHARS:
        raise BadValue(f"text longer than {MAX_TEXT_CHARS} characters ({len(text)})")
    return text


def to_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str | bytes):
        text = _decoded(value).strip().lower()
        if text in ("1", "true", "t"):
            return True
        if text in ("0", "false", "f"):
            return False
    raise BadValue(f"not a boolean: {value!r}")


def to_uuid_hex(value: Any) -> str | None:
    """A UUID as Django stores it on MySQL: 32 lowercase hex characters, no dashes."""
    text = to_text(value)
    if text is None:
        return None
    compact = text.strip().replace("-", "").lower()
    if len(compact) != 32 or any(c not in "0123456789abcdef" for c in compact):
        raise BadValue(f"not a UUID: {value!r}")
    return compact
