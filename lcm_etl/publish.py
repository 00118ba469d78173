"""Publish: compute the read model from ``lcm_raw`` with ``sql/transform`` and apply it.

A publish recomputes what changed since the landing it last consumed (or everything, after a full
ingest): the redemptions of the orders in scope, then the summaries and daily rows of the offers
in scope. New rows are computed into temporary tables and *merged*: rows that disappeared are
deleted, changed ones rewritten, identical ones left untouched — so publishing the same landing
twice writes nothing and leaves the read model identical. Everything runs in the caller's
transaction; readers see the previous read model until it commits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy import Connection, Table, text

from lcm_etl import sqlfiles
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.schema import (
    enrollment_search_term,
    enterprise_eligibility,
    offer_redemption,
    offer_summary,
    offer_utilization_daily,
)
from lcm_etl.settings import Settings


class ReconciliationError(RuntimeError):
    """The read model does not add up to the landed source; the publish must not commit."""

    def __init__(self, mismatches: list[dict[str, Any]]) -> None:
        self.mismatches = mismatches
        lines = [
            (
                f"enterprise {m['enterprise_customer_uuid']}: landed spend {m['landed_spend']} − "
                f"rejected {m['rejected_spend']} ≠ redeemed {m['redeemed_gross']} "
                f"(summaries: gross {m['summary_gross']}, refunded {m['summary_refunded']}, "
                f"net {m['summary_net']}; redemptions refunded {m['redeemed_refunded']})"
            )
            for m in mismatches[:10]
        ]
        more = f" (and {len(mismatches) - 10} more)" if len(mismatches) > 10 else ""
        super().__init__(
            f"reconciliation failed for {len(mismatches)} enterprise(s){more}: " + "; ".join(lines)
        )


@dataclasses.dataclass(frozen=True)
class PublishOutcome:
    full: bool
    scope_orders: int
    scope_offers: int
    redemptions_written: int
    redemptions_deleted: int
    summaries_written: int
    daily_written: int
    rejected: int
    enterprises: int
    eligibility_written: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "scope_orders": self.scope_orders,
            "scope_offers": self.scope_offers,
            "published": self.redemptions_written + self.summaries_written + self.daily_written,
            "redemptions_written": self.redemptions_written,
            "redemptions_deleted": self.redemptions_deleted,
            "summaries_written": self.summaries_written,
            "daily_written": self.daily_written,
            "rejected": self.rejected,
            "enterprises": self.enterprises,
            "eligibility_written": self.eligibility_written,
        }


#: A temporary table up to this many rows gets no index: the planner hashes or scans so few rows
#: at no cost, and a targeted publish's small tables would otherwise cost as many catalog-writing
#: statements. (Every one is ANALYZEd, even an empty one: without statistics the planner takes
#: a never-analyzed table for ten pages of rows and may scan a landing table whole to join it.)
SMALL_TEMP_TABLE_ROWS = 500


def _temp_table(
    conn: Connection,
    name: str,
    sql_file: str,
    params: dict[str, Any] | None = None,
    statistics: tuple[str, ...] = (),
) -> int:
    """Materialize ``sql/<sql_file>`` as temporary table ``name`` (a fixed identifier), once per
    publish transaction (ON COMMIT DROP ends it with the transaction, committed or not), and
    gather its statistics: on the ``statistics`` columns only when given (the row count is
    gathered either way), else on every column."""
    result = conn.execute(
        text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {sqlfiles.load(sql_file)}"), params or {}
    )
    columns = f" ({', '.join(statistics)})" if statistics else ""
    conn.execute(text(f"ANALYZE {name}{columns}"))  # fixed identifiers
    return int(result.rowcount)


def _index(conn: Connection, rows: int, ddl: str) -> None:
    """``CREATE [UNIQUE] INDEX`` on a temporary table of ``rows`` rows, unless it is small."""
    if rows > SMALL_TEMP_TABLE_ROWS:
        conn.execute(text(ddl))


def configure_session(conn: Connection, settings: Settings) -> None:
    """The publish transaction's planner and memory settings (``SET LOCAL``: they end with it)."""
    memory = f"{settings.transform_work_mem_mb}MB"
    conn.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": memory})
    # The publish's temporary tables hold every redemption on a full pass; with the default
    # 8 MB of temp_buffers they would be written out to disk and read back at every step.
    # (Settable only before a session's first temporary table; each stage has its own.)
    conn.execute(text("SELECT set_config('temp_buffers', :value, true)"), {"value": memory})
    # The indexes a bulk load builds after its rows (merge) sort in this much memory.
    conn.execute(text("SELECT set_config('maintenance_work_mem', :value, true)"), {"value": memory})
    # JIT compiles each big-looking query for about a second; an incremental publish is
    # dozens of queries that touch few rows, and even a full one gains little from it.
    conn.execute(text("SET LOCAL jit = off"))
    conn.execute(
        text("SELECT set_config('random_page_cost', :value, true)"),
        {"value": str(settings.transform_random_page_cost)},
    )


