"""Indexes for the enrollments page: an enterprise's enrollments newest first (its default order),
and trigram indexes for its search (email and course title "contains") where the server has the
pg_trgm extension.

The page lists 20 rows of an enterprise that may have 165,000: in the default order they are an
index range, and with the list price included its count is an index-only scan.

A search like ``search=wilson`` is ``user_email ILIKE '%wilson%'``: without a trigram index it
reads every redemption of the enterprise (165,000 rows for the largest demo enterprise, ~50 ms).
pg_trgm and btree_gin ship with PostgreSQL's contrib and are "trusted" (a database owner may
create them), so a real server has them; the embedded server (pgserver) does not, and there the
search keeps working, only slower. These indexes are therefore optional: the schema-vs-migration
test ignores names ending in ``_trgm``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ("user_email", "course_title")


def _available(name: str) -> bool:
    bind = op.get_bind()
    return bool(
        bind.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = :n)"),
            {"n": name},
        ).scalar_one()
    )


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_offer_redemption_enterprise_enrollment ON lcm.offer_redemption "
        "(enterprise_customer_uuid, enrollment_date DESC, order_discount_id DESC, "
        "order_line_id DESC) INCLUDE (course_list_price)"
    )
    if not (_available("pg_trgm") and _available("btree_gin")):
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for column in SEARCHED:
        # (tenant, text) in one GIN index: the search never leaves the enterprise's rows.
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_offer_redemption_{column}_trgm "
            f"ON lcm.offer_redemption USING gin (enterprise_customer_uuid, {column} gin_trgm_ops)"
        )


def downgrade() -> None:
    for column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS lcm.ix_offer_redemption_{column}_trgm")
    op.execute("DROP INDEX lcm.ix_offer_redemption_enterprise_enrollment")
