"""Extract the ledger-era sources and land them in ``lcm_raw`` (issue 14).

Two optional sources, each read in one consistent snapshot inside the ingest's transaction:

- **enterprise-subsidy** (``LCM_SUBSIDY_DATABASE_URL``): subsidies and the openedx-ledger tables
  (transactions, reversals, deposits, adjustments) that live in the same database;
- **enterprise-access** (``LCM_ACCESS_DATABASE_URL``): budgets (subsidy access policies), their
  group links, assignment and Browse-and-Request configurations, assignments and their actions.

Unset (and no demo file holding the tables), a source is not read: the pass says so once, and
the budgets it would give are simply absent. Every table has a ``modified`` column (Django's
TimeStampedModel, set by every save): a full pass reads everything, an incremental (or
targeted) pass re-reads from the table's ``modified`` watermark minus
``LCM_EXTRACT_TIME_OVERLAP_SECONDS`` (saves that commit late, and bulk updates that set
``modified`` by hand, are caught by the overlap). Landing the same rows twice changes nothing.

UUID columns land as 32 lowercase hex whatever the source stored (char(32), or MariaDB's dashed
native ``uuid``); a row whose UUID, state or type is not one the services write is rejected with a
reason code and the rest lands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, delete, inspect, select
from sqlalchemy.engine import URL, make_url

from lcm_etl import convert, extract
from lcm_etl.db import normalize_url
from lcm_etl.land import Lander, LandingTable, Rejection, payload_of, upsert_watermarks
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.schema import (
    raw_access_assignment,
    raw_access_assignment_action,
    raw_access_assignment_configuration,
    raw_access_policy,
    raw_access_policy_group,
    raw_access_request_configuration,
    raw_ledger_adjustment,
    raw_ledger_deposit,
    raw_ledger_reversal,
    raw_ledger_transaction,
    raw_subsidy,
    watermark,
)
from lcm_etl.settings import Settings

log = logging.getLogger(__name__)

SUBSIDY = "subsidy"
ACCESS = "access"

SUBSIDY_TABLES = (
    LandingTable(SUBSIDY, "subsidy_subsidy", raw_subsidy),
    LandingTable(SUBSIDY, "openedx_ledger_transaction", raw_ledger_transaction),
    LandingTable(SUBSIDY, "openedx_ledger_reversal", raw_ledger_reversal),
    LandingTable(SUBSIDY, "openedx_ledger_deposit", raw_ledger_deposit),
    LandingTable(SUBSIDY, "openedx_ledger_adjustment", raw_ledger_adjustment),
)
ACCESS_TABLES = (
    LandingTable(ACCESS, "subsidy_access_policy_subsidyaccesspolicy", raw_access_policy),
    LandingTable(
        ACCESS, "content_assignments_assignmentconfiguration", raw_access_assignment_configuration
    ),
    LandingTable(
        ACCESS,
        "subsidy_request_learnercreditrequestconfiguration",
        raw_access_request_configuration,
    ),
    LandingTable(ACCESS, "subsidy_access_policy_policygroupassociation", raw_access_policy_group),
    LandingTable(ACCESS, "content_assignments_learnercontentassignment", raw_access_assignment),
    LandingTable(
        ACCESS, "content_assignments_learnercontentassignmentaction", raw_access_assignment_action
    ),
)
TABLES = {SUBSIDY: SUBSIDY_TABLES, ACCESS: ACCESS_TABLES}
VARIABLES = {SUBSIDY: "LCM_SUBSIDY_DATABASE_URL", ACCESS: "LCM_ACCESS_DATABASE_URL"}

#: Columns holding a UUID (32 hex in the sources); NULL allowed where the column is nullable.
UUID_COLUMNS = {
    "subsidy_subsidy": ("uuid", "enterprise_customer_uuid", "ledger_id"),
    "openedx_ledger_transaction": ("uuid", "ledger_id", "subsidy_access_policy_uuid"),
    "openedx_ledger_reversal": ("uuid", "transaction_id"),
    "openedx_ledger_deposit": ("uuid", "ledger_id", "transaction_id"),
    "openedx_ledger_adjustment": (
        "uuid",
        "ledger_id",
        "transaction_id",
        "transaction_of_interest_id",
    ),
    "subsidy_access_policy_subsidyaccesspolicy": (
        "uuid",
        "catalog_uuid",
        "subsidy_uuid",
        "enterprise_customer_uuid",
        "assignment_configuration_id",
        "learner_credit_request_config_id",
    ),
    "content_assignments_assignmentconfiguration": ("uuid", "enterprise_customer_uuid"),
    "subsidy_request_learnercreditrequestconfiguration": ("uuid",),
    "subsidy_access_policy_policygroupassociation": (
        "enterprise_group_uuid",
        "subsidy_access_policy_id",
    ),
    "content_assignments_learnercontentassignment": (
        "uuid",
        "transaction_uuid",
        "assignment_configuration_id",
    ),
    "content_assignments_learnercontentassignmentaction": ("uuid", "assignment_id"),
}

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
INVALID_UUID = "invalid_uuid"
UNKNOWN_TRANSACTION_STATE = "ledger_unknown_transaction_state"
UNKNOWN_POLICY_TYPE = "unknown_policy_type"
UNKNOWN_ASSIGNMENT_STATE = "unknown_assignment_state"
POSITIVE_ASSIGNMENT_QUANTITY = "assignment_positive_quantity"

#: Validates (and normalizes) one source row: the row to land, or the reason it is rejected.
Check = Callable[[tuple[Any, ...]], tuple[tuple[Any, ...] | None, Rejection | None]]


def source_url(settings: Settings, source: str) -> URL | None:
    """A ledger-era source's URL, or None when there is none.

    The variable when set; otherwise the demo SQLite file (which holds these tables next to the
    ecommerce ones) when the ecommerce source is that file; otherwise None.
    """
    configured = (
        settings.subsidy_database_url if source == SUBSIDY else settings.access_database_url
    )
    if configured:
        return normalize_url(configured)
    if not settings.ecommerce_database_url and settings.demo_source_path.exists():
        return make_url(f"sqlite:///{settings.demo_source_path.resolve()}")
    return None


@dataclasses.dataclass
class LedgerIngestOutcome:
    """What the ledger-era extraction did, for the ingest's ``lcm.pipeline_run`` row."""

    sources: dict[str, str | None]
    counts: dict[str, int]
    watermarks: dict[str, str | None]
    rejections: list[Rejection]
    notes: list[str]

    @property
    def extracted(self) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith("extracted."))

    @property
    def landed(self) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith("landed."))


