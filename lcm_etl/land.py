"""Landing: source rows into ``lcm_raw`` tables, converted, validated, idempotent.

Full mode truncates a landing table and ``COPY``s the rows straight in (the fastest path Postgres
has). Incremental mode ``COPY``s into a temporary staging table and upserts from it by natural key,
rewriting only rows whose values changed (``IS DISTINCT FROM``), so re-landing the same rows is a
no-op and ``landed_run_id`` marks exactly what changed. A row with a value its column cannot hold
goes to ``lcm_raw.rejected_record`` with the reason and the raw payload; the rest of the batch
lands.

Everything happens on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from psycopg import sql as pgsql
from sqlalchemy import BigInteger, Boolean, Connection, DateTime, Integer, Numeric, Table, Text

from lcm_etl import convert
from lcm_etl.schema import rejected_record

LANDED_COLUMNS = ("landed_run_id", "landed_at")


@dataclasses.dataclass(frozen=True)
class Rejection:
    """A source row that failed a rule; becomes (or refreshes) a ``rejected_record`` row."""

    source: str
    source_table: str
    natural_key: str
    reason: str
    detail: str
    payload: dict[str, Any]
    stage: str
    enterprise_customer_uuid: str | None = None
    amount: Decimal | None = None


def _converter_for(column_type: object) -> convert.Converter:
    if isinstance(column_type, Integer | BigInteger):
        return convert.to_int
    if isinstance(column_type, Numeric):
        return convert.to_decimal
    if isinstance(column_type, DateTime):
        return convert.to_datetime
    if isinstance(column_type, Boolean):
        return convert.to_bool
    if isinstance(column_type, Text):
        return convert.to_text
    raise TypeError(f"no landing converter for column type {column_type!r}")


@dataclasses.dataclass(frozen=True)
class LandingTable:
    """How one source table lands: its ``lcm_raw`` table, columns, converters and key."""

    source: str
    source_table: str
    raw: Table

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.raw.columns if c.name not in LANDED_COLUMNS)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.raw.primary_key.columns)

    @property
    def converters(self) -> tuple[convert.Converter, ...]:
        return tuple(_converter_for(self.raw.c[name].type) for name in self.columns)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return repr(value)


def payload_of(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return {name: _jsonable(value) for name, value in zip(columns, row, strict=True)}


class Lander:
    """Lands batches of raw source rows for one ingest run on one connection."""

    def __init__(self, conn: Connection, run_id: int, *, full: bool) -> None:
        self._conn = conn
        self._run_id = run_id
        self._full = full
        self._truncated: set[str] = set()
        self.rejections: list[Rejection] = []
        self.landed: dict[str, int] = {}
        self.extracted: dict[str, int] = {}

    @property
    def _cursor_connection(self) -> Any:
        return self._conn.connection.dbapi_connection

    def truncate(self, tables: Iterable[LandingTable]) -> None:
        """Empty landing tables for a full re-read (same transaction: readers keep the old rows)."""
        names = [t.raw.fullname for t in tables]
        if not names:
            return
        identifiers = pgsql.SQL(", ").join(pgsql.Identifier(*name.split(".")) for name in names)
        with self._cursor_connection.cursor() as cur:
            cur.execute(pgsql.SQL("TRUNCATE {}").format(identifiers))
        self._truncated.update(names)

    def convert_batch(
        self, table: LandingTable, rows: Iterable[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """Convert one batch; rows with an unreadable value become landing rejections."""
        converters = table.converters
        columns = table.columns
        good: list[tuple[Any, ...]] = []
        for row in rows:
            try:
                good.append(tuple(f(v) for f, v in zip(converters, row, strict=True)))
            except convert.BadValue:
                self._reject_unreadable(table, columns, converters, row)
        return good

    def _reject_unreadable(
        self,
        table: LandingTable,
        columns: Sequence[str],
        converters: Sequence[convert.Converter],
        row: Sequence[Any],
    ) -> None:
        problems = []
        for name, f, value in zip(columns, converters, row, strict=True):
            try:
                f(value)
            except convert.BadValue as exc:
                problems.append(f"{name}: {exc}")
        key = "/".join(str(row[columns.index(k)]) for k in table.key)
        self.rejections.append(
            Rejection(
                source=table.source,
                source_table=table.source_table,
                natural_key=key,
                reason="unreadable_value",
                detail="; ".join(problems),
                payload=payload_of(columns, row),
                stage="landing",
            )
        )

    def land(self, table: LandingTable, rows: Iterable[Sequence[Any]]) -> int:
        """Convert and land one batch of source rows; return how many rows changed."""
        batch = list(rows)
        self.extracted[table.source_table] = self.extracted.get(table.source_table, 0) + len(batch)
        good = self.convert_batch(table, batch)
        if not good:
            return 0
        if self._full and table.raw.fullname in self._truncated:
            changed = self._copy(table, good, target=table.raw.fullname)
        else:
            changed = self._upsert(table, good)
        self.landed[table.source_table] = self.landed.get(table.source_table, 0) + changed
        return changed

    def _copy(self, table: LandingTable, rows: list[tuple[Any, ...]], *, target: str) -> int:
        columns = (*table.columns, "landed_run_id")
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(*target.split(".")),
            pgsql.SQL(", ").join(map(pgsql.Identifier, columns)),
        )
        run_id = self._run_id
        with self._cursor_connection.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row((*row, run_id))
        return len(rows)

    def _upsert(self, table: LandingTable, rows: list[tuple[Any, ...]]) -> int:
        staging = f"stg_{table.raw.name}"
        columns = table.columns
        key = table.key
        raw_id = pgsql.Identifier(*table.raw.fullname.split("."))
        stg_id = pgsql.Identifier(staging)
        cols = pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
        value_cols = [c for c in columns if c not in key]
        with self._cursor_connection.cursor() as cur:
            cur.execute(
                pgsql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
                ).format(stg_id, raw_id)
            )
            cur.execute(pgsql.SQL("TRUNCATE {}").format(stg_id))
        self._copy(table, rows, target=staging)
        assignments = pgsql.SQL(", ").join(
            pgsql.SQL("{c} = EXCLUDED.{c}").format(c=pgsql.Identifier(c))
            for c in (*value_cols, "landed_run_id")
        )
        changed_test = pgsql.SQL("({}) IS DISTINCT FROM ({})").format(
            pgsql.SQL(", ").join(pgsql.SQL("t.{}").format(pgsql.Identifier(c)) for c in value_cols),
            pgsql.SQL(", ").join(
                pgsql.SQL("EXCLUDED.{}").format(pgsql.Identifier(c)) for c in value_cols
            ),
        )
        keys = pgsql.SQL(", ").join(map(pgsql.Identifier, key))
        # DISTINCT ON: a batch may hold the same key twice (overlap windows, referenced re-reads);
        # ON CONFLICT may touch a row only once per statement.
        statement = pgsql.SQL(
            "INSERT INTO {raw} AS t ({cols}, landed_run_id) "
            "SELECT DISTINCT ON ({keys}) {cols}, landed_run_id FROM {stg} ORDER BY {keys} "
            "ON CONFLICT ({keys}) DO UPDATE SET {assignments}, landed_at = now() "
            "WHERE {changed}"
        ).format(
            raw=raw_id,
            cols=cols,
            keys=keys,
            stg=stg_id,
            assignments=assignments,
            changed=changed_test,
        )
        with self._cursor_connection.cursor() as cur:
            cur.execute(statement)
            return int(cur.rowcount)


def record_rejections(conn: Connection, rejections: Sequence[Rejection], run_id: int) -> int:
    """Insert new rejected rows or refresh ``last_seen`` of known ones; return the count."""
    if not rejections:
        return 0
    from sqlalchemy.dialects.postgresql import insert

    unique: dict[tuple[str, str, str, str], Rejection] = {}
    for r in rejections:
        unique[(r.source, r.source_table, r.natural_key, r.reason)] = r
    rows = [
        {
            "source": r.source,
            "source_table": r.source_table,
            "natural_key": r.natural_key,
            "reason": r.reason,
            "detail": r.detail,
            "payload": json.loads(json.dumps(r.payload, default=str)),
            "stage": r.stage,
            "enterprise_customer_uuid": r.enterprise_customer_uuid,
            "amount": r.amount,
            "first_run_id": run_id,
            "last_run_id": run_id,
        }
        for r in unique.values()
    ]
    statement = insert(rejected_record)
    statement = statement.on_conflict_do_update(
        index_elements=["source", "source_table", "natural_key", "reason"],
        set_={
            "detail": statement.excluded.detail,
            "payload": statement.excluded.payload,
            "last_run_id": statement.excluded.last_run_id,
            "last_seen_at": statement.excluded.last_seen_at,
            "resolved_at": None,
        },
    )
    conn.execute(statement, rows)
    return len(rows)
