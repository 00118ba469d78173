"""Reading a source database: one consistent snapshot, and rows streamed in batches.

Shared by every extractor (ecommerce, LMS, license-manager). Queries are SQLAlchemy Core over
untyped table clauses, so the driver's own values come back (a malformed one cannot break a
whole result), and they run on the source's DBAPI cursor — server-side where the driver has one —
so memory stays bounded and no per-row SQLAlchemy objects are built.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Select, column, table
from sqlalchemy.engine import URL
from sqlalchemy.sql.expression import TableClause

from lcm_etl.db import make_engine

_cursor_names = itertools.count(1)


@contextlib.contextmanager
def source_snapshot(url: URL) -> Iterator[Connection]:
    """A read-only connection that sees one consistent snapshot for the whole extraction
    (REPEATABLE READ on MariaDB/MySQL and PostgreSQL, one read transaction on SQLite)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            backend = conn.dialect.name
            if backend == "sqlite":
                conn.exec_driver_sql("BEGIN")
            elif backend in ("mysql", "mariadb"):
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            elif backend == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            try:
                yield conn
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def untyped(name: str, columns: Sequence[str], alias: str | None = None) -> TableClause:
    """A table clause without types: values come back exactly as the driver returns them."""
    clause = table(name, *(column(c) for c in columns))
    return clause.alias(alias) if alias else clause  # type: ignore[return-value]


def source_datetime(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime, comparable with the sources' naive UTC columns (Django, USE_TZ)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _sqlite_param(value: Any) -> Any:
    """SQLite compares date-times as text: write them the way SQLAlchemy stores them there."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def batches(
    source: Connection, statement: Select[Any], batch_size: int
) -> Iterator[Sequence[Sequence[Any]]]:
    """Run ``statement`` on the source's DBAPI cursor and yield its rows in batches of tuples."""
    dialect = source.dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params: Any
    if compiled.positional:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    else:
        params = dict(compiled.params)
    if dialect.name == "sqlite":
        params = tuple(_sqlite_param(value) for value in params)
    raw = source.connection.dbapi_connection
    assert raw is not None
    if dialect.name in ("mysql", "mariadb"):
        import pymysql.cursors

        cursor = raw.cursor(pymysql.cursors.SSCursor)
    elif dialect.name == "postgresql":
        cursor = raw.cursor(name=f"lcm_extract_{next(_cursor_names)}")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(str(compiled), params)
        while batch := cursor.fetchmany(batch_size):
            yield batch
    finally:
        cursor.close()
