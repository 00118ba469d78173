"""lcm.balance_state(max_discount, amount_spent, low_balance_fraction, no_balance_amount): the
balance state rule, in one place for every SQL statement that needs it.

``uncapped`` without a cap; ``depleted`` when what remains (cap − spent, unclamped) is at or below
the dollar threshold; ``low`` when the spend is above the fraction of the cap (amounts compared,
never a rounded percentage); else ``ok``. The request-time twin in Python is
``lcm_etl.queries.balance.balance_state``; a property test holds the two equal.

A plain SQL function, IMMUTABLE and PARALLEL SAFE, so the planner inlines it into the statements
that call it.

Revision ID: 0006
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION lcm.balance_state(
            max_discount numeric,
            amount_spent numeric,
            low_balance_fraction numeric,
            no_balance_amount numeric
        ) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$
            SELECT CASE
                WHEN max_discount IS NULL THEN 'uncapped'
                WHEN max_discount - amount_spent <= no_balance_amount THEN 'depleted'
                WHEN amount_spent > low_balance_fraction * max_discount THEN 'low'
                ELSE 'ok'
            END
        $$
        """
    )
    op.execute(
        "COMMENT ON FUNCTION lcm.balance_state(numeric, numeric, numeric, numeric) IS "
        "'An offer''s balance state from its cap, its net spend and the two thresholds.'"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION lcm.balance_state(numeric, numeric, numeric, numeric)")
