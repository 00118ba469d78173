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
import functools
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import psycopg
from psycopg import sql as pgsql
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    Integer,
    Numeric,
    Table,
    Text,
    func,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lcm_etl import convert
from lcm_etl.schema import rejected_record

LANDED_COLUMNS = ("landed_run_id", "landed_at")
# A rejected row's payload keeps this much of each text value (a planted 10 MB string is not
# copied into lcm_raw.rejected_record either).
PAYLOAD_TEXT_CHARS = 1_000


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


def _bounded_int(bits: int) -> convert.Converter:
    limit = 2 ** (bits - 1)

    def to_bounded_int(value: Any) -> int | None:
        result = convert.to_int(value)
        if result is not None and not -limit <= result < limit:
            raise convert.BadValue(f"integer out of range for {bits} bits: {value!r}")
        return result

    return to_bounded_int


def _converter_for(column_type: object) -> convert.Converter:
    if isinstance(column_type, BigInteger):
        return _bounded_int(64)
    if isinstance(column_type, Integer):
        return _bounded_int(32)
    if isinstance(column_type, Numeric):
        return convert.to_decimal
    if isinstance(column_type, DateTime):
        return convert.to_datetime
    if isinstance(column_type, Boolean):
        return convert.to_bool
    if isinstance(column_type, Text):
        return convert.to_text
    raise TypeError(f"no landing converter for column type {column_type!r}")


_not_none = functools.partial(operator.is_not, None)
_NONE = type(None)
# A date-time string Postgres will read exactly as meant. Anything else (e.g. 'yesterday', which
# Postgres would happily turn into a date) takes the slow path, where it is rejected.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)


def _ints_ok(values: Sequence[Any]) -> bool:
    return set(map(type, values)) <= {int, _NONE}


def _decimals_ok(values: Sequence[Any]) -> bool:
    if not set(map(type, values)) <= {int, float, Decimal, _NONE}:
        return False
    present = list(filter(_not_none, values))
    try:
        return all(map(math.isfinite, present)) and max(map(abs, present), default=0) < 1e10
    except (ValueError, TypeError, ArithmeticError):  # e.g. a signalling NaN
        return False


def _datetimes_ok(values: Sequence[Any]) -> bool:
    types = set(map(type, values)) - {_NONE}
    if types <= {dt.datetime}:
        return True
    if types == {str}:
        return all(map(_ISO_DATETIME.fullmatch, filter(_not_none, values)))
    return False


def _texts_ok(values: Sequence[Any]) -> bool:
    if not set(map(type, values)) <= {str, _NONE}:
        return False
    present = list(filter(_not_none, values))
    return max(map(len, present), default=0) <= convert.MAX_TEXT_CHARS and "\x00" not in "".join(
        present
    )


def _bools_ok(values: Sequence[Any]) -> bool:
    return set(map(type, values)) <= {bool, int, _NONE} and set(values) <= {0, 1, None}


def _fast_check_for(column_type: object) -> Callable[[Sequence[Any]], bool]:
    """A whole-column test that the driver's values can go to COPY untouched (C-speed checks)."""
    if isinstance(column_type, Integer | BigInteger):
        return _ints_ok
    if isinstance(column_type, Numeric):
        return _decimals_ok
    if isinstance(column_type, DateTime):
        return _datetimes_ok
    if isinstance(column_type, Boolean):
        return _bools_ok
    return _texts_ok


#: How an incremental ingest finds a table's changed rows (``lcm_raw.watermark`` holds the marks):
#: ``full``: read whole every pass (small, or nothing marks a change; a marker of kind ``full``
#: says it was read); ``id``: rows above the highest id read (append-only tables);
#: ``modified``: rows modified since the newest modification time read (minus an overlap);
#: ``referenced``: the rows that rows read in this pass point at (no usable mark of its own).
WatermarkPolicy = Literal["full", "id", "modified", "referenced"]


