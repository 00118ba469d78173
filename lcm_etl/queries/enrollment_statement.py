"""One page of the enrollments list as **one statement**: the search's terms, the count and the
page's rows, joined inside the database.

Before (migration 0009's first use), a searched page took three statements and a round trip of
the matching values through Python: ``lcm.enrollment_search_terms`` returned every matching
email (2,700 for a common last name in the largest demo enterprise), the API bound them as an
array into the row query, and SQLAlchemy built that statement anew per request. Now the
function's result is a CTE of the statement that reads the rows, so the values never leave
PostgreSQL, and the statement's text depends only on the request's *shape* (which filters are
on, the ordering, a numbered or the last page): it is built once per shape and cached, and each
request only binds its values.

The tenant guarantee is unchanged: the statement runs in the API's tenant transaction (role
``lcm_portal``, row-level security on the enterprise), the function answers for that
transaction's tenant only, and the rows are read from ``lcm.offer_redemption`` under RLS with
the enterprise also filtered explicitly.

How the rows of a search are found — two plans, chosen inside the statement by the terms' counts:

- **seek**: for each matching value, the rows that have it, through the
  ``(enterprise_customer_uuid, user_email)`` (or ``course_title``) index — text equality is
  LEAKPROOF, so it is an index condition under RLS — then the page's top rows by the ordering.
  Its cost follows the number of matches.
- **walk**: the enterprise's rows newest first, through the ``(enterprise, enrollment date, …)``
  index that is the page's default order, keeping those whose value is among the terms (a hash
  of them), until the page is full. Its cost is about (offset + limit) × enterprise rows /
  matching rows: cheap when the matches are many (a common last name), ruinous when they are
  few (the walk would read the whole enterprise to find them).

The walk, and the unsearched page in the default order, read the page's keys first, by an
index-only scan of that index (it carries the filters' columns and the email, migration 0022),
then only the page's rows from the table: rows passed over cost no heap page.

The statement holds both as branches behind a one-time filter on the terms' count, so exactly
one runs: walk when ``matches² ≥ WALK_FACTOR × (offset + limit) × enterprise rows`` (both
costs are row visits, priced as measured; see docs/serving.md). Only the
default order (newest first) can walk; other orderings, the last page and searches on both
fields seek.

The count of a page with one search comes from the terms' counts (per offer, with and without a
list price), inside the same statement; with both searches on, the rows are counted. The count of
an unsearched page comes from the term rows of field ``all`` (one per offer, every redemption,
migration 0024), through the same function: a lookup of the enterprise's offers, not a scan of
its rows.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Literal

from sqlalchemy import ColumnElement
from sqlalchemy.dialects.postgresql.psycopg import dialect
from sqlalchemy.sql.util import ClauseAdapter

from lcm_etl.queries.paging import order_by_clause
from lcm_etl.schema import offer_redemption

ENROLLMENT_ORDERING: dict[str, ColumnElement[Any]] = {
    "user_email": offer_redemption.c.user_email,
    "course_title": offer_redemption.c.course_title,
    "course_list_price": offer_redemption.c.course_list_price,
    "enrollment_date": offer_redemption.c.enrollment_date,
    "offer_id": offer_redemption.c.offer_id,
    "is_refunded": offer_redemption.c.is_refunded,
    "amount_learner_paid": offer_redemption.c.amount_learner_paid,
    "course_key": offer_redemption.c.course_key,
    "courserun_key": offer_redemption.c.courserun_key,
    "amount": offer_redemption.c.amount,
}
# The LCM page always asks for -enrollment_date (newest spend first), and it is the only order
# that makes sense for a spend table. The service's own defaults do not fit: HEAD's
# -last_activity_date is LMS progress data we do not hold, and 2022's user_email sorts the
# consent-hidden (null) emails together at the end of an otherwise arbitrary order.
ENROLLMENT_DEFAULT_ORDERING = (offer_redemption.c.enrollment_date.desc(),)
# Unique, so equal sort keys never reorder between pages.
ENROLLMENT_TIE_BREAKERS = (
    offer_redemption.c.order_discount_id.desc(),
    offer_redemption.c.order_line_id.desc(),
)

# The walk branch runs when matches² ≥ WALK_FACTOR × (offset + limit) × enterprise rows, i.e.
# when the walk's row visits, at ~0.7 µs each (one index in order, the heap rows in date order),
# cost less than the seek's, at ~4.7 µs per matching row (an index descent per value, scattered
# heap rows, a sort): 0.7 / 4.7 ≈ 0.15. Measured at scale M (docs/serving.md).
WALK_FACTOR = 0.15

# The columns the page renders (analytics._enrollment_row), in order.
PAGE_COLUMNS = (
    "order_discount_id",
    "order_line_id",
    "offer_id",
    "user_email",
    "course_key",
    "courserun_key",
    "course_title",
    "course_list_price",
    "amount",
    "amount_learner_paid",
    "enrollment_date",
    "is_refunded",
    "enterprise_enrollment_id",
)
OFFER_COLUMNS = ("offer_name", "offer_type", "enterprise_name")

SearchField = Literal["user_email", "course_title"]
# The search function answers for the transaction's tenant; the statement for its enterprise
# parameter. Should the two differ, no term (so no count either), as no row under RLS.
_SAME_TENANT = "%(enterprise)s = NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid"
_TERMS_CTE = {"user_email": "email_terms", "course_title": "title_terms"}
_NEEDLE = {"user_email": "search", "course_title": "search_course"}


@dataclasses.dataclass(frozen=True)
class Shape:
    """What the statement's text depends on; the values are parameters."""

    searches: tuple[SearchField, ...]
    """The searched fields, the driving one (emails when both) first."""
    offer: Literal["any", "one", "none"]
    """No offer filter, one offer, or a filter no ecommerce offer can match."""
    priced_only: bool
    ordering: str | None
    last_page: bool


