"""Ledger era: the transactions' external (GEAG, Exec Ed) order references. enterprise-subsidy's
transaction list shows their ids as ``external_reference``; they land from openedx-ledger's
``openedx_ledger_externaltransactionreference`` into ``lcm_raw`` (UNLOGGED, like every landing
table) and the read model keeps them on each transaction (``lcm.budget_transaction``, an array,
empty for most). The existing rows get an empty list; the next publish that reads the references
fills theirs.

Revision ID: 0015
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_externaltransactionreference",
        sa.Column("external_reference_id", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_fulfillment_provider_id", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "external_reference_id", name=op.f("pk_ledger_externaltransactionreference")
        ),
        schema="lcm_raw",
        comment=(
            "One row per openedx_ledger_externaltransactionreference (an external, GEAG/Exec Ed, "
            "order reference of a ledger transaction)."
        ),
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_ledger_externaltransactionreference_landed_run_id"),
        "ledger_externaltransactionreference",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ledger_externaltransactionreference_transaction_id"),
        "ledger_externaltransactionreference",
        ["transaction_id"],
        unique=False,
        schema="lcm_raw",
    )
    # Existing rows: no reference known yet. The default only fills them; rows are always
    # written whole by the publish.
    op.add_column(
        "budget_transaction",
        sa.Column(
            "external_reference",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        schema="lcm",
    )
    op.alter_column("budget_transaction", "external_reference", server_default=None, schema="lcm")


def downgrade() -> None:
    op.drop_column("budget_transaction", "external_reference", schema="lcm")
    op.drop_index(
        op.f("ix_ledger_externaltransactionreference_transaction_id"),
        table_name="ledger_externaltransactionreference",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ledger_externaltransactionreference_landed_run_id"),
        table_name="ledger_externaltransactionreference",
        schema="lcm_raw",
    )
    op.drop_table("ledger_externaltransactionreference", schema="lcm_raw")
