"""lcm.jsonb_or_text(value): a ledger row's metadata as JSON when it parses, else as a JSON string.

The ledger transform used ``pg_input_is_valid``, which PostgreSQL 15 does not have (it came in
16); the read model supports 15 (the benchmarks run on it), so the check is a small PL/pgSQL
function that catches the cast's error instead.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION lcm.jsonb_or_text(value text) RETURNS jsonb
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$
        BEGIN
            RETURN value::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            RETURN to_jsonb(value);
        END
        $$
        """
    )
    op.execute(
        "COMMENT ON FUNCTION lcm.jsonb_or_text(text) IS "
        "'The text as JSON when it parses, else the text as a JSON string (NULL stays NULL).'"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION lcm.jsonb_or_text(text)")