@dataclasses.dataclass(frozen=True)
class LandingTable:
    """How one source table lands: its ``lcm_raw`` table (whose primary key is the source row's
    natural key), columns, converters, and how an incremental pass reads it (``watermark``, on
    column ``mark_column`` for ``id`` and ``modified``)."""

    source: str
    source_table: str
    raw: Table
    watermark: WatermarkPolicy = "full"
    mark_column: str | None = None

    def __post_init__(self) -> None:
        if (self.mark_column is None) != (self.watermark in ("full", "referenced")):
            raise ValueError(
                f"{self.source}.{self.source_table}: a mark column goes with an id or modified "
                f"watermark, not with {self.watermark!r}"
            )

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.raw.columns if c.name not in LANDED_COLUMNS)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.raw.primary_key.columns)

    @functools.cached_property
    def converters(self) -> tuple[convert.Converter, ...]:
        return tuple(self._converter(name) for name in self.columns)

    def _converter(self, name: str) -> convert.Converter:
        column = self.raw.c[name]
        converter = _converter_for(column.type)
        if column.nullable:
            return converter

        def required(value: Any) -> Any:
            result = converter(value)
            if result is None:
                raise convert.BadValue("missing (NULL) where a value is required")
            return result

        return required

    @functools.cached_property
    def fast_checks(self) -> tuple[Callable[[Sequence[Any]], bool], ...]:
        return tuple(_fast_check_for(self.raw.c[name].type) for name in self.columns)


