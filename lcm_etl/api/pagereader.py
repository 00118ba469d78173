"""The learner-credit page on the request path's floor: one round trip, no thread hand-off.

The page's SQL takes about 0.1 ms; what a request cost was the Python around it (docs/
benchmarks.md): a worker-thread hand-off, the pool's pre-ping round trip, six round trips in all
(BEGIN, the tenant settings, three SELECTs, COMMIT), SQLAlchemy's result machinery, and the
standard-library JSON encoder. Here the same statements — the tenant transaction as
``lcm_portal`` under row-level security, one repeatable-read snapshot, the same SELECTs
as ``lcm-etl page`` (``queries.page_statements``) — go to PostgreSQL as **one script in one
message** (BEGIN; the tenant settings; the SELECTs; COMMIT), on an asyncio pool of psycopg
connections, from the event loop itself; the answers come back together. (psycopg's pipeline
mode also makes one round trip, but its per-statement bookkeeping cost more Python per request
than the whole script.) The rows are rendered by the same ``queries.page_answer`` as the CLI's,
and encoded by ``queries.page_json`` (orjson), so the API's
body and ``lcm-etl page``'s output are the same bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncClientCursor, AsyncConnection, OperationalError
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import URL

from lcm_etl import queries
from lcm_etl.settings import Settings

_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
_TENANT = (
    "SELECT set_config('role', %(role)s, true) AS role, "
    "set_config('statement_timeout', %(timeout)s, true) AS timeout, "
    "set_config(%(setting)s, %(tenant)s, true) AS tenant"
)


def libpq_conninfo(url: URL) -> str:
    """A SQLAlchemy URL as the libpq URI psycopg connects with."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PageReader:
    """Reads the rows behind one page in one round trip, on a pool of its own.

    The pool is opened on first use, in the event loop that serves the requests, and closed with
    the application. A connection that breaks is discarded by the pool; the request that hit it
    gets the API's 503 (``ReadModelUnavailable``), the next one a fresh connection.
    """

    def __init__(self, url: URL, settings: Settings, *, max_size: int) -> None:
        self._conninfo = libpq_conninfo(url)
        self._settings = settings
        self._max_size = max_size
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._lock = asyncio.Lock()
        statements = queries.page_statements()
        # One script, one message, one round trip: the tenant transaction and the three SELECTs
        # of `lcm-etl page`. Its values are passed as parameters and quoted by psycopg (a client-
        # side binding cursor: the simple-query protocol, which takes several statements at
        # once, has no server-side parameters).
        self._script = ";\n".join(
            (
                _BEGIN,
                _TENANT,
                statements.offers.sql,
                statements.eligibility.sql,
                statements.data_as_of.sql,
                statements.budgets.sql,
                statements.offer_spend.sql,
                statements.budget_spend.sql,
                "COMMIT",
            )
        )
        self._constants = {
            **statements.offers.constants,
            **statements.eligibility.constants,
            **statements.data_as_of.constants,
            **statements.budgets.constants,
            **statements.offer_spend.constants,
            **statements.budget_spend.constants,
        }

    async def _open(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        async with self._lock:
            if self._pool is None:
                pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._max_size,
                    open=False,
                    kwargs={"autocommit": True, "application_name": "lcm-etl"},
                    name="lcm-etl-page",
                )
                await pool.open(wait=True)
                self._pool = pool
            return self._pool

    async def pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        """The pool, opened on first use (the enrollments page reads on it too)."""
        return self._pool or await self._open()

    async def close(self) -> None:
        async with self._lock:
            if self._pool is not None:
                await self._pool.close()
                self._pool = None

    async def page(self, enterprise: uuid.UUID, now: dt.datetime | None = None) -> bytes | None:
        """The page's JSON bytes, or None for an enterprise the read model does not know."""
        pool = self._pool or await self._open()
        parameters = {
            **self._constants,
            "enterprise": enterprise,
            "role": queries.PORTAL_ROLE,
            "timeout": queries.STATEMENT_TIMEOUT,
            "setting": queries.TENANT_SETTING,
            "tenant": str(enterprise),
        }
        try:
            async with pool.connection() as conn:
                cursor = AsyncClientCursor(conn, row_factory=namedtuple_row)
                await cursor.execute(self._script, parameters)
                results = []
                while True:
                    if cursor.description is not None:
                        results.append(await cursor.fetchall())
                    if not cursor.nextset():
                        break
        except OperationalError as exc:
            raise queries.ReadModelUnavailable(str(exc)) from exc
        _tenant, rows, stored, data_as_of, budgets, offer_spend, budget_spend = results
        answer = queries.page_answer(
            enterprise,
            rows,
            stored[0] if stored else None,
            data_as_of=data_as_of[0][0] if data_as_of else None,
            settings=self._settings,
            now=now,
            budgets=budgets,
            offer_spend=offer_spend,
            budget_spend=budget_spend,
        )
        return None if answer is None else queries.page_json(answer)
