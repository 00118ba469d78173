"""Publish the ledger era's read model (budgets) from ``lcm_raw``, inside the publish transaction.

Like the offers' publish: what changed since the landing the last publish consumed is found
first (``sql/transform/ledger_*scope*.sql``), then each table is recomputed for that scope into a
temporary table and merged (identical rows untouched), then the read model is reconciled with
the landed ledger rows; a mismatch raises and the whole publish rolls back.

Order matters: ``lcm.subsidy_balance`` first, since a budget's available amount is capped by its
subsidy's balance.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, select, text, update

from lcm_etl import sqlfiles
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.publish import _temp_table, merge
from lcm_etl.schema import (
    budget,
    budget_assignment,
    budget_transaction,
    budget_utilization_daily,
    rejected_record,
    subsidy_balance,
    watermark,
)

SUBSIDY_SOURCE = "subsidy"
ACCESS_SOURCE = "access"


class LedgerReconciliationError(RuntimeError):
    """The budgets' read model does not add up to the landed ledger; the publish must not commit."""

    def __init__(self, mismatches: list[dict[str, Any]]) -> None:
        self.mismatches = mismatches
        lines = [
            (
                f"subsidy {m['subsidy_uuid']}: landed balance {m['landed_balance']} vs read model "
                f"{m['read_model_balance']}, landed deposits {m['landed_deposits']} vs "
                f"{m['read_model_deposits']}, policy-attributed spend {m['attributed_spend']} − "
                f"rejected {m['rejected_spend']} vs budgets' spent {m['budgets_spent']}"
            )
            for m in mismatches[:10]
        ]
        more = f" (and {len(mismatches) - 10} more)" if len(mismatches) > 10 else ""
        super().__init__(
            f"ledger reconciliation failed for {len(mismatches)} subsidy(ies){more}: "
            + "; ".join(lines)
        )


@dataclasses.dataclass(frozen=True)
class LedgerPublishOutcome:
    scope_subsidies: int
    scope_budgets: int
    subsidies_written: int
    budgets_written: int
    transactions_written: int
    assignments_written: int
    daily_written: int
    rejected: int

    def counts(self) -> dict[str, int]:
        return {f"ledger.{k}": v for k, v in dataclasses.asdict(self).items()}


def _source_read(conn: Connection, source: str) -> bool:
    """Whether an ingest has read this ledger-era source (its tables carry a watermark)."""
    marked = conn.execute(
        select(func.count()).select_from(watermark).where(watermark.c.source == source)
    ).scalar_one()
    return bool(marked)


