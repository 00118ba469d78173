"""The load measurement's view of the bench database: which backends serve the API servers."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import URL

from lcm_etl.bench.api import _PostgresWatch, bench_engine
from lcm_etl.db import make_engine


def test_no_server_connected_is_an_empty_list_not_unknown(database_url: URL) -> None:
    # Before the fix, no server connection (or one that exited) made the answer None, "PostgreSQL
    # is not local", and the whole measurement reported no PostgreSQL CPU (a flaky bench test).
    watch = _PostgresWatch(bench_engine(database_url))
    try:
        assert watch.backend_pids() == []
    finally:
        watch.engine.dispose()


def test_a_server_connection_is_found(database_url: URL) -> None:
    watch = _PostgresWatch(bench_engine(database_url))
    server = make_engine(database_url, connect_args={"application_name": "lcm-etl"})
    try:
        with server.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            assert watch.backend_pids() == [pid]
    finally:
        server.dispose()
        watch.engine.dispose()