def ingest_ledger_sources(
    conn: Connection,
    *,
    settings: Settings,
    run_id: int,
    mode: str,
    progress: ProgressReporter | None = None,
) -> LedgerIngestOutcome:
    """Extract the configured ledger-era sources into ``lcm_raw`` on ``conn``, inside the
    caller's landing transaction. A targeted pass reads them incrementally (their change marks
    are global, and reading what changed is cheap)."""
    if mode not in ("full", "incremental", "targeted"):
        raise ValueError(f"unknown ingest mode {mode!r}")
    progress = progress or NullProgress()
    full = mode == "full"
    overlap = dt.timedelta(seconds=settings.extract_time_overlap_seconds)
    previous = {
        (row.source, row.source_table): row.time_value
        for row in conn.execute(
            select(watermark.c.source, watermark.c.source_table, watermark.c.time_value).where(
                watermark.c.source.in_(TABLES)
            )
        )
    }
    lander = Lander(conn, run_id, full=full)
    outcome = LedgerIngestOutcome(sources={}, counts={}, watermarks={}, rejections=[], notes=[])
    marks: list[dict[str, Any]] = []
    for name, specs in TABLES.items():
        url = source_url(settings, name)
        if url is None:
            _note(outcome, progress, f"{VARIABLES[name]} is not set: no ledger-era data from it")
            outcome.sources[name] = None
            if full:  # a full pass holds exactly what the sources hold: nothing, here
                lander.truncate(specs)
                conn.execute(delete(watermark).where(watermark.c.source == name))
            continue
        with extract.source_snapshot(url) as source:
            inspector = inspect(source)
            missing = [s.source_table for s in specs if not inspector.has_table(s.source_table)]
            if missing:
                _note(
                    outcome,
                    progress,
                    f"the {name} source ({VARIABLES[name]}) lacks {', '.join(missing)}: "
                    "no ledger-era data from it in this pass",
                )
                outcome.sources[name] = None
                continue
            outcome.sources[name] = url.render_as_string()
            for spec in specs:
                since = None
                mark = previous.get((spec.source, spec.source_table))
                if not full and mark is not None:
                    since = mark - overlap
                newest = _read(
                    source,
                    lander,
                    spec,
                    since=since,
                    full=full,
                    batch_size=settings.batch_size,
                    progress=progress,
                    outcome=outcome,
                )
                value = newest if newest is not None else mark
                if full and newest is None:
                    value = None
                marks.append(
                    {
                        "source": spec.source,
                        "source_table": spec.source_table,
                        "kind": "modified",
                        "id_value": None,
                        "time_value": value,
                        "run_id": run_id,
                    }
                )
                key = f"{spec.source}.{spec.source_table}.modified"
                outcome.watermarks[key] = value.isoformat() if value else None
    upsert_watermarks(conn, marks)
    outcome.rejections.extend(lander.rejections)
    return outcome


def _note(outcome: LedgerIngestOutcome, progress: ProgressReporter, message: str) -> None:
    log.info(message)
    progress.note(message)
    outcome.notes.append(message)


