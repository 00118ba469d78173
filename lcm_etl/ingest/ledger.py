"""What the two ledger-era sources (``subsidy.py``, ``access.py``; issue 14) share.

Both are optional and read table by table (:class:`~lcm_etl.ingest.base.TableSource`). Every table
has Django's ``modified`` (set by every save), so every table is marked ``modified``: a full pass
reads everything, an incremental or targeted one from the mark minus
``LCM_EXTRACT_TIME_OVERLAP_SECONDS`` (saves that commit late, bulk updates that stamp ``modified``
by hand). Rows deleted at the source (the services soft-delete) leave on the next full pass.

An unset source is said once in the pass's output; a full pass then empties its landing tables
(the read model holds what the sources hold: no ledger-era data). A landed transaction's state
never moves backwards in the order created < pending < committed = failed, whoever lands it (the
events or an older database snapshot): a trigger on ``lcm_raw.ledger_transaction`` keeps it
(migration 0011).

Every UUID column lands as 32 lowercase hex (char(32), or MariaDB's dashed native ``uuid``); a row
whose UUID, state or type is not one the services write is rejected with a reason code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy import Connection, inspect, select

from lcm_etl import convert
from lcm_etl.ingest import extract
from lcm_etl.ingest.base import (
    INVALID_UUID,
    IngestRun,
    SourceResult,
    TableReader,
    TableSource,
    clause,
)
from lcm_etl.ingest.land import Lander, LandingTable, Rejection

log = logging.getLogger(__name__)

TRANSACTION_STATES = frozenset({"created", "pending", "committed", "failed"})
POLICY_TYPES = frozenset(
    {
        "PerLearnerEnrollmentCreditAccessPolicy",
        "PerLearnerSpendCreditAccessPolicy",
        "AssignedLearnerCreditAccessPolicy",
    }
)
ASSIGNMENT_STATES = frozenset(
    {"allocated", "accepted", "cancelled", "errored", "expired", "reversed"}
)

# Landing rejection reason codes (lcm_raw.rejected_record.reason).
UNKNOWN_TRANSACTION_STATE = "ledger_unknown_transaction_state"
UNKNOWN_POLICY_TYPE = "unknown_policy_type"
UNKNOWN_ASSIGNMENT_STATE = "unknown_assignment_state"
POSITIVE_ASSIGNMENT_QUANTITY = "assignment_positive_quantity"

Check = Callable[[tuple[Any, ...]], tuple[tuple[Any, ...] | None, Rejection | None]]


def modified_table(source: str, source_table: str, raw: Any) -> LandingTable:
    return LandingTable(source, source_table, raw, watermark="modified", mark_column="modified")


class LedgerTableSource(TableSource):
    """A ledger-era source: every table read from its ``modified`` mark, rows checked."""

    variable: ClassVar[str]
    #: Per source table: its UUID columns, and (column, allowed values, reason) rules.
    uuid_columns: ClassVar[dict[str, tuple[str, ...]]]
    rules: ClassVar[dict[str, tuple[tuple[str, frozenset[str], str], ...]]] = {}
    #: Source tables a database may lack without the source's facts becoming unknown: absent, they
    #: hold nothing (a source written before lcm-etl read them, such as an older demo file).
    optional_tables: ClassVar[frozenset[str]] = frozenset()

    def run(self, ingest: IngestRun) -> SourceResult:
        if self.url(ingest.settings) is None:
            message = f"{self.variable} is not set: no ledger-era data from it"
            log.info(message)
            ingest.progress.note(message)
            if ingest.full:  # a full pass holds exactly what the sources hold: nothing, here
                Lander(ingest.conn, ingest.run_id, full=True).truncate(self.tables)
        return super().run(ingest)

    def read(self, reader: TableReader, source: Connection) -> None:
        required = [t for t in self.tables if t.source_table not in self.optional_tables]
        if not reader.available(source, required):
            return
        inspector = inspect(source)
        specs = []
        for spec in self.tables:
            if spec in required or inspector.has_table(spec.source_table):
                specs.append(spec)
                continue
            message = f"the {spec.source} source has no table {spec.source_table}: none of its rows"
            log.info(message)
            reader.progress.note(message)
            if reader.full:  # a full pass holds what the source holds: nothing, here
                reader.lander.truncate([spec])
        for spec in specs:
            table = clause(spec.source_table, spec.columns, "l")
            statement = select(*table.c)
            since = reader.since(spec)
            if since is not None:
                statement = statement.where(table.c.modified >= extract.source_datetime(since))
            reader.read(source, spec, statement, self.check(reader, spec))

    def check(self, reader: TableReader, spec: LandingTable) -> Check:
        columns = spec.columns
        uuid_indexes = [columns.index(name) for name in self.uuid_columns[spec.source_table]]
        rules = [
            (columns.index(name), allowed, reason)
            for name, allowed, reason in self.rules.get(spec.source_table, ())
        ]
        extra = self.extra_check(reader, spec)

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            values = list(row)
            for index in uuid_indexes:
                try:
                    values[index] = convert.to_uuid_hex(values[index])
                except convert.BadValue as exc:
                    return reader.reject(spec, row, INVALID_UUID, f"{columns[index]}: {exc}")
            for index, allowed, reason in rules:
                if values[index] not in allowed:
                    detail = (
                        f"{columns[index]} {values[index]!r} is not one of "
                        f"{', '.join(sorted(allowed))}"
                    )
                    return reader.reject(spec, row, reason, detail)
            fixed = tuple(values)
            return extra(fixed) if extra is not None else (fixed, None)

        return check

    def extra_check(self, reader: TableReader, spec: LandingTable) -> Check | None:
        return None


__all__ = [
    "ASSIGNMENT_STATES",
    "POLICY_TYPES",
    "TRANSACTION_STATES",
    "LedgerTableSource",
    "modified_table",
]