def merge(
    conn: Connection,
    target: Table,
    source: str,
    *,
    scope: str | None,
    using: str | None = None,
    fed: tuple[Feed, ...] = (),
    before: str | None = None,
) -> tuple[int, int]:
    """Make ``target`` hold exactly ``source``'s rows within ``scope``; return (written, deleted).

    ``scope`` is a SQL predicate on the target alias ``t`` selecting the rows ``source`` replaces
    (None: the whole table), optionally over a table joined in with ``using`` (``DELETE …
    USING``: a join the planner may drive from a small scope table into the target's index,
    where an ``EXISTS`` was planned as a walk through the whole target). Identical rows are not
    rewritten. ``before``, a table holding exactly the target's rows within ``scope`` as they
    are, keeps the unchanged rows out of the upsert altogether: ``ON CONFLICT DO UPDATE … WHERE``
    still locks a conflicting row it does not update, which writes its heap page.

    A whole-table merge into an empty ``target`` (the first full publish) is a bulk load: the
    secondary indexes of ``target`` and of the tables its triggers write (``fed``, when empty
    too) are dropped, the rows inserted with those triggers disabled, each fed table filled from
    the loaded rows in one statement (its ``fill``), and the indexes built again from their
    definitions — one sort per index and one aggregate per fed table instead of maintaining each
    row by row (see :func:`_indexes_built_after`, :func:`_triggers_disabled`).
    """
    key = [c.name for c in target.primary_key.columns]
    values = [c.name for c in target.columns if c.name not in key]
    columns = ", ".join(c.name for c in target.columns)
    key_match = " AND ".join(f"n.{k} = t.{k}" for k in key)
    where_scope = f"({scope}) AND " if scope else ""
    joined = f" USING {using}" if using else ""
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in values)
    # Identifiers come from Table metadata and code constants, never from input. (EXCEPT ALL
    # compares as IS DISTINCT FROM does: NULLs alike, numbers by value.)
    rows = (
        f"SELECT {columns} FROM {source} EXCEPT ALL SELECT {columns} FROM {before}"  # noqa: S608
        if before is not None and scope is not None
        else f"SELECT {columns} FROM {source}"  # noqa: S608
    )
    upsert = text(
        f"INSERT INTO {target.fullname} AS t ({columns}) {rows} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments} WHERE {changed}"
    )
    if scope is None and _is_empty(conn, target):
        bulk_fed = tuple(feed for feed in fed if _is_empty(conn, feed.table))
        with _indexes_built_after(conn, (target, *(feed.table for feed in bulk_fed))):
            triggers = tuple(name for feed in bulk_fed for name in feed.triggers)
            with _triggers_disabled(conn, target, triggers):
                written = conn.execute(upsert).rowcount
            for feed in bulk_fed:
                conn.execute(text(sqlfiles.load(feed.fill)))
        return int(written), 0
    deleted = conn.execute(
        text(
            f"DELETE FROM {target.fullname} AS t{joined} WHERE {where_scope}"  # noqa: S608
            f"NOT EXISTS (SELECT 1 FROM {source} AS n WHERE {key_match})"
        )
    ).rowcount
    written = conn.execute(upsert).rowcount
    return int(written), int(deleted)


def _is_empty(conn: Connection, table: Table) -> bool:
    return not conn.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {table.fullname})")  # noqa: S608
    ).scalar_one()