@dataclasses.dataclass(frozen=True)
class Statement:
    sql: str
    """psycopg's ``%(name)s`` placeholders: runs as is on a psycopg cursor or through
    SQLAlchemy's ``exec_driver_sql``."""
    walks: bool
    """Whether the statement has the walk branch (its one-time filter decides if it runs)."""


def _order_sql(ordering: str | None, alias: str) -> str:
    """The ORDER BY list of ``ordering`` (the enrollments whitelist, MySQL's NULL placement, the
    unique tie-breakers) on columns of ``alias``; raises :class:`BadOrdering`."""
    clauses = order_by_clause(
        ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, ENROLLMENT_TIE_BREAKERS
    )
    adapter = ClauseAdapter(offer_redemption.alias(alias))
    return ", ".join(
        str(adapter.traverse(clause).compile(dialect=dialect()))  # type: ignore[no-untyped-call]
        for clause in clauses
    )


def _where_sql(shape: Shape, alias: str) -> str:
    """The request's filters on the rows of ``alias`` (the enterprise, its offer, priced only)."""
    filters = [f"{alias}.enterprise_customer_uuid = %(enterprise)s"]
    if shape.offer == "one":
        filters.append(f"{alias}.offer_id = %(offer_id)s")
    elif shape.offer == "none":
        filters.append("false")
    if shape.priced_only:
        filters.append(f"{alias}.course_list_price IS NOT NULL")
    return " AND ".join(filters)


def _keys_first(shape: Shape, condition: str, window: str) -> str:
    """The page's rows in the default order (newest first): their keys from the
    ``(enterprise, enrollment date, …)`` index first — an index-only scan, which carries the
    filters' columns and the email (migration 0022) — then only those rows from the table. A
    walk or a deep page passes over many rows before the page is full; read from the table, each
    was a heap page. ``condition`` (on alias ``k``, ending in AND) keeps the rows of a walk."""
    columns = ", ".join(f"r.{name}" for name in PAGE_COLUMNS)
    keys = (
        "SELECT k.enrollment_date, k.order_discount_id, k.order_line_id "
        f"FROM lcm.offer_redemption AS k WHERE {condition}{_where_sql(shape, 'k')} "
        + window.format(order=_order_sql(None, "k"))
    )
    # OFFSET 0: one primary-key lookup per key, in the keys' order (a nested loop).
    return (
        f"SELECT {columns} FROM ({keys}) AS w CROSS JOIN LATERAL (SELECT {columns} "
        "FROM lcm.offer_redemption AS r WHERE r.order_discount_id = w.order_discount_id "
        "AND r.order_line_id = w.order_line_id OFFSET 0) AS r "
        f"ORDER BY {_order_sql(None, 'w')}"
    )


