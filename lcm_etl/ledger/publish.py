"""Publish the ledger era's read model (budgets) from ``lcm_raw``, inside the publish transaction.

Like the offers' publish, it is a declared list of steps (:data:`PHASES`, run by
:func:`lcm_etl.publish.run_phases`): what changed since the landing the last publish consumed is
found first (``sql/transform/ledger_*scope*.sql``), then each table is recomputed for that scope
into a temporary table and merged (identical rows untouched), the transform rejections are
recorded and resolved, and the read model is reconciled with the landed ledger rows; a mismatch
raises and the whole publish rolls back.

Order matters: ``lcm.subsidy_balance`` first, since a budget's available amount is capped by its
subsidy's balance.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, select, text

from lcm_etl import sqlfiles
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.publish import Build, Merge, Parameter, Phase, Run, run_phases
from lcm_etl.schema import (
    budget,
    budget_assignment,
    budget_transaction,
    budget_utilization_daily,
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


#: The ledger publish, in order. The scope tables come first; each read-model table is built and
#: merged in turn (subsidies before budgets: a budget is capped by its subsidy's balance); then
#: the rejections. A full publish merges every row (the scopes are then everything).
PHASES: tuple[Phase, ...] = (
    Phase(
        "transform ledger scope",
        (
            Build(
                "ledger_changed_policy",
                "transform/ledger_changed_policy.sql",
                params=("full", "since_run"),
            ),
            Build(
                "ledger_scope_subsidy",
                "transform/ledger_scope_subsidy.sql",
                params=("full", "since_run"),
                count="scope_subsidies",
            ),
            Build(
                "ledger_scope_policy", "transform/ledger_scope_policy.sql", count="scope_budgets"
            ),
            Build(
                "ledger_scope_transaction",
                "transform/ledger_scope_transaction.sql",
                params=("full", "since_run"),
            ),
        ),
    ),
    Phase(
        "publish lcm.subsidy_balance",
        (
            Build("new_subsidy_balance", "transform/subsidy_balance.sql", params=("data_as_of",)),
            Merge(
                subsidy_balance,
                "new_subsidy_balance",
                scope="t.subsidy_uuid IN (SELECT subsidy_key::uuid FROM ledger_scope_subsidy)",
                count="subsidies_written",
            ),
        ),
        tracked="subsidies_written",
    ),
    Phase(
        "publish lcm.budget",
        (
            Build("new_budget", "transform/budget.sql", params=("data_as_of",)),
            Merge(
                budget,
                "new_budget",
                scope="t.policy_uuid IN (SELECT policy_key::uuid FROM ledger_scope_policy)",
                count="budgets_written",
            ),
        ),
        tracked="budgets_written",
    ),
    Phase(
        "publish lcm.budget_transaction",
        (
            Build("new_budget_transaction", "transform/budget_transaction.sql"),
            Merge(
                budget_transaction,
                "new_budget_transaction",
                scope=(
                    "t.transaction_uuid IN "
                    "(SELECT transaction_key::uuid FROM ledger_scope_transaction)"
                ),
                count="transactions_written",
            ),
        ),
        tracked="transactions_written",
    ),
    Phase(
        "publish lcm.budget_assignment",
        (
            Build(
                "new_budget_assignment",
                "transform/budget_assignment.sql",
                params=("full", "since_run"),
            ),
            Merge(
                budget_assignment,
                "new_budget_assignment",
                scope="t.assignment_uuid IN (SELECT assignment_uuid FROM new_budget_assignment)",
                count="assignments_written",
            ),
        ),
        tracked="assignments_written",
    ),
    Phase(
        "publish lcm.budget_utilization_daily",
        (
            Build("new_budget_utilization_daily", "transform/budget_utilization_daily.sql"),
            Merge(
                budget_utilization_daily,
                "new_budget_utilization_daily",
                scope="t.policy_uuid IN (SELECT policy_key::uuid FROM ledger_scope_policy)",
                count="daily_written",
            ),
        ),
        tracked="daily_written",
    ),
    # Insert or refresh this publish's rejections; resolve the ones of the subsidies it checked
    # again that it no longer sees.
    Phase(
        "record ledger rejections",
        (
            Build(
                "new_ledger_rejection",
                "transform/ledger_rejected_record.sql",
                params=("access_read",),
                count="rejected",
            ),
            Run("transform/ledger_rejected_record_upsert.sql", params=("run_id",)),
            Run("transform/ledger_rejected_record_resolve.sql", params=("full",)),
        ),
        tracked="rejected",
    ),
)


def publish_ledger(
    conn: Connection,
    *,
    full: bool,
    since_landing_run: int,
    run_id: int,
    data_as_of: dt.datetime,
    progress: ProgressReporter | None = None,
) -> LedgerPublishOutcome:
    """Recompute and merge the budgets' read model for what landed after ``since_landing_run``:
    the :data:`PHASES` in order, then the reconciliation."""
    progress = progress or NullProgress()
    access_read = _source_read(conn, ACCESS_SOURCE)
    values: dict[Parameter, Any] = {
        "full": full,
        "since_run": -1 if full else since_landing_run,
        "data_as_of": data_as_of,
        "run_id": run_id,
        "access_read": access_read,
    }
    counts = run_phases(conn, PHASES, full=full, values=values, progress=progress)

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
        **{field.name: counts[field.name] for field in dataclasses.fields(LedgerPublishOutcome)}
    )


READ_MODEL_TABLES = (
    subsidy_balance,
    budget,
    budget_transaction,
    budget_assignment,
    budget_utilization_daily,
)

__all__ = [
    "PHASES",
    "READ_MODEL_TABLES",
    "LedgerPublishOutcome",
    "LedgerReconciliationError",
    "publish_ledger",
]
