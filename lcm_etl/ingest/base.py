"""What every source module is built on: the ingest a source runs in, what it returns, and the
table-wise reader the eligibility sources share.

A source module declares its landing tables (:class:`~lcm_etl.ingest.land.LandingTable`: the
``lcm_raw`` table, whose primary key is the natural key, and the watermark policy) and an object
with ``name``, ``tables`` and ``run(ingest) -> SourceResult`` (the :class:`Source` protocol). The
ingest stage (:mod:`lcm_etl.ingest.stage`) runs the registered sources in order, each in the same
landing transaction.

:class:`TableSource` is the reader the coupons, LMS and license-manager sources share: each table
is read with one query, streamed in batches through an optional row check (a row to land, or a
rejection with a reason code), and landed; a table read whole (watermark ``full``) loses the rows
the source no longer has; a table marked ``modified`` is read from its mark on. A source whose URL
is unset is not read and its marks are removed: its facts become unknown (NULL in
``lcm.enterprise_eligibility``, never a reason), and a later pass that has it again reads it from
scratch. Its landed rows stay. A source whose URL is *configured* (its ``setting`` is set) but
whose database lacks one of its tables fails the pass (:class:`MissingSourceTables`): a mistyped
SQLite path creates an empty file, and reading it as "unknown" would turn facts such as a disabled
LCM screen into no reason at all. Only a source's implicit default (the demo file) may lack them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import operator
import re
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection, Select, func, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.sql.expression import TableClause

from lcm_etl import convert
from lcm_etl.ingest import extract, watermarks
from lcm_etl.ingest.land import (
    Lander,
    LandingTable,
    Rejection,
    payload_of,
    record_rejections,
    resolve_landing_rejections,
    resolve_reread_rejections,
)
from lcm_etl.modes import Mode
from lcm_etl.progress import ProgressReporter, timed
from lcm_etl.settings import Settings

log = logging.getLogger(__name__)


class MissingSourceTables(RuntimeError):
    """A configured source's database lacks tables the source reads; the message names the
    setting and the tables."""


@dataclasses.dataclass
class IngestRun:
    """One ingest run, as the sources see it: the landing transaction (``conn``), the run, and the
    source snapshots open for it (one per source URL, shared by the sources that read it)."""

    conn: Connection
    settings: Settings
    run_id: int
    mode: Mode
    targets: tuple[uuid.UUID, ...]
    progress: ProgressReporter
    timings: dict[str, float]
    snapshots: contextlib.ExitStack
    _open: dict[str, Connection] = dataclasses.field(default_factory=dict)

    @property
    def full(self) -> bool:
        return self.mode == "full"

    @property
    def targeted(self) -> bool:
        return self.mode == "targeted"

    @property
    def time_overlap(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.extract_time_overlap_seconds)

    def snapshot(self, url: URL) -> Connection:
        """A connection reading one consistent snapshot of the source at ``url``, opened once per
        run: sources of the same database (ecommerce and its coupons) read the same snapshot."""
        key = url.render_as_string(hide_password=False)
        if key not in self._open:
            self._open[key] = self.snapshots.enter_context(extract.source_snapshot(url))
        return self._open[key]

    def timed(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Record the block's wall time in the run's timings (a section of the run log's)."""
        return timed(self.timings, name)


@dataclasses.dataclass
class SourceResult:
    """What one source did in a run, for the run log (``lcm.pipeline_run``)."""

    counts: dict[str, int]
    """Per table: ``extracted.…``, ``landed.…`` (and ``deleted.…``, ``unknown.…``)."""
    extracted: int
    landed: int
    rejected: int
    watermarks: dict[str, Any]
    """The marks reached, as the run log shows them (``<table>.<column>`` → value)."""
    sources: dict[str, str | None]
    """The URL (password hidden) of each database the source read, None when it took no part."""


class Source(Protocol):
    """A source module's entry point: its name, its landing tables, and one run."""

    @property
    def name(self) -> str:
        """The source's name in the registry and in the run log's timings."""
        ...

    @property
    def tables(self) -> tuple[LandingTable, ...]:
        """The landing tables it writes, each with its natural key and watermark policy."""
        ...

    def run(self, ingest: IngestRun) -> SourceResult:
        """Extract and land in ``ingest.conn``; record the rejections, resolve those no longer
        seen, move the watermarks (not in a targeted run)."""
        ...


#: Validates (and normalizes) one source row: the row to land, or the reason it is rejected.
Check = Callable[[tuple[Any, ...]], tuple[tuple[Any, ...] | None, Rejection | None]]


