"""Ledger era (issue 14): the analysts' views of budgets, their transactions and the depletion
forecast of both eras (``sql/views/*.sql``, one file per view), readable by ``lcm_reader`` with the
invoker's rights where the server supports it (PostgreSQL >= 15), like migration 0003's views.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS_DIR = Path(__file__).resolve().parents[2] / "sql" / "views"
VIEWS = ("v_budget", "v_budget_transaction", "v_depletion_forecast")


def upgrade() -> None:
    server = int(op.get_bind().execute(text("SHOW server_version_num")).scalar_one())
    for view in VIEWS:
        op.execute((VIEWS_DIR / f"{view}.sql").read_text(encoding="utf-8"))
        if server >= 150000:
            op.execute(f"ALTER VIEW lcm.{view} SET (security_invoker = true)")
        op.execute(f"GRANT SELECT ON lcm.{view} TO lcm_reader")


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS lcm.{view}")