@functools.lru_cache(maxsize=512)
def statement(shape: Shape) -> Statement:
    """The page's one statement for ``shape`` (built once per shape)."""
    r_order = _order_sql(shape.ordering, "r")
    default_order = r_order == _order_sql(None, "r")
    where = _where_sql(shape, "r")
    columns = ", ".join(f"r.{name}" for name in PAGE_COLUMNS)
    ctes = [
        f"{_TERMS_CTE[field]} AS MATERIALIZED (SELECT term, offer_id, redemptions, "
        f"priced_redemptions FROM lcm.enrollment_search_terms('{field}', %({_NEEDLE[field]})s) "
        f"WHERE {_SAME_TENANT})"
        for field in shape.searches
    ]
    counts = "priced_redemptions" if shape.priced_only else "redemptions"
    term_filter = {"any": "", "one": " AND t.offer_id = %(offer_id)s", "none": " AND false"}[
        shape.offer
    ]
    offset = (
        "(SELECT (greatest(ceil(c.total::numeric / %(limit)s), 1) - 1)::bigint * %(limit)s "
        "FROM counted AS c)"
        if shape.last_page
        else "%(offset)s::bigint"
    )
    window = f"ORDER BY {{order}} LIMIT %(limit)s OFFSET {offset}"

    walks = False
    if not shape.searches:
        # The offers' counts of every redemption (the term rows of field 'all', migration 0024)
        # instead of a scan of the enterprise's rows.
        ctes.append(
            f"counted AS MATERIALIZED (SELECT coalesce(sum(t.{counts}), 0) AS total "
            "FROM lcm.enrollment_search_terms('all', '') AS t "
            f"WHERE {_SAME_TENANT}{term_filter})"
        )
        branches = [
            _keys_first(shape, "", window)
            if default_order
            else f"SELECT {columns} FROM lcm.offer_redemption AS r WHERE {where} "
            + window.format(order=r_order)
        ]
    else:
        driving, *others = shape.searches
        driving_terms = _TERMS_CTE[driving]
        # The other search (both on) filters the driving one's rows.
        also = "".join(
            f" AND r.{field} IN (SELECT term FROM {_TERMS_CTE[field]})" for field in others
        )
        seek_rows = (
            f"(SELECT DISTINCT term FROM {driving_terms}) AS t CROSS JOIN LATERAL "
            # OFFSET 0 keeps the subquery whole: a nested loop of index lookups per term, which
            # the planner would otherwise be free to turn into a hash join over every row.
            f"(SELECT {columns} FROM lcm.offer_redemption AS r "
            f"WHERE {where} AND r.{driving} = t.term{also} OFFSET 0) AS r"
        )
        if others:
            ctes.append(f"counted AS MATERIALIZED (SELECT count(*) AS total FROM {seek_rows})")
        else:
            ctes.append(
                f"counted AS MATERIALIZED (SELECT coalesce(sum(t.{counts}), 0) AS total "
                f"FROM {driving_terms} AS t WHERE true{term_filter})"
            )
        walks = not others and not shape.last_page and default_order
        seek = f"SELECT r.* FROM {seek_rows} "
        if walks:
            ctes.append(
                # No match: neither branch has anything to find (the seek's is then empty).
                "choice AS MATERIALIZED (SELECT c.total > 0 AND c.total * c.total >= "
                f"{WALK_FACTOR} * (%(offset)s::bigint + %(limit)s) * (SELECT coalesce(sum("
                "s.enrollment_count), 0) FROM lcm.offer_summary AS s "
                "WHERE s.enterprise_customer_uuid = %(enterprise)s) AS walk FROM counted AS c)"
            )
            seek += "WHERE NOT (SELECT walk FROM choice) "
        branches = [seek + window.format(order=r_order)]
        if walks:
            # IN (…) IS TRUE is not turned into a join: it stays a filter (a hash of the terms)
            # on the index walk, which then stops when the page is full.
            branches.append(
                _keys_first(
                    shape,
                    f"(SELECT walk FROM choice) AND (k.{driving} IN "
                    f"(SELECT term FROM {driving_terms})) IS TRUE AND ",
                    window,
                )
            )
    page = " UNION ALL ".join(f"({branch})" for branch in branches)
    offer_columns = ", ".join(
        f"(SELECT o.{name} FROM lcm.offer_summary AS o WHERE o.offer_id = p.offer_id) AS {name}"
        for name in OFFER_COLUMNS
    )
    sql = (
        f"WITH {', '.join(ctes)} "
        f"SELECT c.total, {', '.join(f'p.{name}' for name in PAGE_COLUMNS)}, {offer_columns} "
        # A LEFT JOIN: an empty page still answers its count. No ORDER BY out here: the join
        # is a nested loop over the one count row (ON true allows no other join, and a left
        # join keeps that side outer), which yields the page's rows in their own order; only
        # one branch of the page has rows.
        f"FROM counted AS c LEFT JOIN ({page}) AS p ON true"
    )
    return Statement(sql, walks)


def parameters(
    enterprise: Any,
    *,
    search: str | None,
    search_course: str | None,
    offer_id: int | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    return {
        "enterprise": enterprise,
        "search": search,
        "search_course": search_course,
        "offer_id": offer_id,
        "limit": limit,
        "offset": offset,
    }