def _jsonable(value: Any) -> Any:
    """A JSON value PostgreSQL's jsonb accepts, keeping what the source held recognizable: no
    NaN/Infinity numbers and no NUL characters (jsonb refuses both), bytes as text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        if len(value) > PAYLOAD_TEXT_CHARS:  # keep what identifies it, not the whole of it
            value = f"{value[:PAYLOAD_TEXT_CHARS]}… ({len(value)} characters)"
        return value.replace("\x00", "\\0")
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, int | bool) or value is None:
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
        with self._cursor_connection.cursor() as cur:
            # Every landing table's landed_run_id defaults to this setting; naive source
            # date-times (Django stores UTC) are read as UTC.
            cur.execute("SELECT set_config('lcm.landing_run_id', %s, true)", (str(run_id),))
            cur.execute("SET LOCAL TIME ZONE 'UTC'")

    @property
    def connection(self) -> Connection:
        return self._conn

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

    def land(self, table: LandingTable, rows: Sequence[Sequence[Any]]) -> int:
        """Validate and land one batch of source rows; return how many rows changed.

        The fast path checks whole columns at C speed and hands the driver's values to COPY
        untouched; a batch with anything unusual in it, or one Postgres refuses, goes row by row
        through the converters instead, which reject exactly the bad rows.
        """
        self.extracted[table.source_table] = self.extracted.get(table.source_table, 0) + len(rows)
        if not rows:
            return 0
        columns = list(zip(*rows, strict=True))
        if all(check(values) for check, values in zip(table.fast_checks, columns, strict=True)):
            try:
                changed = self._write(table, rows, savepoint=True)
            except (psycopg.errors.DataError, psycopg.errors.IntegrityError):
                changed = self._write(table, self.convert_batch(table, rows), savepoint=False)
        else:
            changed = self._write(table, self.convert_batch(table, rows), savepoint=False)
        self.landed[table.source_table] = self.landed.get(table.source_table, 0) + changed
        return changed

    def _write(self, table: LandingTable, rows: Sequence[Sequence[Any]], *, savepoint: bool) -> int:
        """Land ``rows``; with ``savepoint``, inside a savepoint that a refused batch rolls back
        to (the caller then retries row by row). The savepoint statements travel with the
        upsert's own (several statements per round trip: a small batch of an incremental or
        targeted pass costs three round trips, not six)."""
        if not rows:
            return 0
        cursor_connection = self._cursor_connection
        if not savepoint:
            return self._copy_or_upsert(table, rows)
        try:
            changed = self._copy_or_upsert(
                table,
                rows,
                before="SAVEPOINT lcm_land_batch",
                after="RELEASE SAVEPOINT lcm_land_batch",
            )
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError):
            with cursor_connection.cursor() as cur:
                cur.execute("ROLLBACK TO SAVEPOINT lcm_land_batch")
            raise
        return changed

    def _copy_or_upsert(
        self,
        table: LandingTable,
        rows: Sequence[Sequence[Any]],
        *,
        before: str | None = None,
        after: str | None = None,
    ) -> int:
        """COPY (a full pass's truncated table) or upsert ``rows``; ``before`` and ``after`` are
        parameterless statements run first and last (a savepoint and its release)."""
        if self._full and table.raw.fullname in self._truncated:
            with self._cursor_connection.cursor() as cur:
                if before:
                    cur.execute(before)
                copied = self._copy(table, rows, target=table.raw.fullname)
                if after:
                    cur.execute(after)
            return copied
        return self._upsert(table, rows, before=before, after=after)

    def _copy(self, table: LandingTable, rows: Sequence[Sequence[Any]], *, target: str) -> int:
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(*target.split(".")),
            pgsql.SQL(", ").join(map(pgsql.Identifier, table.columns)),
        )
        with self._cursor_connection.cursor() as cur, cur.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        return len(rows)

    def _upsert(
        self,
        table: LandingTable,
        rows: Sequence[Sequence[Any]],
        *,
        before: str | None = None,
        after: str | None = None,
    ) -> int:
        staging = f"stg_{table.raw.name}"
        columns = table.columns
        key = table.key
        raw_id = pgsql.Identifier(*table.raw.fullname.split("."))
        stg_id = pgsql.Identifier(staging)
        cols = pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
        value_cols = [c for c in columns if c not in key]
        prelude: list[pgsql.Composable] = [pgsql.SQL(before)] if before else []
        prelude += [
            pgsql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
            ).format(stg_id, raw_id),
            pgsql.SQL("TRUNCATE {}").format(stg_id),
        ]
        with self._cursor_connection.cursor() as cur:
            # Parameterless, so one round trip for all of them (the simple query protocol).
            cur.execute(pgsql.SQL("; ").join(prelude))
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
        if after:
            # The INSERT's row count is the first result's; the release comes after it.
            statement = pgsql.Composed([statement, pgsql.SQL("; "), pgsql.SQL(after)])
        with self._cursor_connection.cursor() as cur:
            cur.execute(statement)
            return int(cur.rowcount)


def record_rejections(conn: Connection, rejections: Sequence[Rejection], run_id: int) -> int:
    """Insert new rejected rows or refresh ``last_seen`` of known ones; return the count."""
    if not rejections:
        return 0
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
    statement = pg_insert(rejected_record)
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


def resolve_landing_rejections(
    conn: Connection, run_id: int, tables: Iterable[LandingTable]
) -> None:
    """Resolve the landing rejections of ``tables`` that this run, having read them whole, did
    not see again (fixed at the source, or gone). Call it after recording the run's own."""
    keys = sorted({(t.source, t.source_table) for t in tables})
    if not keys:
        return
    conn.execute(
        update(rejected_record)
        .where(
            rejected_record.c.stage == "landing",
            tuple_(rejected_record.c.source, rejected_record.c.source_table).in_(keys),
            rejected_record.c.last_run_id != run_id,
            rejected_record.c.resolved_at.is_(None),
        )
        .values(resolved_at=func.now())
    )


def resolve_reread_rejections(
    conn: Connection, run_id: int, reread: Mapping[LandingTable, Iterable[str]]
) -> None:
    """Resolve the landing rejections of the rows an incremental or targeted run read again (by
    natural key, per table) and did not reject again: fixed at the source since. A row the run
    did not read keeps its rejection until it is read again, or a full pass. Call it after
    recording the run's own."""
    for table, keys in reread.items():
        wanted = sorted(set(keys))
        if not wanted:
            continue
        conn.execute(
            update(rejected_record)
            .where(
                rejected_record.c.stage == "landing",
                rejected_record.c.source == table.source,
                rejected_record.c.source_table == table.source_table,
                rejected_record.c.natural_key.in_(wanted),
                rejected_record.c.last_run_id != run_id,
                rejected_record.c.resolved_at.is_(None),
            )
            .values(resolved_at=func.now())
        )