class TableSource:
    """A source read table by table (see the module docstring). Subclasses set ``name``,
    ``tables`` and ``url``, and implement :meth:`read`."""

    name: ClassVar[str]
    tables: ClassVar[tuple[LandingTable, ...]]
    #: The database a URL names, as the run log's ``sources`` reports it (None: report none).
    reports_source: ClassVar[str | None] = None
    #: The setting that configures the source's URL: when it is set, every table must exist.
    setting: ClassVar[str | None] = None

    def url(self, settings: Settings) -> URL | None:
        raise NotImplementedError

    def read(self, reader: TableReader, source: Connection) -> None:
        raise NotImplementedError

    def marked(self, tables: Iterable[LandingTable]) -> list[LandingTable]:
        """Which of the tables read get a mark (all, unless a table shares another's)."""
        return list(tables)

    def run(self, ingest: IngestRun) -> SourceResult:
        url = self.url(ingest.settings)
        reader = TableReader(ingest, self.tables)
        if self.setting is not None and getattr(ingest.settings, self.setting):
            reader.required_by = f"LCM_{self.setting.upper()}"
        with ingest.timed(f"extract_{self.name}"):
            if url is None:
                reader.forget(self.tables)
            else:
                self.read(reader, ingest.snapshot(url))
            reader.save_marks(self.marked(reader.extracted))
            # The checks' rejections and the lander's (a value it cannot hold).
            rejected = record_rejections(
                ingest.conn, [*reader.rejections, *reader.lander.rejections], ingest.run_id
            )
            if not ingest.targeted:
                resolve_landing_rejections(
                    ingest.conn,
                    ingest.run_id,
                    [t for t in reader.extracted if ingest.full or t.watermark == "full"],
                )
            if not ingest.full:
                # An incremental or targeted read resolves what it read again and now accepts,
                # as a publish resolves the transform rejections of what it recomputes.
                resolve_reread_rejections(ingest.conn, ingest.run_id, reader.reread)
            if ingest.full:
                # Fresh statistics for the tables a full pass rebuilt: without them the next
                # publish takes "landed since run N" for a third of a table (the planner's
                # default) and hash-joins whole landing tables where index lookups would do.
                for table in reader.extracted:
                    ingest.conn.execute(text(f"ANALYZE {table.raw.fullname}"))
        counts = reader.counts()
        took_part = bool(reader.extracted)
        return SourceResult(
            counts=counts,
            extracted=sum(v for k, v in counts.items() if k.startswith("extracted.")),
            landed=sum(v for k, v in counts.items() if k.startswith("landed.")),
            rejected=rejected,
            watermarks=reader.watermarks_json(),
            sources={}
            if self.reports_source is None
            else {
                self.reports_source: url.render_as_string()
                if url is not None and took_part
                else None
            },
        )


