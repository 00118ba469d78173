"""The learner-credit page on the request path's floor: one round trip, no thread hand-off.

The page's SQL takes about 0.1 ms; what a request cost was the Python around it (docs/
benchmarks.md): a worker-thread hand-off, the pool's pre-ping round trip, six round trips in all
(BEGIN, the tenant settings, three SELECTs, COMMIT), SQLAlchemy's result machinery, and the
standard-library JSON encoder. Here the same statements — the tenant transaction as
``lcm_portal`` under row-level security, one repeatable-read snapshot, the page's functions
that ``lcm-etl page`` calls too (``queries.PAGE_CALLS``) — go to PostgreSQL as **one script in one
message** (BEGIN; the tenant settings; the SELECTs; COMMIT), on an asyncio pool of psycopg
connections, from the event loop itself; the answers come back together. (psycopg's pipeline
mode also makes one round trip, but its per-statement bookkeeping cost more Python per request
than the whole script.) The rows are rendered by the same ``queries.page_answer`` as the CLI's,
and encoded by ``queries.page_json`` (orjson), so the API's
body and ``lcm-etl page``'s output are the same bytes.

The script's text is quoted once, when the pool opens, by psycopg itself (``mogrify`` of a
client-side cursor, with a placeholder enterprise); a request only puts its enterprise's UUID in
the placeholder's places and sends the text as it is. Quoting the script on every request cost
more than reading its answers: at 4.7 kB it is longer than psycopg caches the parsing of, so
every request parsed it again, then quoted a dozen values.

The SELECTs are PL/pgSQL functions (migration 0016): a simple-protocol script cannot be prepared,
and PostgreSQL planned the six SELECTs on every request, which cost the database more CPU than the
server spent on the request; a function's plan is kept per session (docs/serving.md). Three
functions, not six (migration 0023): every call and every result set cost more than its rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncClientCursor, AsyncConnection, AsyncCursor, OperationalError
from psycopg.pq import ExecStatus
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import URL

from lcm_etl import queries
from lcm_etl.settings import Settings

TUPLES_OK = ExecStatus.TUPLES_OK
#: The head of every one-message read (the page's, the enrollments'): the tenant transaction of
#: ``queries.tenant_transaction`` — one read-only snapshot, role ``lcm_portal``, the statement
#: timeout, JIT off, row-level security on one enterprise — with its values as parameters
#: (:func:`tenant_parameters`).
BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
TENANT = (
    "SELECT set_config('role', %(role)s, true) AS role, "
    "set_config('statement_timeout', %(timeout)s, true) AS timeout, "
    "set_config('jit', %(jit)s, true) AS jit, "
    "set_config(%(setting)s, %(tenant)s, true) AS tenant"
)


def tenant_parameters(enterprise: uuid.UUID, *, timeout: str) -> dict[str, str]:
    """The values of :data:`TENANT` for ``enterprise``."""
    return {
        "role": queries.PORTAL_ROLE,
        "timeout": timeout,
        "jit": queries.JIT,
        "setting": queries.TENANT_SETTING,
        "tenant": str(enterprise),
    }


def libpq_conninfo(url: URL) -> str:
    """A SQLAlchemy URL as the libpq URI psycopg connects with."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def script_results(cursor: AsyncCursor[Any]) -> list[list[Any]]:
    """The rows of each statement of a script that returned rows, in order (BEGIN, COMMIT and
    the like return none)."""
    results = []
    while True:
        # The result's status, not ``cursor.description``, which builds the columns' objects.
        if cursor.pgresult is not None and cursor.pgresult.status == TUPLES_OK:
            results.append(await cursor.fetchall())
        if not cursor.nextset():
            return results


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
        # One script, one message, one round trip: the tenant transaction and the page's SELECTs
        # in three PL/pgSQL functions (sql/functions/page_*.sql, migrations 0016 and 0023) whose
        # plans PostgreSQL keeps per session: a simple-protocol script cannot be prepared, and
        # planning the SELECTs themselves on every request cost the database more CPU than the
        # server spent on it. Three calls, not one per SELECT: each call and each result set
        # costs more than its rows, on both sides. `lcm-etl page` calls the same functions
        # (queries.PAGE_CALLS); they read as the invoker, so row-level security applies as to
        # plain SELECTs.
        # Its values are quoted by psycopg (a client-side binding cursor's mogrify, once: see
        # _quote): the simple-query protocol, which takes several statements at once, has no
        # server-side parameters.
        self._script = ";\n".join((BEGIN, TENANT, *queries.PAGE_CALLS, "COMMIT"))
        # Stands for the enterprise in the quoted script (_quoted): a random UUID, which the
        # constants cannot contain. A UUID's text is hex digits (and dashes), so putting a
        # request's enterprise in its places gives what psycopg would have quoted for it.
        self._placeholder = uuid.uuid4()
        self._quoted: bytes | None = None

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
                try:
                    await pool.open(wait=True)
                    async with pool.connection() as conn:
                        self._quoted = await self._quote(conn)
                except BaseException:
                    await pool.close()  # its workers would keep trying to connect
                    raise
                self._pool = pool
            return self._pool

    async def _quote(self, conn: AsyncConnection[Any]) -> bytes:
        """The script with every value quoted by psycopg, the enterprise as the placeholder."""
        text = AsyncClientCursor(conn).mogrify(self._script, self._parameters(self._placeholder))
        return text.encode(conn.info.encoding)

    def _parameters(self, enterprise: uuid.UUID) -> dict[str, Any]:
        return {
            **queries.page_parameters(enterprise),
            **tenant_parameters(enterprise, timeout=queries.STATEMENT_TIMEOUT),
        }

    def script_for(self, enterprise: uuid.UUID) -> bytes:
        """What a request sends: the quoted script with this enterprise in it (after the pool
        opened)."""
        assert self._quoted is not None, "the pool is not open"
        # psycopg quotes a UUID parameter as its 32 hex digits, the tenant setting is text.
        return self._quoted.replace(
            self._placeholder.hex.encode(), enterprise.hex.encode()
        ).replace(str(self._placeholder).encode(), str(enterprise).encode())

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
        try:
            # Opening is inside: a read model down at the first request is a 503 too.
            pool = self._pool or await self._open()
            script = self.script_for(enterprise)
            async with pool.connection() as conn:
                cursor = AsyncCursor(conn, row_factory=namedtuple_row)
                # No parameters: psycopg sends the text as one simple-protocol query (several
                # statements in one message); prepare=False, a script cannot be prepared.
                await cursor.execute(script, prepare=False)
                results = await script_results(cursor)
        except OperationalError as exc:
            raise queries.ReadModelUnavailable(str(exc)) from exc
        _tenant, *page_rows = results
        answer = queries.page_from_results(enterprise, page_rows, settings=self._settings, now=now)
        return None if answer is None else queries.page_json(answer)
