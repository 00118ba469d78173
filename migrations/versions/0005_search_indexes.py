"""The enrollments page's index: an enterprise's enrollments newest first (the page's default
order and its tie-breakers), with the list price included.

The page lists 20 rows of an enterprise that may have 165,000: in the default order they are an
index range, and its count an index-only scan. (Trigram indexes for the "contains" searches were
tried and dropped: the API reads as lcm_portal under row-level security, and ILIKE is not
LEAKPROOF, so the planner may not use them there, while maintaining them tripled the cost of a
full publish — see docs/benchmarks.md.)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_offer_redemption_enterprise_enrollment ON lcm.offer_redemption "
        "(enterprise_customer_uuid, enrollment_date DESC, order_discount_id DESC, "
        "order_line_id DESC) INCLUDE (course_list_price)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX lcm.ix_offer_redemption_enterprise_enrollment")
