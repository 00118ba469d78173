"""Orchestration: event-bus landing (lcm_raw) and balance-alert notifications (lcm).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "event_bus_event",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("event_time", TZ, nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column("enterprise_uuids", postgresql.ARRAY(sa.UUID()), nullable=True),
        sa.Column("received_at", TZ, server_default=NOW, nullable=False),
        sa.Column("processed_at", TZ, nullable=True),
        sa.Column("refresh", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_bus_event")),
        schema="lcm_raw",
        comment=(
            "One row per Open edX event-bus event (deduplicated on the event id), with the "
            "enterprises it touches and whether the refresh it triggers has run."
        ),
    )
    op.create_index(
        op.f("ix_event_bus_event_processed_at"),
        "event_bus_event",
        ["processed_at"],
        unique=False,
        schema="lcm_raw",
    )

    op.create_table(
        "offer_balance_state",
        sa.Column("offer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("balance_state", sa.Text(), nullable=False),
        sa.Column("transition_count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", TZ, server_default=NOW, nullable=False),
        sa.Column("changed_at", TZ, server_default=NOW, nullable=False),
        sa.Column("data_as_of", TZ, nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_offer_balance_state")),
        schema="lcm",
        comment="One row per offer: the balance_state the alert check last saw.",
    )

    op.create_table(
        "balance_alert",
        sa.Column("alert_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("transition_seq", sa.Integer(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=True),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("recipients", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data_as_of", TZ, nullable=False),
        sa.Column("detected_at", TZ, server_default=NOW, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_attempt_at", TZ, nullable=True),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_balance_alert")),
        sa.UniqueConstraint(
            "offer_id", "transition_seq", name=op.f("uq_balance_alert_offer_id_transition_seq")
        ),
        schema="lcm",
        comment=(
            "One row per offer per balance_state transition worth a notification (to low, to "
            "depleted, back to ok), with its delivery status."
        ),
    )
    op.create_index(
        op.f("ix_balance_alert_status"), "balance_alert", ["status"], unique=False, schema="lcm"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_balance_alert_status"), table_name="balance_alert", schema="lcm")
    op.drop_table("balance_alert", schema="lcm")
    op.drop_table("offer_balance_state", schema="lcm")
    op.drop_index(
        op.f("ix_event_bus_event_processed_at"), table_name="event_bus_event", schema="lcm_raw"
    )
    op.drop_table("event_bus_event", schema="lcm_raw")
