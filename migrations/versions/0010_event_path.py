"""The event path's indexes: a targeted pass reads what its enterprises own.

- Landed orders that are not Complete yet. Every ingest that is not full re-reads the landed
  orders still pending (ecommerce's order_order has no modification time to follow), and a
  targeted pass needs only those of the enterprises its events name. A partial index holds just
  the pending orders — a small, slowly changing share of all orders — so no pass reads every
  landed order to find them.
- An offer's refunded redemptions by refund day. A publish recomputes an offer's daily
  utilization from the first day a change touches, refunds included; without it that read went
  through every redemption of the offer (66,000 for the largest at scale L) to find its refunds.

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
    op.execute(
        "CREATE INDEX ix_offer_redemption_offer_refund_day ON lcm.offer_redemption "
        "(offer_id, ((refunded_at AT TIME ZONE 'UTC'::text)::date)) "
        "WHERE amount_refunded > 0::numeric AND refunded_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX lcm.ix_offer_redemption_offer_refund_day")
    op.execute("DROP INDEX lcm_raw.ix_ecommerce_order_pending")
