"""The enrollments page (the analytics API's list) in one round trip, from the event loop.

A searched page for the largest demo enterprise spent most of its server CPU outside the
database: a worker-thread hand-off (a plain endpoint), six round trips (BEGIN, the tenant
settings, data_as_of, the search function, the rows, COMMIT), binding and sending back an
array of every matching value, SQLAlchemy building and caching the statement anew per request,
and the standard-library JSON encoder. Here, as for the learner-credit page
(``api.pagereader``, whose asyncio pool of psycopg connections it shares): one script in one
message — ``BEGIN`` read-only repeatable read; the tenant transaction's settings (role
``lcm_portal``, the enrollments' shorter statement timeout, the tenant for row-level security);
the ``data_as_of`` query; the page's one statement (``queries.enrollment_page_statement``: the
search, the count and the rows, the matching values joined inside the database); ``COMMIT``.
The values are parameters that psycopg quotes (a client-side binding cursor: several statements
in one message need the simple-query protocol, which has no server-side parameters).

The rows are rendered by ``queries.enrollment_page_from_rows``, exactly as
``queries.enrollments_page`` renders them for the CLI, the bench and the tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncClientCursor, AsyncConnection, OperationalError
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql.psycopg import dialect

from lcm_etl import queries
from lcm_etl.api.pagereader import BEGIN, TENANT, script_results, tenant_parameters
from lcm_etl.queries.tenancy import data_as_of_query


@dataclasses.dataclass(frozen=True)
class EnrollmentsAnswer:
    page: queries.Page
    data_as_of: dt.datetime | None


class EnrollmentReader:
    """Reads one enrollments page per round trip, on the page reader's pool (opened on first
    use in the serving event loop, closed with the application; a broken connection is
    discarded and its request answered 503)."""

    def __init__(
        self, pool: Callable[[], Awaitable[AsyncConnectionPool[AsyncConnection[Any]]]]
    ) -> None:
        self._pool = pool
        compiled = data_as_of_query(bindparam("enterprise")).compile(
            dialect=dialect()  # type: ignore[no-untyped-call]
        )
        self._data_as_of = str(compiled)
        self._constants = {k: v for k, v in compiled.params.items() if k != "enterprise"}

    def script(
        self,
        enterprise: uuid.UUID,
        page: queries.PageRequest,
        *,
        where: queries.EnrollmentFilter,
        ordering: str | None,
    ) -> tuple[str, dict[str, Any]]:
        """The one message and its parameters; raises ``BadOrdering`` before any I/O."""
        statement, parameters = queries.enrollment_page_statement(
            enterprise, page, where=where, ordering=ordering
        )
        script = ";\n".join((BEGIN, TENANT, self._data_as_of, statement, "COMMIT"))
        return script, {
            **self._constants,
            **parameters,
            **tenant_parameters(enterprise, timeout=queries.ENROLLMENTS_STATEMENT_TIMEOUT),
        }

    async def page(
        self,
        enterprise: uuid.UUID,
        page: queries.PageRequest,
        *,
        where: queries.EnrollmentFilter,
        ordering: str | None,
    ) -> EnrollmentsAnswer:
        """The page and its freshness; raises ``InvalidPage``, ``BadOrdering`` or
        ``ReadModelUnavailable`` (the database down or too slow: the statement timeout)."""
        script, parameters = self.script(enterprise, page, where=where, ordering=ordering)
        pool = await self._pool()
        try:
            async with pool.connection() as conn:
                cursor = AsyncClientCursor(conn, row_factory=namedtuple_row)
                await cursor.execute(script, parameters)
                results = await script_results(cursor)
        except OperationalError as exc:
            raise queries.ReadModelUnavailable(str(exc)) from exc
        _tenant, data_as_of, rows = results
        freshness = data_as_of[0][0] if data_as_of else None
        return EnrollmentsAnswer(
            queries.enrollment_page_from_rows(rows, page, enterprise, freshness), freshness
        )