def publish_ledger(
    conn: Connection,
    *,
    full: bool,
    since_landing_run: int,
    run_id: int,
    data_as_of: dt.datetime,
    progress: ProgressReporter | None = None,
) -> LedgerPublishOutcome:
    """Recompute and merge the budgets' read model for what landed after ``since_landing_run``."""
    progress = progress or NullProgress()
    scope = {"full": full, "since_run": -1 if full else since_landing_run}
    stamped = {**scope, "data_as_of": data_as_of}
    access_read = _source_read(conn, ACCESS_SOURCE)

    with progress.step("transform ledger scope"):
        _temp_table(conn, "ledger_changed_policy", "transform/ledger_changed_policy.sql", scope)
        subsidies = _temp_table(
            conn, "ledger_scope_subsidy", "transform/ledger_scope_subsidy.sql", scope
        )
        budgets = _temp_table(
            conn, "ledger_scope_policy", "transform/ledger_scope_policy.sql", scope
        )
        _temp_table(
            conn, "ledger_scope_transaction", "transform/ledger_scope_transaction.sql", scope
        )

    def in_scope(column: str, temp: str, key: str) -> str | None:
        # Identifiers are code constants, never input.
        return None if full else f"t.{column} IN (SELECT {key}::uuid FROM {temp})"  # noqa: S608

    with progress.step("publish lcm.subsidy_balance") as tracker:
        _temp_table(conn, "new_subsidy_balance", "transform/subsidy_balance.sql", stamped)
        subsidies_written, _ = merge(
            conn,
            subsidy_balance,
            "new_subsidy_balance",
            scope=in_scope("subsidy_uuid", "ledger_scope_subsidy", "subsidy_key"),
        )
        tracker.advance(subsidies_written)

    with progress.step("publish lcm.budget") as tracker:
        _temp_table(conn, "new_budget", "transform/budget.sql", stamped)
        budgets_written, _ = merge(
            conn,
            budget,
            "new_budget",
            scope=in_scope("policy_uuid", "ledger_scope_policy", "policy_key"),
        )
        tracker.advance(budgets_written)

    with progress.step("publish lcm.budget_transaction") as tracker:
        _temp_table(conn, "new_budget_transaction", "transform/budget_transaction.sql", scope)
        transactions_written, _ = merge(
            conn,
            budget_transaction,
            "new_budget_transaction",
            scope=in_scope("transaction_uuid", "ledger_scope_transaction", "transaction_key"),
        )
        tracker.advance(transactions_written)

    with progress.step("publish lcm.budget_assignment") as tracker:
        _temp_table(conn, "new_budget_assignment", "transform/budget_assignment.sql", scope)
        assignments_written, _ = merge(
            conn,
            budget_assignment,
            "new_budget_assignment",
            scope=None
            if full
            else "t.assignment_uuid IN (SELECT assignment_uuid FROM new_budget_assignment)",
        )
        tracker.advance(assignments_written)

    with progress.step("publish lcm.budget_utilization_daily") as tracker:
        _temp_table(
            conn, "new_budget_utilization_daily", "transform/budget_utilization_daily.sql", scope
        )
        daily_written, _ = merge(
            conn,
            budget_utilization_daily,
            "new_budget_utilization_daily",
            scope=in_scope("policy_uuid", "ledger_scope_policy", "policy_key"),
        )
        tracker.advance(daily_written)

    with progress.step("record ledger rejections"):
        rejected = _record_rejections(conn, run_id=run_id, full=full, access_read=access_read)

    with progress.step("reconcile ledger read model"):
        mismatches = [
            dict(row._mapping)
            for row in conn.execute(
                text(sqlfiles.load("reconcile/ledger_balance.sql")), {"access_read": access_read}
            )
        ]
        if mismatches:
            raise LedgerReconciliationError(mismatches)

    return LedgerPublishOutcome(
        scope_subsidies=subsidies,
        scope_budgets=budgets,
        subsidies_written=subsidies_written,
        budgets_written=budgets_written,
        transactions_written=transactions_written,
        assignments_written=assignments_written,
        daily_written=daily_written,
        rejected=rejected,
    )


def _record_rejections(conn: Connection, *, run_id: int, full: bool, access_read: bool) -> int:
    """Insert or refresh this publish's ledger rejections; resolve the ones it no longer sees."""
    count = _temp_table(
        conn,
        "new_ledger_rejection",
        "transform/ledger_rejected_record.sql",
        {"access_read": access_read},
    )
    conn.execute(
        text(
            "INSERT INTO lcm_raw.rejected_record AS t (source, source_table, natural_key, reason, "
            "enterprise_customer_uuid, amount, payload, stage, first_run_id, last_run_id) "
            "SELECT :source, source_table, natural_key, reason, enterprise_customer_uuid, "
            "amount_cents / 100.0, payload, 'transform', :run_id, :run_id "
            "FROM new_ledger_rejection "
            "ON CONFLICT (source, source_table, natural_key, reason) DO UPDATE SET "
            "enterprise_customer_uuid = excluded.enterprise_customer_uuid, "
            "amount = excluded.amount, payload = excluded.payload, "
            "last_run_id = excluded.last_run_id, last_seen_at = now(), resolved_at = NULL"
        ),
        {"source": SUBSIDY_SOURCE, "run_id": run_id},
    )
    # Rejections of subsidies this publish checked again and did not reproduce are resolved.
    checked = select(text("n.natural_key")).select_from(text("new_ledger_rejection AS n"))
    statement = (
        update(rejected_record)
        .where(
            rejected_record.c.source == SUBSIDY_SOURCE,
            rejected_record.c.stage == "transform",
            rejected_record.c.resolved_at.is_(None),
            rejected_record.c.natural_key.not_in(checked),
        )
        .values(resolved_at=func.now())
    )
    if not full:
        scoped = text(
            "natural_key IN (SELECT t.uuid FROM lcm_raw.ledger_transaction AS t "
            "JOIN lcm_raw.subsidy_subsidy AS s ON s.ledger_id = t.ledger_id "
            "JOIN ledger_scope_subsidy AS k ON k.subsidy_key = s.uuid)"
        )
        statement = statement.where(scoped)
    conn.execute(statement)
    return count


READ_MODEL_TABLES = (
    subsidy_balance,
    budget,
    budget_transaction,
    budget_assignment,
    budget_utilization_daily,
)

__all__ = [
    "READ_MODEL_TABLES",
    "LedgerPublishOutcome",
    "LedgerReconciliationError",
    "publish_ledger",
]