class TableReader:
    """One run's reading of a :class:`TableSource`: what was read, landed, rejected, deleted,
    and the marks reached."""

    def __init__(self, ingest: IngestRun, tables: Sequence[LandingTable]) -> None:
        self.ingest = ingest
        self.conn = ingest.conn
        self.full = ingest.full
        self.targeted = ingest.targeted
        self.targets = list(ingest.targets)
        self.batch_size = ingest.settings.batch_size
        self.progress = ingest.progress
        self.lander = Lander(ingest.conn, ingest.run_id, full=self.full)
        self.rejections: list[Rejection] = []
        self.extracted: dict[LandingTable, int] = {}
        self.deleted: dict[LandingTable, int] = {}
        sources = {t.source for t in tables}
        self.previous = {
            (source, table): mark.time_value
            for source in sources
            for table, mark in watermarks.load(ingest.conn, source).items()
        }
        self.marks: dict[LandingTable, dt.datetime | None] = {}
        #: Not in a full run: the natural keys read per table (as a rejection spells them: the
        #: source's value and the landed one), whose earlier rejections the run may resolve.
        self.reread: dict[LandingTable, set[str]] = {}
        self.unknown: set[LandingTable] = set()
        #: The setting that configured the source, when one did: missing tables are an error.
        self.required_by: str | None = None

    # ---- watermarks -------------------------------------------------------------------------

    def since(self, spec: LandingTable) -> dt.datetime | None:
        """Where an incremental read of a ``modified`` table starts (None: from the start)."""
        if self.full:
            return None
        mark = self.previous.get((spec.source, spec.source_table))
        return None if mark is None else mark - self.ingest.time_overlap

    def forget(self, specs: Iterable[LandingTable]) -> None:
        """Tables not read (their source is unset, or lacks them): their facts are unknown."""
        self.unknown.update(specs)

    def available(self, source: Connection, specs: Sequence[LandingTable]) -> bool:
        """Whether the source has every table ``specs`` read; if not, those facts are unknown
        and the run log and the progress say which tables were missing."""
        inspector = inspect(source)
        missing = [spec for spec in specs if not inspector.has_table(spec.source_table)]
        if missing and self.required_by:
            names = ", ".join(spec.source_table for spec in missing)
            raise MissingSourceTables(
                f"{self.required_by} points at a database without the {missing[0].source} "
                f"table(s) {names}; check the URL (a mistyped SQLite path creates an empty file)"
            )
        for spec in missing:
            message = (
                f"the {spec.source} source has no table {spec.source_table}: the facts it gives "
                "are unknown in this pass"
            )
            log.warning(message)
            self.progress.note(message)
        if missing:
            self.forget(specs)
        return not missing

    def save_marks(self, marked: Sequence[LandingTable]) -> None:
        """Record the marks of the tables read and drop those of the tables not read (what the
        publish reads as known/unknown). A targeted run moves no mark."""
        if self.targeted:
            return
        for spec in self.unknown:
            watermarks.forget(self.conn, spec.source, [spec.source_table])
        for spec in marked:
            mark = (
                watermarks.Mark("modified", time_value=self._mark(spec))
                if spec.watermark == "modified"
                else watermarks.Mark("full")
            )
            watermarks.save(self.conn, self.ingest.run_id, spec.source, {spec.source_table: mark})

    def _mark(self, spec: LandingTable) -> dt.datetime | None:
        if self.full:
            # A full read's mark is the newest row it landed (cheaper than tracking every row).
            assert spec.mark_column is not None
            newest: dt.datetime | None = self.conn.execute(
                select(func.max(spec.raw.c[spec.mark_column]))
            ).scalar_one()
            return newest
        return self.marks.get(spec) or self.previous.get((spec.source, spec.source_table))

    def watermarks_json(self) -> dict[str, str | None]:
        return {
            f"{spec.source}.{spec.source_table}.{spec.mark_column}": watermarks.iso(
                self._mark(spec)
            )
            for spec in self.extracted
            if spec.watermark == "modified" and not self.targeted
        }

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for spec, read in self.extracted.items():
            name = f"{spec.source}.{spec.source_table}"
            counts[f"extracted.{name}"] = read
            counts[f"landed.{name}"] = self.lander.landed.get(spec.source_table, 0)
            if spec in self.deleted:
                counts[f"deleted.{name}"] = self.deleted[spec]
        for spec in self.unknown:
            counts[f"unknown.{spec.source}.{spec.source_table}"] = 1
        return counts

    # ---- reading ----------------------------------------------------------------------------

    def read(
        self,
        source: Connection,
        spec: LandingTable,
        statement: Select[Any],
        check: Check | None = None,
    ) -> None:
        """Stream one query into ``spec``'s landing table."""
        if self.full and spec not in self.extracted:
            self.lander.truncate([spec])
        self.extracted.setdefault(spec, 0)
        read_whole = spec.watermark == "full"
        key_index = spec.columns.index(spec.key[0])
        modified_index = (
            spec.columns.index(spec.mark_column)
            if spec.watermark == "modified" and spec.mark_column is not None
            else None
        )
        keys: set[Any] = set()
        with self.progress.step(f"extract {spec.source} {spec.source_table}") as tracker:
            for fetched in extract.batches(source, statement, self.batch_size):
                batch = list(map(tuple, fetched))
                self.extracted[spec] += len(batch)
                rows = batch if check is None else self._checked(batch, check)
                if not self.full and not read_whole:  # (a table read whole resolves whole)
                    self._note_keys(spec, batch, rows)
                self.lander.land(spec, rows)
                if read_whole:  # only tables read whole need their keys (deletions)
                    keys.update(map(operator.itemgetter(key_index), rows))
                if modified_index is not None and not self.full:
                    self._track_modified(spec, rows, modified_index)
                tracker.advance(len(batch))
        if read_whole and not self.full and not self.targeted:
            self.deleted[spec] = self._delete_unseen(spec, keys)

    def _note_keys(
        self, spec: LandingTable, batch: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]
    ) -> None:
        indexes = [spec.columns.index(name) for name in spec.key]
        keys = self.reread.setdefault(spec, set())
        for row in (*batch, *rows):
            keys.add("/".join(str(row[i]) for i in indexes))

    def _checked(self, batch: list[tuple[Any, ...]], check: Check) -> list[tuple[Any, ...]]:
        # A batch whose checked column is already what the check would make of it passes whole
        # (a C-speed test over the column), not row by row.
        index = _FAST_UUID_COLUMNS.get(check)
        if index is not None and _all_hex_uuids(map(operator.itemgetter(index), batch)):
            return batch
        good = []
        for row in batch:
            fixed, rejection = check(row)
            if fixed is not None:
                good.append(fixed)
            elif rejection is not None:
                self.rejections.append(rejection)
        return good

    def _track_modified(self, spec: LandingTable, rows: list[tuple[Any, ...]], index: int) -> None:
        newest = self.marks.get(spec) or self.previous.get((spec.source, spec.source_table))
        for row in rows:
            try:
                value = convert.to_datetime(row[index])
            except convert.BadValue:
                continue  # rejected by the lander; read again next time
            if value is not None and (newest is None or value > newest):
                newest = value
        self.marks[spec] = newest

    def _delete_unseen(self, spec: LandingTable, keys: set[Any]) -> int:
        """Rows of a table read whole that the source no longer has (or now rejects)."""
        key = spec.raw.c[spec.key[0]]
        array_type = "text[]" if key.type.python_type is str else "bigint[]"
        # Identifiers come from the table metadata; the keys are a bound array.
        statement = text(
            f"DELETE FROM {spec.raw.fullname} AS t "  # noqa: S608
            f"WHERE t.{key.name} NOT IN (SELECT unnest(CAST(:keys AS {array_type})))"
        )
        return int(self.conn.execute(statement, {"keys": sorted(keys)}).rowcount)

    # ---- checks -----------------------------------------------------------------------------

    def reject(
        self,
        spec: LandingTable,
        row: Sequence[Any],
        reason: str,
        detail: str,
        enterprise: str | None = None,
    ) -> tuple[None, Rejection]:
        key = "/".join(str(row[spec.columns.index(k)]) for k in spec.key)
        return None, Rejection(
            source=spec.source,
            source_table=spec.source_table,
            natural_key=key,
            reason=reason,
            detail=detail,
            payload=payload_of(spec.columns, row),
            stage="landing",
            enterprise_customer_uuid=enterprise,
        )

    def check_enterprise(self, spec: LandingTable, name: str) -> Check:
        """Land the enterprise UUID as 32 hex whatever the source stored (char(32), or the
        dashed native ``uuid`` of MariaDB after edx-enterprise 0242); reject non-UUIDs."""
        index = spec.columns.index(name)

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            value = row[index]
            hex_uuid, problem = _uuid_hex(value)
            if problem is not None:
                return self.reject(spec, row, INVALID_ENTERPRISE_UUID, f"{name}: {problem}")
            if hex_uuid is None or hex_uuid == value:
                return row, None  # (NULL in a NOT NULL column: the lander rejects it)
            return replace(row, index, hex_uuid), None

        _FAST_UUID_COLUMNS[check] = index
        return check

    def uuid_forms(self) -> list[str]:
        """Both spellings of each target: 32 hex (char(32) columns) and dashed (MariaDB
        ``uuid``)."""
        return [u.hex for u in self.targets] + [str(u) for u in self.targets]


