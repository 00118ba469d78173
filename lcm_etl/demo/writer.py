"""Writing demo rows fast: table creation, and two sinks that take rows as tuples.

- SQLite: the raw ``sqlite3`` connection, journal and fsync off, one transaction, ``executemany``
  in big batches; secondary indexes are created after the load. Values are already in SQLite's
  storage form (money as REAL, datetimes as SQLAlchemy's text format).
- Any other database: Core ``insert()`` executemany in batches (PyMySQL turns them into
  multi-row INSERTs, psycopg pipelines them), committed per batch.

Rows are tuples in the column order of the Core table (``table.columns``). Tables are flushed in
dependency order, so a real schema's foreign keys (the MariaDB DDL has them) are always satisfied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, func, inspect, select, text
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from lcm_etl.ingest.sources import ecommerce, license_manager, lms

Row = tuple[Any, ...]

#: Every table the demo writes, parents before children (the flush order).
DEMO_TABLES: tuple[Table, ...] = (
    ecommerce.partner,
    ecommerce.product_class,
    ecommerce.course,
    ecommerce.product,
    ecommerce.stockrecord,
    lms.enterprise_customer,
    ecommerce.user,
    lms.auth_user,
    lms.enterprise_customer_user,
    ecommerce.order,
    ecommerce.line,
    ecommerce.order_discount,
    ecommerce.refund,
    ecommerce.refund_line,
    lms.data_sharing_consent,
    lms.enterprise_course_enrollment,
    ecommerce.condition,
    ecommerce.benefit,
    ecommerce.offer,
    ecommerce.voucher,
    ecommerce.voucher_offers,
    license_manager.customer_agreement,
    license_manager.subscription_plan,
)


class DemoSourceError(RuntimeError):
    """The demo source cannot be written (the message says why and what to do)."""


@dataclasses.dataclass(frozen=True)
class Codec:
    """How money (integer cents) and datetimes are passed to the database driver."""

    money: Callable[[int], Any]
    timestamp: Callable[[dt.datetime], Any]


def _cents_to_float(cents: int) -> float:
    return cents / 100  # what SQLAlchemy stores for Numeric on SQLite


def _sqlite_timestamp(value: dt.datetime) -> str:
    return value.isoformat(" ", "microseconds")  # SQLAlchemy's SQLite DATETIME storage format


def _cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _identity(value: dt.datetime) -> dt.datetime:
    return value


SQLITE_CODEC = Codec(money=_cents_to_float, timestamp=_sqlite_timestamp)
CORE_CODEC = Codec(money=_cents_to_decimal, timestamp=_identity)


def prepare_tables(engine: Engine, *, replace: bool) -> list[Table]:
    """Drop (``replace``) and create the demo tables; return the tables created here.

    Without ``replace``, existing tables are kept (e.g. a real DDL loaded beforehand) but must be
    empty: the generator writes fixed ids.
    """
    existing = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        if replace:
            if conn.dialect.name in ("mysql", "mariadb"):
                conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in reversed(DEMO_TABLES):
                if table.name in existing:
                    conn.execute(DropTable(table, if_exists=True))
            if conn.dialect.name in ("mysql", "mariadb"):
                conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
            existing -= {table.name for table in DEMO_TABLES}
        else:
            for table in DEMO_TABLES:
                if (
                    table.name in existing
                    and conn.execute(select(func.count()).select_from(table)).scalar_one()
                ):
                    raise DemoSourceError(
                        f"table {table.name} already holds rows; generate with replace=True "
                        "(`lcm-etl demo-source --force`) to overwrite the demo tables"
                    )
        created = [table for table in DEMO_TABLES if table.name not in existing]
        for table in created:
            conn.execute(CreateTable(table))  # indexes come after the load
    return created


def column_is_nullable(engine: Engine, table: Table, column: str) -> bool:
    for info in inspect(engine).get_columns(table.name):
        if info["name"] == column:
            return bool(info["nullable"])
    raise DemoSourceError(f"table {table.name} has no column {column}")


class Sink:
    """Buffers rows per table and writes them in dependency order."""

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self._buffers: dict[str, list[Row]] = {table.name: [] for table in DEMO_TABLES}
        self.counts: dict[str, int] = dict.fromkeys(self._buffers, 0)

    def buffer(self, table: Table) -> list[Row]:
        return self._buffers[table.name]

    def buffered(self) -> int:
        return sum(len(rows) for rows in self._buffers.values())

    def maybe_flush(self) -> None:
        if self.buffered() >= self.batch_rows:
            self.flush()

    def write(self, table: Table, rows: Iterable[Row]) -> None:
        buffer = self._buffers[table.name]
        for row in rows:
            buffer.append(row)
            if len(buffer) >= self.batch_rows:
                self.flush()

    def flush(self) -> None:
        for table in DEMO_TABLES:
            rows = self._buffers[table.name]
            if rows:
                self._insert(table, rows)
                self.counts[table.name] += len(rows)
                rows.clear()
        self._commit_batch()

    def _insert(self, table: Table, rows: Sequence[Row]) -> None:
        raise NotImplementedError

    def _commit_batch(self) -> None:
        """Called after each flush."""

    def create_indexes(self, tables: Sequence[Table]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class SqliteSink(Sink):
    def __init__(self, engine: Engine, batch_rows: int = 50_000) -> None:
        super().__init__(batch_rows)
        self._dialect = engine.dialect
        self._pooled = engine.raw_connection()
        db: Any = self._pooled.driver_connection
        self._db = db
        self._db.isolation_level = None  # we issue BEGIN/COMMIT ourselves
        for pragma in (
            "PRAGMA journal_mode = OFF",
            "PRAGMA synchronous = OFF",
            # A 32 MB page cache; index builds sort in temporary files, not in memory.
            "PRAGMA cache_size = -32768",
        ):
            self._db.execute(pragma)
        self._db.execute("BEGIN")
        self._sql = {
            table.name: str(table.insert().compile(dialect=self._dialect)) for table in DEMO_TABLES
        }

    def _insert(self, table: Table, rows: Sequence[Row]) -> None:
        self._db.executemany(self._sql[table.name], rows)

    def create_indexes(self, tables: Sequence[Table]) -> None:
        for table in tables:
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                self._db.execute(str(CreateIndex(index).compile(dialect=self._dialect)))

    def finish(self) -> None:
        self._db.execute("COMMIT")
        self._db.execute("PRAGMA journal_mode = DELETE")
        self._pooled.close()

    def abort(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._pooled.close()


class CoreSink(Sink):
    def __init__(self, engine: Engine, batch_rows: int = 20_000, chunk_rows: int = 5_000) -> None:
        super().__init__(batch_rows)
        self._engine = engine
        self._chunk = chunk_rows
        self._conn = engine.connect()
        self._conn.begin()

    def _insert(self, table: Table, rows: Sequence[Row]) -> None:
        keys = [column.key for column in table.columns]
        statement = table.insert()
        for start in range(0, len(rows), self._chunk):
            chunk = rows[start : start + self._chunk]
            self._conn.execute(statement, [dict(zip(keys, row, strict=True)) for row in chunk])

    def _commit_batch(self) -> None:
        self._conn.commit()
        self._conn.begin()

    def create_indexes(self, tables: Sequence[Table]) -> None:
        for table in tables:
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                self._conn.execute(CreateIndex(index))
        self._conn.commit()
        self._conn.begin()

    def finish(self) -> None:
        self._conn.commit()
        self._conn.close()

    def abort(self) -> None:
        self._conn.rollback()
        self._conn.close()


def open_sink(engine: Engine) -> tuple[Sink, Codec]:
    if engine.dialect.name == "sqlite":
        return SqliteSink(engine), SQLITE_CODEC
    return CoreSink(engine), CORE_CODEC