@contextlib.contextmanager
def _indexes_built_after(conn: Connection, tables: tuple[Table, ...]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` (non-unique, backing no constraint) and create
    them again, from PostgreSQL's own definitions, after the body has loaded the rows.

    Dropping an index locks its table (ACCESS EXCLUSIVE) until the publish commits: readers of
    the still-empty table wait for the first publish instead of seeing it empty, and never see
    it without its indexes. The key and unique indexes stay (the upsert's conflict target)."""
    definitions: list[str] = []
    for table in tables:
        indexes = conn.execute(
            text(
                "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl "
                "FROM pg_catalog.pg_index AS i "
                "WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisunique "
                "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS c "
                "WHERE c.conindid = i.indexrelid) ORDER BY 1"
            ),
            {"table": table.fullname},
        ).all()
        for name, ddl in indexes:
            conn.execute(text(f"DROP INDEX {name}"))  # a catalog name
            definitions.append(ddl)
    yield
    for ddl in definitions:
        conn.execute(text(ddl))


@contextlib.contextmanager
def _triggers_disabled(conn: Connection, table: Table, triggers: tuple[str, ...]) -> Iterator[None]:
    """Disable ``triggers`` of ``table`` for the body, in the publish's transaction.

    Only for a bulk load: ``ALTER TABLE … DISABLE TRIGGER`` takes a SHARE ROW EXCLUSIVE lock
    (every writer waits for the publish to commit), and the bulk load already holds ACCESS
    EXCLUSIVE on the empty table from dropping its indexes, so no row can slip past the disabled
    triggers; the change is transactional, so a rollback enables them again.
    Disabled, a statement trigger also stops capturing its transition table (a tuplestore of
    every inserted row), which a trigger that merely returned early would still pay for."""
    for name in triggers:
        conn.execute(text(f"ALTER TABLE {table.fullname} DISABLE TRIGGER {name}"))  # constants
    yield
    for name in triggers:
        conn.execute(text(f"ALTER TABLE {table.fullname} ENABLE TRIGGER {name}"))


@dataclasses.dataclass(frozen=True)
class Feed:
    """A table that ``triggers`` of a merge target keep from its rows. A bulk load of the target
    (both empty) disables them and fills the table once from the loaded rows with ``sql/<fill>``,
    which must give exactly the rows the triggers would have."""

    table: Table
    triggers: tuple[str, ...]
    fill: str


#: lcm.enrollment_search_term, kept by the statement triggers of migration 0009 on
#: lcm.offer_redemption; both they and the fill derive terms with lcm.enrollment_search_terms_of
#: (migration 0014). The upsert of a bulk load fires INSERT and UPDATE statement triggers.
SEARCH_TERMS = Feed(
    enrollment_search_term,
    triggers=("enrollment_search_term_insert", "enrollment_search_term_update"),
    fill="transform/enrollment_search_term_fill.sql",
)


#: The parameters a step may take, all computed once per publish.
Parameter = Literal[
    "full",
    "since_run",
    "hide_unknown",
    "low_balance_fraction",
    "no_balance_amount",
    "data_as_of",
    "now",
    "run_id",
    "access_read",
]
#: Which publishes run a step (a full one, an incremental or targeted one, or both).
When = Literal["always", "full", "incremental"]


@dataclasses.dataclass(frozen=True)
class Build:
    """Temporary table ``name``, built from ``sql/<file>`` with the parameters it names. Its
    ``unique_key`` (its grain) gets a unique index, ``index`` a plain one, for the steps that join
    on them; ``count`` names the outcome figure its row count is."""

    name: str
    file: str
    params: tuple[Parameter, ...] = ()
    unique_key: tuple[str, ...] = ()
    index: tuple[str, ...] = ()
    when: When = "always"
    count: str | None = None
    statistics: tuple[str, ...] = ()
    """The columns the later steps join, filter or group on, besides ``unique_key`` and
    ``index``: an incremental publish gathers statistics on those only. ANALYZE of every column
    of a wide table cost more than building it (a second at scale L for 26,000 redemptions,
    against a fifth of that for their keys); a full publish, and a build that declares none,
    analyzes every column."""

    def analyzed(self, *, full: bool) -> tuple[str, ...]:
        """The columns to ANALYZE (() = every column)."""
        if full or not self.statistics:
            return ()
        return tuple(dict.fromkeys((*self.unique_key, *self.index, *self.statistics)))


@dataclasses.dataclass(frozen=True)
class Merge:
    """Make read-model table ``target`` hold the rows of the built ``source``: all of them on a
    full publish, those within ``scope`` (a predicate on the target alias ``t``) otherwise. The
    unique key is the target's primary key (see :func:`merge`)."""

    target: Table
    source: str
    scope: str | None
    count: str
    deleted: str | None = None
    using: str | None = None
    """A scope table joined into the scope's delete (see :func:`merge`)."""
    fed: tuple[Feed, ...] = ()
    """Tables the target's triggers write: a bulk load fills them in one statement and builds
    their indexes after it too."""
    before: str | None = None
    """A built table of the target's rows within ``scope`` before the merge (see :func:`merge`)."""


@dataclasses.dataclass(frozen=True)
class Run:
    """The statement of ``sql/<file>`` (an UPDATE, an upsert), run in place."""

    file: str
    params: tuple[Parameter, ...] = ()
    count: str | None = None


@dataclasses.dataclass(frozen=True)
class Phase:
    """Steps reported as one progress step; ``tracked`` is the figure its tracker advances by."""

    description: str
    steps: tuple[Build | Merge | Run, ...]
    tracked: str | None = None


#: What the steps after them join, filter and group the discounts and redemptions of an
#: incremental publish on (:attr:`Build.statistics`).
REDEEMED_KEYS = ("order_discount_id", "order_line_id")
DISCOUNT_COLUMNS = (
    "order_id",
    "offer_id",
    "enterprise_customer_uuid",
    "user_id",
    "is_spend",
    "reject_reason",
)
REDEMPTION_COLUMNS = (
    "order_id",
    "offer_id",
    "enterprise_customer_uuid",
    "lms_user_id",
    "ecommerce_user_id",
    "is_refunded",
)

#: The publish, in order. Each relation is built from the ones before it; the old redemptions,
#: the offers in scope and the summaries before are read before the merge that changes them.
PHASES: tuple[Phase, ...] = (
    Phase(
        "transform learner-credit offers",
        (
            Build(
                "lc_offer",
                "transform/lc_offer.sql",
                unique_key=("offer_id",),
                statistics=("enterprise_customer_uuid", "reject_reason", "landed_run_id"),
            ),
            # Whose learner emails may be shown (data-sharing consent); the redemptions and the
            # scope of an incremental publish read it.
            Build(
                "email_policy",
                "transform/email_policy.sql",
                params=("hide_unknown",),
                unique_key=("enterprise_customer_uuid",),
            ),
        ),
    ),
    Phase(
        "transform scope",
        (
            Build("changed_offer", "transform/changed_offer.sql"),
            # Orders with a line or refund the landing could not read (their discounts are
            # rejected; an incremental scope includes those newly seen).
            Build("unreadable_order", "transform/unreadable_order.sql", unique_key=("order_id",)),
            Build(
                "scope_order",
                "transform/scope_order_full.sql",
                unique_key=("order_id",),
                when="full",
                count="scope_orders",
            ),
            Build("email_changed_offer", "transform/email_changed_offer.sql", when="incremental"),
            Build(
                "scope_order",
                "transform/scope_order_incremental.sql",
                params=("since_run",),
                unique_key=("order_id",),
                when="incremental",
                count="scope_orders",
            ),
        ),
    ),
    Phase(
        "transform order lines and discounts",
        (
            Build(
                "scoped_line",
                "transform/scoped_line.sql",
                params=("full",),
                index=("order_id",),
                statistics=("order_line_id", "reject_reason"),
            ),
            Build(
                "scoped_discount",
                "transform/scoped_discount.sql",
                params=("full",),
                index=("order_id",),
                statistics=("order_discount_id", *DISCOUNT_COLUMNS),
            ),
        ),
    ),
    Phase(
        "publish lcm.offer_redemption",
        (
            # The LMS facts of the scope's learners that a redemption takes (its email's consent,
            # its enrollment id), as sets to join: built whole on a full publish (hashed once,
            # where a lookup per redemption cost two index probes each), by index lookups for
            # the scope's learners otherwise.
            Build("scope_learner", "transform/scope_learner.sql", params=("full",)),
            Build(
                "granted_consent",
                "transform/granted_consent.sql",
                params=("full",),
            ),
            Build(
                "enterprise_enrollment",
                "transform/enterprise_enrollment.sql",
                params=("full",),
            ),
            Build(
                "new_offer_redemption",
                "transform/offer_redemption.sql",
                statistics=REDEEMED_KEYS + REDEMPTION_COLUMNS,
            ),
            Build(
                "old_redemption",
                "transform/old_redemption.sql",
                params=("full",),
                statistics=REDEEMED_KEYS + REDEMPTION_COLUMNS,
            ),
            Build(
                "scope_offer",
                "transform/scope_offer.sql",
                params=("since_run", "full"),
                unique_key=("offer_id",),
                count="scope_offers",
            ),
            Build("summary_before", "reconcile/summary_before.sql", when="incremental"),
            Merge(
                offer_redemption,
                "new_offer_redemption",
                scope="t.order_id IN (SELECT order_id FROM scope_order)",
                count="redemptions_written",
                deleted="redemptions_deleted",
                # The search-term triggers (migration 0009) fill it from the same statement.
                fed=(SEARCH_TERMS,),
                # Most redemptions of the orders in scope come out as they were.
                before="old_redemption",
            ),
        ),
        tracked="redemptions_written",
    ),
    Phase(
        "publish lcm.offer_summary",
        (
            Build(
                "new_offer_summary",
                "transform/offer_summary.sql",
                params=("full", "low_balance_fraction", "no_balance_amount", "data_as_of"),
                statistics=("offer_id", "enterprise_customer_uuid"),
            ),
            Merge(
                offer_summary,
                "new_offer_summary",
                scope="t.offer_id IN (SELECT offer_id FROM scope_offer)",
                count="summaries_written",
            ),
            Run(
                "transform/offer_summary_refresh.sql",
                params=("low_balance_fraction", "no_balance_amount", "data_as_of"),
            ),
        ),
        tracked="summaries_written",
    ),
    Phase(
        "publish lcm.offer_utilization_daily",
        (
            Build("new_offer_utilization_daily", "transform/offer_utilization_daily.sql"),
            Merge(
                offer_utilization_daily,
                "new_offer_utilization_daily",
                scope="s.offer_id = t.offer_id AND t.day >= s.start_day",
                count="daily_written",
                using="scope_offer AS s",
            ),
        ),
        tracked="daily_written",
    ),
    # One row per enterprise, recomputed whole each publish (one row per enterprise is small);
    # its "current" facts are as of data_as_of, so rows are rewritten when it moves.
    Phase(
        "publish lcm.enterprise_eligibility",
        (
            Build(
                "new_enterprise_eligibility",
                "transform/enterprise_eligibility.sql",
                params=("now",),
                statistics=("enterprise_customer_uuid",),
            ),
            Merge(
                enterprise_eligibility,
                "new_enterprise_eligibility",
                scope=None,
                count="eligibility_written",
            ),
        ),
        tracked="eligibility_written",
    ),
    # Insert or refresh the rows this publish rejects; resolve earlier ones that now pass.
    Phase(
        "record rejected rows",
        (
            Build("new_rejection", "transform/rejected_record.sql"),
            Run("transform/rejected_record_upsert.sql", params=("run_id",), count="rejected"),
            Run("transform/rejected_record_resolve.sql", params=("full",)),
        ),
        tracked="rejected",
    ),
)


def publish_read_model(
    conn: Connection,
    *,
    settings: Settings,
    full: bool,
    since_landing_run: int,
    run_id: int,
    data_as_of: dt.datetime,
    progress: ProgressReporter | None = None,
) -> PublishOutcome:
    """Recompute and merge the read model for what changed after ``since_landing_run``: the
    :data:`PHASES` in order, then the reconciliation."""
    progress = progress or NullProgress()
    values: dict[Parameter, Any] = {
        "full": full,
        "since_run": -1 if full else since_landing_run,
        "hide_unknown": settings.hide_emails_when_consent_unknown,
        "low_balance_fraction": settings.low_balance_fraction,
        "no_balance_amount": settings.no_balance_amount,
        "data_as_of": data_as_of,
        "now": data_as_of,
        "run_id": run_id,
    }
    counts = run_phases(conn, PHASES, full=full, values=values, progress=progress)

    with progress.step("reconcile read model"):
        enterprises = _reconcile(conn, full=full)

    return PublishOutcome(
        full=full,
        scope_orders=counts["scope_orders"],
        scope_offers=counts["scope_offers"],
        redemptions_written=counts["redemptions_written"],
        redemptions_deleted=counts["redemptions_deleted"],
        summaries_written=counts["summaries_written"],
        daily_written=counts["daily_written"],
        eligibility_written=counts["eligibility_written"],
        rejected=counts["rejected"],
        enterprises=enterprises,
    )


def run_phases(
    conn: Connection,
    phases: tuple[Phase, ...],
    *,
    full: bool,
    values: dict[Parameter, Any],
    progress: ProgressReporter,
) -> dict[str, int]:
    """Run declared ``phases`` in order, each as one progress step; return the outcome figures
    (each step's ``count``)."""
    counts: dict[str, int] = {}
    for phase in phases:
        with progress.step(phase.description) as tracker:
            for step in phase.steps:
                _run_step(conn, step, full=full, values=values, counts=counts)
            if phase.tracked is not None:
                tracker.advance(counts.get(phase.tracked, 0))
    return counts


def _run_step(
    conn: Connection,
    step: Build | Merge | Run,
    *,
    full: bool,
    values: dict[Parameter, Any],
    counts: dict[str, int],
) -> None:
    if isinstance(step, Build):
        if step.when != "always" and (step.when == "full") != full:
            return
        rows = _temp_table(
            conn,
            step.name,
            step.file,
            {p: values[p] for p in step.params},
            step.analyzed(full=full),
        )
        if step.unique_key:
            _index(conn, rows, f"CREATE UNIQUE INDEX ON {step.name} ({', '.join(step.unique_key)})")
        if step.index:
            _index(conn, rows, f"CREATE INDEX ON {step.name} ({', '.join(step.index)})")
        if step.count is not None:
            counts[step.count] = rows
    elif isinstance(step, Merge):
        written, deleted = merge(
            conn,
            step.target,
            step.source,
            scope=None if full else step.scope,
            using=None if full else step.using,
            fed=step.fed,
            before=step.before,
        )
        counts[step.count] = written
        if step.deleted is not None:
            counts[step.deleted] = deleted
    else:
        result = conn.execute(text(sqlfiles.load(step.file)), {p: values[p] for p in step.params})
        if step.count is not None:
            counts[step.count] = int(result.rowcount)


# With the enrollments search's term table, which the offer_redemption triggers rewrite along:
# without statistics the planner takes it for a few rows per enterprise and reads all of the
# enterprise's terms instead of using the trigram index (10-20x slower at scale M).
READ_MODEL_TABLES = (
    offer_redemption,
    offer_summary,
    offer_utilization_daily,
    enrollment_search_term,
)


def vacuum_read_model(conn: Connection) -> None:
    """VACUUM ANALYZE the tables a full publish rewrote (on an autocommit connection, after the
    commit): fresh statistics make the next incremental publish plan its small joins as index
    lookups, and a set visibility map lets the enrollments count be an index-only scan."""
    for table in READ_MODEL_TABLES:
        conn.execute(text(f"VACUUM (ANALYZE) {table.fullname}"))


def _reconcile(conn: Connection, *, full: bool) -> int:
    """Check the read model against the landed source; return how many enterprises were checked.

    A full publish checks every enterprise's whole history; an incremental one checks, per
    enterprise it touched, exactly what it recomputed (``reconcile/read_model_delta.sql``), so its
    cost follows the size of the change, not of the history.
    """
    if full:
        checked = _temp_table(conn, "scope_enterprise", "reconcile/scope_enterprise.sql")
        check = "reconcile/read_model.sql"
    else:
        checked = int(
            conn.execute(
                text("SELECT count(DISTINCT enterprise_customer_uuid) FROM scoped_discount")
            ).scalar_one()
        )
        check = "reconcile/read_model_delta.sql"
    mismatches = [dict(row._mapping) for row in conn.execute(text(sqlfiles.load(check)))]
    if mismatches:
        raise ReconciliationError(mismatches)
    return checked


__all__ = [
    "PublishOutcome",
    "ReconciliationError",
    "configure_session",
    "merge",
    "publish_read_model",
    "run_phases",
    "vacuum_read_model",
]
