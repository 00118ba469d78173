"""The event path's index: an offer's refunded redemptions by refund day.

A publish recomputes an offer's daily utilization from the first day a change touches, refunds
included. Without this index that read went through every redemption of the offer to find its
refunds (66,000 redemptions for the largest offer at scale L, about a second per event-driven
pass); with it, the offer's few refunds from that day on. (The Pending orders a targeted pass
re-reads are found through the partial index of migration 0009.)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_offer_redemption_offer_refund_day ON lcm.offer_redemption "
        "(offer_id, ((refunded_at AT TIME ZONE 'UTC'::text)::date)) "
        "WHERE amount_refunded > 0::numeric AND refunded_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX lcm.ix_offer_redemption_offer_refund_day")
