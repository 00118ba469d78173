"""The learner-credit page on the request path's floor: one round trip, no thread hand-off.

The page's SQL takes about 0.1 ms; what a request cost was the Python around it (docs/
benchmarks.md): a worker-thread hand-off, the pool's pre-ping round trip, six round trips in all
(BEGIN, the tenant settings, three SELECTs, COMMIT), SQLAlchemy's result machinery, and the
standard-library JSON encoder. Here the same statements — the tenant transaction as
``lcm_portal`` under row-level security, one repeatable-read snapshot, the same three SELECTs
as ``lcm-etl page`` (``queries.PAGE_STATEMENTS``) — go to PostgreSQL in **one pipeline** (psycopg
pipeline mode: every message written at once, every answer read at once) on an asyncio pool of
psycopg connections, from the event loop itself. The rows are rendered by the same
``queries.page_answer`` as the CLI's, and encoded by ``queries.page_json`` (orjson), so the API's
body and ``lcm-etl page``'s output are the same bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection, OperationalError
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import URL

from lcm_etl import queries
from lcm_etl.settings import Settings

_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
_TENANT = (
    "SELECT set_config('role', %(role)s, true), "
    "set_config('statement_timeout', %(timeout)s, true), "
    "set_config(%(setting)s, %(tenant)s, true)"
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
        self._statements = queries.page_statements()

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

    async def close(self) -> None:
        async with self._lock:
            if self._pool is not None:
                await self._pool.close()
                self._pool = None

    async def page(self, enterprise: uuid.UUID, now: dt.datetime | None = None) -> bytes | None:
        """The page's JSON bytes, or None for an enterprise the read model does not know."""
        pool = self._pool or await self._open()
        statements = self._statements
        try:
            async with pool.connection() as conn:
                async with conn.pipeline():
                    await conn.execute(_BEGIN)
                    await conn.execute(
                        _TENANT,
                        {
                            "role": queries.PORTAL_ROLE,
                            "timeout": queries.STATEMENT_TIMEOUT,
                            "setting": queries.TENANT_SETTING,
                            "tenant": str(enterprise),
                        },
                    )
                    offers = conn.cursor(row_factory=namedtuple_row)
                    await offers.execute(
                        statements.offers.sql, statements.offers.parameters(enterprise)
                    )
                    eligibility = conn.cursor(row_factory=namedtuple_row)
                    await eligibility.execute(
                        statements.eligibility.sql,
                        statements.eligibility.parameters(enterprise),
                    )
                    as_of = conn.cursor()
                    await as_of.execute(
                        statements.data_as_of.sql, statements.data_as_of.parameters(enterprise)
                    )
                    await conn.execute("COMMIT")
                rows = await offers.fetchall()
                stored = await eligibility.fetchone()
                data_as_of_row = await as_of.fetchone()
        except OperationalError as exc:
            raise queries.ReadModelUnavailable(str(exc)) from exc
        answer = queries.page_answer(
            enterprise,
            rows,
            stored,
            data_as_of=None if data_as_of_row is None else data_as_of_row[0],
            settings=self._settings,
            now=now,
        )
        return None if answer is None else queries.page_json(answer)