def _read(
    source: Connection,
    lander: Lander,
    spec: LandingTable,
    *,
    since: dt.datetime | None,
    full: bool,
    batch_size: int,
    progress: ProgressReporter,
    outcome: LedgerIngestOutcome,
) -> dt.datetime | None:
    """Stream one source table into its landing table; return the newest ``modified`` landed."""
    if full:
        lander.truncate([spec])
    clause = extract.untyped(spec.source_table, spec.columns, "l")
    statement = select(*clause.c)
    if since is not None:
        statement = statement.where(clause.c.modified >= extract.source_datetime(since))
    check = _check_for(spec)
    modified_index = spec.columns.index("modified")
    newest: dt.datetime | None = None
    read = 0
    name = f"{spec.source}.{spec.source_table}"
    with progress.step(f"extract {name}") as tracker:
        for fetched in extract.batches(source, statement, batch_size):
            batch = [tuple(row) for row in fetched]
            read += len(batch)
            rows: list[tuple[Any, ...]] = []
            for row in batch:
                fixed, rejection = check(row)
                if fixed is not None:
                    rows.append(fixed)
                elif rejection is not None:
                    outcome.rejections.append(rejection)
            if not full and spec.raw is raw_ledger_transaction:
                rows = _never_backwards(lander.connection, rows, columns=spec.columns)
            lander.land(spec, rows)
            for row in rows:
                try:
                    value = convert.to_datetime(row[modified_index])
                except convert.BadValue:
                    continue  # rejected by the lander; read again next time
                if value is not None and (newest is None or value > newest):
                    newest = value
            tracker.advance(len(batch))
    outcome.counts[f"extracted.{name}"] = read
    outcome.counts[f"landed.{name}"] = lander.landed.get(spec.source_table, 0)
    return newest


_STATE_RANK = {"created": 0, "pending": 1, "committed": 2, "failed": 2}


def _never_backwards(
    conn: Connection, rows: list[tuple[Any, ...]], *, columns: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """Keep a landed transaction's state where the source's is earlier in the state order (an
    event landed it ahead of this snapshot, e.g. from a lagging replica)."""
    if not rows:
        return rows
    key_index, state_index = columns.index("uuid"), columns.index("state")
    landed = dict(
        conn.execute(
            select(raw_ledger_transaction.c.uuid, raw_ledger_transaction.c.state).where(
                raw_ledger_transaction.c.uuid.in_([row[key_index] for row in rows])
            )
        ).all()
    )
    kept = []
    for row in rows:
        before = landed.get(row[key_index])
        if before is not None and _STATE_RANK.get(before, -1) > _STATE_RANK.get(
            row[state_index], -1
        ):
            row = (*row[:state_index], before, *row[state_index + 1 :])
        kept.append(row)
    return kept


def _check_for(spec: LandingTable) -> Check:
    columns = spec.columns
    uuid_indexes = [columns.index(name) for name in UUID_COLUMNS[spec.source_table]]
    rules: list[tuple[int, frozenset[str], str]] = []
    if spec.source_table == "openedx_ledger_transaction":
        rules.append((columns.index("state"), TRANSACTION_STATES, UNKNOWN_TRANSACTION_STATE))
    if spec.source_table == "subsidy_access_policy_subsidyaccesspolicy":
        rules.append((columns.index("policy_type"), POLICY_TYPES, UNKNOWN_POLICY_TYPE))
    quantity_index = None
    if spec.source_table == "content_assignments_learnercontentassignment":
        rules.append((columns.index("state"), ASSIGNMENT_STATES, UNKNOWN_ASSIGNMENT_STATE))
        quantity_index = columns.index("content_quantity")

    def reject(row: tuple[Any, ...], reason: str, detail: str) -> tuple[None, Rejection]:
        key = "/".join(str(row[columns.index(k)]) for k in spec.key)
        return None, Rejection(
            source=spec.source,
            source_table=spec.source_table,
            natural_key=key,
            reason=reason,
            detail=detail,
            payload=payload_of(columns, row),
            stage="landing",
        )

    def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
        values = list(row)
        for index in uuid_indexes:
            try:
                values[index] = convert.to_uuid_hex(values[index])
            except convert.BadValue as exc:
                return reject(row, INVALID_UUID, f"{columns[index]}: {exc}")
        for index, allowed, reason in rules:
            if values[index] not in allowed:
                return reject(
                    row,
                    reason,
                    f"{columns[index]} {values[index]!r} is not one of "
                    f"{', '.join(sorted(allowed))}",
                )
        if quantity_index is not None:
            try:
                quantity = convert.to_int(values[quantity_index])
            except convert.BadValue:
                quantity = None  # the lander rejects it as unreadable
            if quantity is not None and quantity > 0:
                return reject(
                    row,
                    POSITIVE_ASSIGNMENT_QUANTITY,
                    f"content_quantity {quantity} is positive (assignments hold negative cents)",
                )
        return tuple(values), None

    return check


__all__ = [
    "ACCESS",
    "SUBSIDY",
    "TABLES",
    "LedgerIngestOutcome",
    "ingest_ledger_sources",
    "source_url",
]