# Landing rejection reason codes shared by the sources (lcm_raw.rejected_record.reason).
INVALID_ENTERPRISE_UUID = "invalid_enterprise_uuid"
INVALID_UUID = "invalid_uuid"


def clause(name: str, columns: Sequence[str], alias: str) -> TableClause:
    """An untyped table clause (see :func:`extract.untyped`)."""
    return extract.untyped(name, columns, alias)


_HEX_UUID = re.compile("[0-9a-f]{32}")
# Checks that only normalize one UUID column, by that column's index: see TableReader._checked.
_FAST_UUID_COLUMNS: weakref.WeakKeyDictionary[Check, int] = weakref.WeakKeyDictionary()


def _all_hex_uuids(values: Iterable[Any]) -> bool:
    """Every value is a str of 32 lowercase hex characters (what Django stores on MySQL)."""
    values = list(values)
    return set(map(type, values)) == {str} and all(map(_HEX_UUID.fullmatch, values))


@functools.lru_cache(maxsize=65_536)
def _uuid_hex(value: Any) -> tuple[str | None, str | None]:
    """(32-hex UUID, None), or (None, why not). Cached: the large tables (consent records,
    learner links) repeat a few thousand enterprise ids over millions of rows."""
    try:
        return convert.to_uuid_hex(value), None
    except convert.BadValue as exc:
        return None, str(exc)


def replace(row: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    """``row`` with the value at ``index`` replaced."""
    return (*row[:index], value, *row[index + 1 :])


def ends_before_start(start: Any, end: Any) -> bool:
    """Whether a validity window ends before it starts (unreadable values are the lander's)."""
    try:
        begins, ends = convert.to_datetime(start), convert.to_datetime(end)
    except convert.BadValue:
        return False
    return begins is not None and ends is not None and ends < begins


__all__ = [
    "Check",
    "IngestRun",
    "Source",
    "SourceResult",
    "TableReader",
    "TableSource",
]
