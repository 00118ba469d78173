"""Pagination and ordering shared by the list answers (DRF's page-number pagination)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    func,
    select,
)


class InvalidPage(LookupError):
    """The requested page does not exist (DRF answers 404 ``{"detail": "Invalid page."}``)."""


UNPAGED = 2**31 - 1
"""A page size meaning "everything" (the analytics API's ``no_page``)."""


@dataclasses.dataclass(frozen=True)
class PageRequest:
    number: int | Literal["last"]
    size: int


@dataclasses.dataclass(frozen=True)
class Page:
    count: int
    number: int
    size: int
    results: list[dict[str, Any]]

    @property
    def num_pages(self) -> int:
        # Django's Paginator with allow_empty_first_page: an empty list still has page 1.
        return max(1, math.ceil(self.count / self.size))

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def resolve_page(request: PageRequest, count: int) -> int:
    num_pages = max(1, math.ceil(count / request.size))
    number = num_pages if request.number == "last" else request.number
    if number < 1 or number > num_pages:
        raise InvalidPage(number)
    return number


def paged(
    conn: Connection,
    query: Select[Any],
    order_by: Sequence[ColumnElement[Any]],
    request: PageRequest,
    *,
    count_query: Select[Any] | None = None,
    count: int | None = None,
) -> tuple[int, int, Sequence[Any]]:
    """Count, resolve the page, fetch its rows. ``count_query`` may count the same rows more
    cheaply (without joins that only add columns); ``count``, when known, spares the count."""
    if count is None:
        counted = count_query if count_query is not None else query
        count = conn.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    number = resolve_page(request, count)
    rows = conn.execute(
        query.order_by(*order_by).limit(request.size).offset((number - 1) * request.size)
    ).all()
    return count, number, rows


class BadOrdering(ValueError):
    """An ``ordering`` names a field outside the whitelist; the message lists the allowed ones."""

    def __init__(self, unknown: Sequence[str], allowed: Sequence[str]) -> None:
        super().__init__(
            f"Unknown ordering field(s): {', '.join(unknown)}. "
            f"Allowed: {', '.join(allowed)} (prefix with '-' for descending)."
        )
        self.unknown = list(unknown)
        self.allowed = list(allowed)


def order_by_clause(
    ordering: str | None,
    whitelist: Mapping[str, ColumnElement[Any]],
    default: Sequence[ColumnElement[Any]],
    tie_breakers: Sequence[ColumnElement[Any]],
) -> list[ColumnElement[Any]]:
    """DRF's OrderingFilter over a whitelist: a comma list of fields, ``-`` for descending, NULLs
    placed as MySQL places them (:func:`mysql_order`)."""
    fields = [part.strip() for part in (ordering or "").split(",") if part.strip()]
    if not fields:
        return [*default, *tie_breakers]
    unknown = [f for f in fields if f.removeprefix("-") not in whitelist]
    if unknown:
        raise BadOrdering(unknown, sorted(whitelist))
    clauses = [
        mysql_order(whitelist[f.removeprefix("-")], descending=f.startswith("-")) for f in fields
    ]
    return [*clauses, *tie_breakers]


def mysql_order(column: ColumnElement[Any], *, descending: bool) -> ColumnElement[Any]:
    """``column`` in the order the MySQL-backed analytics API gives: NULLs first ascending and
    last descending (PostgreSQL's defaults are the opposite). A NOT NULL column keeps the plain
    form: its NULL placement changes nothing, and the plain form is what its indexes are built
    in (``enrollment_date DESC`` is the enrollments index, the page's default order)."""
    nullable = getattr(column, "nullable", True)
    if descending:
        return column.desc().nulls_last() if nullable else column.desc()
    return column.asc().nulls_first() if nullable else column.asc()


def offer_id_value(value: str | None) -> int | Literal[False] | None:
    """An ``offer_id`` filter value: its integer, ``None`` if absent, ``False`` if it can match
    no ecommerce offer (e.g. a subsidy UUID), which yields an empty result like the source."""
    if value is None or value == "":
        return None
    if re.fullmatch(r"[0-9]{1,18}", value):
        return int(value)
    return False
