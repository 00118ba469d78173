"""The event path's index: landed orders that are not Complete yet.

Every ingest that is not full re-reads the landed orders still pending (ecommerce's order_order
has no modification time to follow), and a targeted pass needs only those of the enterprises its
events name. A partial index holds just the pending orders — a small, slowly changing share of
all orders — so neither kind of pass reads every landed order to find them.

Revision ID: 0010
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_ecommerce_order_pending ON lcm_raw.ecommerce_order (id) "
        "WHERE status <> 'Complete'::text"
    )


def downgrade() -> None:
    op.execute("DROP INDEX lcm_raw.ix_ecommerce_order_pending")
