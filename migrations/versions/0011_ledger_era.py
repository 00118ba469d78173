"""Ledger era (issue 14): enterprise-subsidy and enterprise-access landing (lcm_raw, UNLOGGED like
the other landing tables) and the budgets' read model (lcm), with the portal role's row-level
security on every new tenant table and ``lcm.ledger_owner(uuid)``, which tells the API which
enterprise a budget, subsidy or assignment configuration belongs to before it opens the tenant's
transaction (SECURITY DEFINER: it reveals only that mapping).

Revision ID: 0011
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget",
        sa.Column("policy_uuid", sa.UUID(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("subsidy_uuid", sa.UUID(), nullable=False),
        sa.Column("policy_type", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("catalog_uuid", sa.UUID(), nullable=True),
        sa.Column("access_method", sa.Text(), nullable=False),
        sa.Column("spend_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("per_learner_spend_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("per_learner_enrollment_limit", sa.BigInteger(), nullable=True),
        sa.Column("late_redemption_allowed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignment_configuration_uuid", sa.UUID(), nullable=True),
        sa.Column("assignment_configuration_active", sa.Boolean(), nullable=True),
        sa.Column("bnr_enabled", sa.Boolean(), nullable=False),
        sa.Column("group_uuids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("subsidy_available", sa.Boolean(), nullable=False),
        sa.Column("subsidy_active_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subsidy_expiration_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subsidy_internal_only", sa.Boolean(), nullable=True),
        sa.Column("spent_cents", sa.BigInteger(), nullable=False),
        sa.Column("allocated_cents", sa.BigInteger(), nullable=False),
        sa.Column("subsidy_balance_cents", sa.BigInteger(), nullable=True),
        sa.Column("spend_available_cents", sa.BigInteger(), nullable=True),
        sa.Column("total_deposits_for_subsidy_cents", sa.BigInteger(), nullable=True),
        sa.Column("total_spend_limits_for_subsidy_cents", sa.BigInteger(), nullable=True),
        sa.Column("redemption_count", sa.BigInteger(), nullable=False),
        sa.Column("learner_count", sa.BigInteger(), nullable=False),
        sa.Column("first_spend_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_spend_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("policy_uuid", name=op.f("pk_budget")),
        schema="lcm",
        comment="One row per enterprise-access subsidy access policy (a budget) with spent, allocated and available as the services compute them, in integer USD cents.",
    )
    op.create_index(
        op.f("ix_budget_enterprise_customer_uuid"),
        "budget",
        ["enterprise_customer_uuid"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "budget_assignment",
        sa.Column("assignment_uuid", sa.UUID(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("assignment_configuration_uuid", sa.UUID(), nullable=False),
        sa.Column("policy_uuid", sa.UUID(), nullable=True),
        sa.Column("learner_email", sa.Text(), nullable=False),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column("content_key", sa.Text(), nullable=False),
        sa.Column("parent_content_key", sa.Text(), nullable=True),
        sa.Column("is_assigned_course_run", sa.Boolean(), nullable=False),
        sa.Column("content_title", sa.Text(), nullable=True),
        sa.Column("content_quantity_cents", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("transaction_uuid", sa.UUID(), nullable=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("learner_state", sa.Text(), nullable=True),
        sa.Column("learner_state_sort_order", sa.Integer(), nullable=False),
        sa.Column("recent_action", sa.Text(), nullable=False),
        sa.Column("recent_action_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error_reason", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("actions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "earliest_possible_expiration", postgresql.JSONB(astext_type=sa.Text()), nullable=True
        ),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("assignment_uuid", name=op.f("pk_budget_assignment")),
        schema="lcm",
        comment="One row per learner content assignment of a landed assignment configuration (the budget's Assigned table), with its derived learner_state and recent action.",
    )
    op.create_index(
        op.f("ix_budget_assignment_assignment_configuration_uuid"),
        "budget_assignment",
        ["assignment_configuration_uuid"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "budget_transaction",
        sa.Column("transaction_uuid", sa.UUID(), nullable=False),
        sa.Column("subsidy_uuid", sa.UUID(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("policy_uuid", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("quantity_cents", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column("lms_user_email", sa.Text(), nullable=True),
        sa.Column("content_key", sa.Text(), nullable=True),
        sa.Column("parent_content_key", sa.Text(), nullable=True),
        sa.Column("content_title", sa.Text(), nullable=True),
        sa.Column("course_run_start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfillment_identifier", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversal_uuid", sa.UUID(), nullable=True),
        sa.Column("reversal_state", sa.Text(), nullable=True),
        sa.Column("reversal_quantity_cents", sa.BigInteger(), nullable=True),
        sa.Column("reversal_idempotency_key", sa.Text(), nullable=True),
        sa.Column("reversal_metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reversal_created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversal_modified", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("transaction_uuid", name=op.f("pk_budget_transaction")),
        schema="lcm",
        comment="One row per ledger transaction of a landed subsidy (the budget's Spent table), with its reversal; amounts in signed USD cents as the ledger holds them.",
    )
    op.create_index(
        op.f("ix_budget_transaction_policy_uuid_created"),
        "budget_transaction",
        ["policy_uuid", "created"],
        unique=False,
        schema="lcm",
    )
    op.create_index(
        op.f("ix_budget_transaction_subsidy_uuid_created"),
        "budget_transaction",
        ["subsidy_uuid", "created"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "budget_utilization_daily",
        sa.Column("policy_uuid", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("spent_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("policy_uuid", "day", name=op.f("pk_budget_utilization_daily")),
        schema="lcm",
        comment="One row per budget per UTC day with spend or refund activity (days without activity are omitted); the depletion forecast's input.",
    )
    op.create_index(
        op.f("ix_budget_utilization_daily_enterprise_customer_uuid"),
        "budget_utilization_daily",
        ["enterprise_customer_uuid"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "subsidy_balance",
        sa.Column("subsidy_uuid", sa.UUID(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("ledger_uuid", sa.UUID(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=True),
        sa.Column("reference_type", sa.Text(), nullable=False),
        sa.Column("revenue_category", sa.Text(), nullable=False),
        sa.Column("active_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiration_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("internal_only", sa.Boolean(), nullable=False),
        sa.Column("is_soft_deleted", sa.Boolean(), nullable=False),
        sa.Column("starting_balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_deposits_cents", sa.BigInteger(), nullable=False),
        sa.Column("current_balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_spend_limits_cents", sa.BigInteger(), nullable=False),
        sa.Column("transaction_count", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subsidy_uuid", name=op.f("pk_subsidy_balance")),
        schema="lcm",
        comment="One row per enterprise-subsidy subsidy with its ledger's balance and deposits.",
    )
    op.create_index(
        op.f("ix_subsidy_balance_enterprise_customer_uuid"),
        "subsidy_balance",
        ["enterprise_customer_uuid"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "access_assignmentconfiguration",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.Text(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_access_assignmentconfiguration")),
        schema="lcm_raw",
        comment="One row per enterprise-access assignment configuration.",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_access_assignmentconfiguration_landed_run_id"),
        "access_assignmentconfiguration",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "access_learnercontentassignment",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("learner_email", sa.Text(), nullable=False),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column("content_key", sa.Text(), nullable=False),
        sa.Column("content_quantity", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("transaction_uuid", sa.Text(), nullable=True),
        sa.Column("assignment_configuration_id", sa.Text(), nullable=True),
        sa.Column("content_title", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("errored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_assigned_course_run", sa.Boolean(), nullable=False),
        sa.Column("parent_content_key", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_access_learnercontentassignment")),
        schema="lcm_raw",
        comment="One row per enterprise-access learner content assignment (an earmark of money).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_access_learnercontentassignment_assignment_configuration_id"),
        "access_learnercontentassignment",
        ["assignment_configuration_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_access_learnercontentassignment_landed_run_id"),
        "access_learnercontentassignment",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "access_learnercontentassignmentaction",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action_type", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("assignment_id", sa.Text(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_access_learnercontentassignmentaction")),
        schema="lcm_raw",
        comment="One row per action on an assignment (notified, reminded, errors...).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_access_learnercontentassignmentaction_assignment_id"),
        "access_learnercontentassignmentaction",
        ["assignment_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_access_learnercontentassignmentaction_landed_run_id"),
        "access_learnercontentassignmentaction",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "access_learnercreditrequestconfiguration",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_access_learnercreditrequestconfiguration")),
        schema="lcm_raw",
        comment="One row per enterprise-access Browse-and-Request configuration of a policy.",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_access_learnercreditrequestconfiguration_landed_run_id"),
        "access_learnercreditrequestconfiguration",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "access_policygroupassociation",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_group_uuid", sa.Text(), nullable=True),
        sa.Column("subsidy_access_policy_id", sa.Text(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_policygroupassociation")),
        schema="lcm_raw",
        comment="One row per (policy, enterprise group) restriction of a budget.",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_access_policygroupassociation_landed_run_id"),
        "access_policygroupassociation",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_access_policygroupassociation_subsidy_access_policy_id"),
        "access_policygroupassociation",
        ["subsidy_access_policy_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "access_subsidyaccesspolicy",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("catalog_uuid", sa.Text(), nullable=False),
        sa.Column("subsidy_uuid", sa.Text(), nullable=False),
        sa.Column("access_method", sa.Text(), nullable=False),
        sa.Column("per_learner_enrollment_limit", sa.Integer(), nullable=True),
        sa.Column("per_learner_spend_limit", sa.Integer(), nullable=True),
        sa.Column("spend_limit", sa.Integer(), nullable=True),
        sa.Column("enterprise_customer_uuid", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("assignment_configuration_id", sa.Text(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("late_redemption_allowed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("learner_credit_request_config_id", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_access_subsidyaccesspolicy")),
        schema="lcm_raw",
        comment="One row per enterprise-access subsidy access policy (a budget).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_access_subsidyaccesspolicy_landed_run_id"),
        "access_subsidyaccesspolicy",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_access_subsidyaccesspolicy_subsidy_uuid"),
        "access_subsidyaccesspolicy",
        ["subsidy_uuid"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ledger_adjustment",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adjustment_quantity", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ledger_id", sa.Text(), nullable=False),
        sa.Column("transaction_id", sa.Text(), nullable=False),
        sa.Column("transaction_of_interest_id", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_ledger_adjustment")),
        schema="lcm_raw",
        comment="One row per openedx_ledger_adjustment (a staff correction of total deposits).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_ledger_adjustment_landed_run_id"),
        "ledger_adjustment",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ledger_adjustment_transaction_id"),
        "ledger_adjustment",
        ["transaction_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ledger_deposit",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("desired_deposit_quantity", sa.BigInteger(), nullable=False),
        sa.Column("sales_contract_reference_id", sa.Text(), nullable=True),
        sa.Column("ledger_id", sa.Text(), nullable=False),
        sa.Column("transaction_id", sa.Text(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_ledger_deposit")),
        schema="lcm_raw",
        comment="One row per openedx_ledger_deposit (the initial deposit and every top-up).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_ledger_deposit_landed_run_id"),
        "ledger_deposit",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ledger_deposit_transaction_id"),
        "ledger_deposit",
        ["transaction_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ledger_reversal",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("transaction_id", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_ledger_reversal")),
        schema="lcm_raw",
        comment="One row per openedx_ledger_reversal (the full refund of one transaction).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_ledger_reversal_landed_run_id"),
        "ledger_reversal",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ledger_reversal_transaction_id"),
        "ledger_reversal",
        ["transaction_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ledger_transaction",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column("ledger_id", sa.Text(), nullable=True),
        sa.Column("content_key", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("subsidy_access_policy_uuid", sa.Text(), nullable=True),
        sa.Column("fulfillment_identifier", sa.Text(), nullable=True),
        sa.Column("content_title", sa.Text(), nullable=True),
        sa.Column("lms_user_email", sa.Text(), nullable=True),
        sa.Column("parent_content_key", sa.Text(), nullable=True),
        sa.Column("course_run_start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_ledger_transaction")),
        schema="lcm_raw",
        comment="One row per openedx_ledger_transaction (a signed movement of value in USD cents); also written by the ledger events, never moving a state backwards.",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_ledger_transaction_fulfillment_identifier"),
        "ledger_transaction",
        ["fulfillment_identifier"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ledger_transaction_landed_run_id"),
        "ledger_transaction",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ledger_transaction_ledger_id"),
        "ledger_transaction",
        ["ledger_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "subsidy_subsidy",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("starting_balance", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=True),
        sa.Column("reference_type", sa.Text(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.Text(), nullable=False),
        sa.Column("active_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiration_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_id", sa.Text(), nullable=True),
        sa.Column("internal_only", sa.Boolean(), nullable=False),
        sa.Column("revenue_category", sa.Text(), nullable=False),
        sa.Column("is_soft_deleted", sa.Boolean(), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_subsidy_subsidy")),
        schema="lcm_raw",
        comment="One row per enterprise-subsidy subsidy_subsidy (a learner-credit plan, one ledger).",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_subsidy_subsidy_enterprise_customer_uuid"),
        "subsidy_subsidy",
        ["enterprise_customer_uuid"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_subsidy_subsidy_landed_run_id"),
        "subsidy_subsidy",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_subsidy_subsidy_ledger_id"),
        "subsidy_subsidy",
        ["ledger_id"],
        unique=False,
        schema="lcm_raw",
    )

    _secure()


def downgrade() -> None:
    _unsecure()
    op.drop_index(
        op.f("ix_subsidy_subsidy_ledger_id"), table_name="subsidy_subsidy", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_subsidy_subsidy_landed_run_id"), table_name="subsidy_subsidy", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_subsidy_subsidy_enterprise_customer_uuid"),
        table_name="subsidy_subsidy",
        schema="lcm_raw",
    )
    op.drop_table("subsidy_subsidy", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ledger_transaction_ledger_id"), table_name="ledger_transaction", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_ledger_transaction_landed_run_id"),
        table_name="ledger_transaction",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ledger_transaction_fulfillment_identifier"),
        table_name="ledger_transaction",
        schema="lcm_raw",
    )
    op.drop_table("ledger_transaction", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ledger_reversal_transaction_id"), table_name="ledger_reversal", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_ledger_reversal_landed_run_id"), table_name="ledger_reversal", schema="lcm_raw"
    )
    op.drop_table("ledger_reversal", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ledger_deposit_transaction_id"), table_name="ledger_deposit", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_ledger_deposit_landed_run_id"), table_name="ledger_deposit", schema="lcm_raw"
    )
    op.drop_table("ledger_deposit", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ledger_adjustment_transaction_id"),
        table_name="ledger_adjustment",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ledger_adjustment_landed_run_id"), table_name="ledger_adjustment", schema="lcm_raw"
    )
    op.drop_table("ledger_adjustment", schema="lcm_raw")
    op.drop_index(
        op.f("ix_access_subsidyaccesspolicy_subsidy_uuid"),
        table_name="access_subsidyaccesspolicy",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_access_subsidyaccesspolicy_landed_run_id"),
        table_name="access_subsidyaccesspolicy",
        schema="lcm_raw",
    )
    op.drop_table("access_subsidyaccesspolicy", schema="lcm_raw")
    op.drop_index(
        op.f("ix_access_policygroupassociation_subsidy_access_policy_id"),
        table_name="access_policygroupassociation",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_access_policygroupassociation_landed_run_id"),
        table_name="access_policygroupassociation",
        schema="lcm_raw",
    )
    op.drop_table("access_policygroupassociation", schema="lcm_raw")
    op.drop_index(
        op.f("ix_access_learnercreditrequestconfiguration_landed_run_id"),
        table_name="access_learnercreditrequestconfiguration",
        schema="lcm_raw",
    )
    op.drop_table("access_learnercreditrequestconfiguration", schema="lcm_raw")
    op.drop_index(
        op.f("ix_access_learnercontentassignmentaction_landed_run_id"),
        table_name="access_learnercontentassignmentaction",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_access_learnercontentassignmentaction_assignment_id"),
        table_name="access_learnercontentassignmentaction",
        schema="lcm_raw",
    )
    op.drop_table("access_learnercontentassignmentaction", schema="lcm_raw")
    op.drop_index(
        op.f("ix_access_learnercontentassignment_landed_run_id"),
        table_name="access_learnercontentassignment",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_access_learnercontentassignment_assignment_configuration_id"),
        table_name="access_learnercontentassignment",
        schema="lcm_raw",
    )
    op.drop_table("access_learnercontentassignment", schema="lcm_raw")
    op.drop_index(
        op.f("ix_access_assignmentconfiguration_landed_run_id"),
        table_name="access_assignmentconfiguration",
        schema="lcm_raw",
    )
    op.drop_table("access_assignmentconfiguration", schema="lcm_raw")
    op.drop_index(
        op.f("ix_subsidy_balance_enterprise_customer_uuid"),
        table_name="subsidy_balance",
        schema="lcm",
    )
    op.drop_table("subsidy_balance", schema="lcm")
    op.drop_index(
        op.f("ix_budget_utilization_daily_enterprise_customer_uuid"),
        table_name="budget_utilization_daily",
        schema="lcm",
    )
    op.drop_table("budget_utilization_daily", schema="lcm")
    op.drop_index(
        op.f("ix_budget_transaction_subsidy_uuid_created"),
        table_name="budget_transaction",
        schema="lcm",
    )
    op.drop_index(
        op.f("ix_budget_transaction_policy_uuid_created"),
        table_name="budget_transaction",
        schema="lcm",
    )
    op.drop_table("budget_transaction", schema="lcm")
    op.drop_index(
        op.f("ix_budget_assignment_assignment_configuration_uuid"),
        table_name="budget_assignment",
        schema="lcm",
    )
    op.drop_table("budget_assignment", schema="lcm")
    op.drop_index(op.f("ix_budget_enterprise_customer_uuid"), table_name="budget", schema="lcm")
    op.drop_table("budget", schema="lcm")


PORTAL = "lcm_portal"
READER = "lcm_reader"
TENANT_TABLES = (
    "subsidy_balance",
    "budget",
    "budget_transaction",
    "budget_assignment",
    "budget_utilization_daily",
)
TENANT_PREDICATE = (
    "enterprise_customer_uuid = NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid"
)
OWNER_FUNCTION = """
CREATE FUNCTION lcm.ledger_owner(object_uuid uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, lcm AS $$
    SELECT enterprise_customer_uuid FROM lcm.budget WHERE policy_uuid = object_uuid
    UNION ALL
    SELECT enterprise_customer_uuid FROM lcm.subsidy_balance WHERE subsidy_uuid = object_uuid
    UNION ALL
    SELECT enterprise_customer_uuid FROM lcm.budget
    WHERE assignment_configuration_uuid = object_uuid
    LIMIT 1
$$
"""


STATE_FORWARD = """
CREATE FUNCTION lcm_raw.ledger_transaction_state_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- created < pending < committed = failed: a landed state never moves back, whoever writes
    -- (a late or duplicate event, an older database snapshot).
    IF (CASE NEW.state WHEN 'created' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)
        < (CASE OLD.state WHEN 'created' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END) THEN
        NEW.state := OLD.state;
    END IF;
    RETURN NEW;
END
$$
"""


def _secure() -> None:
    op.execute(STATE_FORWARD)
    op.execute(
        "CREATE TRIGGER ledger_transaction_state_forward BEFORE UPDATE OF state "
        "ON lcm_raw.ledger_transaction FOR EACH ROW "
        "EXECUTE FUNCTION lcm_raw.ledger_transaction_state_forward()"
    )
    for table in TENANT_TABLES:
        op.execute(f"GRANT SELECT ON lcm.{table} TO {PORTAL}, {READER}")
        op.execute(f"ALTER TABLE lcm.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY lcm_portal_tenant ON lcm.{table} FOR SELECT TO {PORTAL} "
            f"USING ({TENANT_PREDICATE})"
        )
        op.execute(
            f"CREATE POLICY lcm_reader_all_tenants ON lcm.{table} FOR SELECT TO {READER} "
            "USING (true)"
        )
    op.execute(OWNER_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION lcm.ledger_owner(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION lcm.ledger_owner(uuid) TO {PORTAL}")


def _unsecure() -> None:
    op.execute("DROP FUNCTION IF EXISTS lcm.ledger_owner(uuid)")
    op.execute(
        "DROP TRIGGER IF EXISTS ledger_transaction_state_forward ON lcm_raw.ledger_transaction"
    )
    op.execute("DROP FUNCTION IF EXISTS lcm_raw.ledger_transaction_state_forward()")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS lcm_reader_all_tenants ON lcm.{table}")
        op.execute(f"DROP POLICY IF EXISTS lcm_portal_tenant ON lcm.{table}")
