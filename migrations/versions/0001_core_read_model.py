"""Core read model: schemas lcm_raw (ecommerce landing, watermarks, rejected rows) and lcm
(offer_summary, offer_redemption, offer_utilization_daily, pipeline_run).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS lcm_raw")
    op.execute("CREATE SCHEMA IF NOT EXISTS lcm")
    op.create_table(
        "offer_redemption",
        sa.Column("order_discount_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_number", sa.Text(), nullable=False),
        sa.Column("ecommerce_user_id", sa.BigInteger(), nullable=True),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column("user_email", sa.Text(), nullable=True),
        sa.Column("course_key", sa.Text(), nullable=True),
        sa.Column("courserun_key", sa.Text(), nullable=True),
        sa.Column("course_title", sa.Text(), nullable=True),
        sa.Column("course_list_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount_learner_paid", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrollment_date", sa.Date(), nullable=False),
        sa.Column("is_refunded", sa.Boolean(), nullable=False),
        sa.Column("amount_refunded", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "order_discount_id", "order_line_id", name=op.f("pk_offer_redemption")
        ),
        schema="lcm",
        comment="One row per enrollment paid by an offer: an order line of a Complete order times a learner-credit discount of that order.",
    )
    op.create_index(
        op.f("ix_offer_redemption_enterprise_customer_uuid_offer_id"),
        "offer_redemption",
        ["enterprise_customer_uuid", "offer_id"],
        unique=False,
        schema="lcm",
    )
    op.create_index(
        op.f("ix_offer_redemption_offer_id_enrollment_date"),
        "offer_redemption",
        ["offer_id", "enrollment_date"],
        unique=False,
        schema="lcm",
    )
    op.create_index(
        "ix_offer_redemption_offer_learner",
        "offer_redemption",
        ["offer_id", sa.text("coalesce(lms_user_id, - ecommerce_user_id)")],
        unique=False,
        schema="lcm",
    )
    op.create_index(
        op.f("ix_offer_redemption_order_id"),
        "offer_redemption",
        ["order_id"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "offer_summary",
        sa.Column("offer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("enterprise_name", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("offer_name", sa.Text(), nullable=False),
        sa.Column("offer_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_type", sa.Text(), nullable=True),
        sa.Column("discount_value", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("max_discount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("max_user_discount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("max_user_applications", sa.BigInteger(), nullable=True),
        sa.Column("max_global_applications", sa.BigInteger(), nullable=True),
        sa.Column("enterprise_catalog_uuid", sa.UUID(), nullable=True),
        sa.Column("emails_for_usage_alert", sa.Text(), nullable=True),
        sa.Column("amount_spent", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount_refunded", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount_of_offer_spent", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("remaining_balance", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("percent_of_offer_spent", sa.Numeric(), nullable=True),
        sa.Column("redeemed_funds", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("remaining_funds", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("percent_utilized", sa.Numeric(), nullable=True),
        sa.Column("balance_state", sa.Text(), nullable=False),
        sa.Column("enrollment_count", sa.BigInteger(), nullable=False),
        sa.Column("learner_count", sa.BigInteger(), nullable=False),
        sa.Column("sum_course_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("sum_amount_learner_paid", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("first_spend_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_spend_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_discount_ecommerce", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("ecommerce_drift", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("num_applications_ecommerce", sa.BigInteger(), nullable=True),
        sa.Column("num_orders_ecommerce", sa.BigInteger(), nullable=True),
        sa.Column("is_fcfs_org_wide", sa.Boolean(), nullable=False),
        sa.Column("source_offer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_offer_summary")),
        schema="lcm",
        comment="One row per enterprise learner-credit offer (ecommerce Site offer).",
    )
    op.create_index(
        op.f("ix_offer_summary_enterprise_customer_uuid"),
        "offer_summary",
        ["enterprise_customer_uuid"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "offer_utilization_daily",
        sa.Column("offer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("amount_spent", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount_refunded", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("cumulative_net_spent", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("remaining_balance", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("offer_id", "day", name=op.f("pk_offer_utilization_daily")),
        schema="lcm",
        comment="One row per offer per UTC day with spend or refund activity; days without activity are omitted (their values carry forward from the previous row).",
    )
    op.create_index(
        op.f("ix_offer_utilization_daily_enterprise_customer_uuid"),
        "offer_utilization_daily",
        ["enterprise_customer_uuid"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "pipeline_run",
        sa.Column("run_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("landing_run_id", sa.BigInteger(), nullable=True),
        sa.Column("enterprise_uuids", postgresql.ARRAY(sa.UUID()), nullable=True),
        sa.Column(
            "sources",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "watermarks",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "timings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("host", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_pipeline_run")),
        schema="lcm",
        comment="One row per pipeline stage execution (an ingest or a publish) with its outcome.",
    )
    op.create_index(
        op.f("ix_pipeline_run_stage_status_run_id"),
        "pipeline_run",
        ["stage", "status", "run_id"],
        unique=False,
        schema="lcm",
    )
    op.create_table(
        "ecommerce_benefit",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("proxy_class", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_benefit")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per offer_benefit referenced by a landed offer.",
    )
    op.create_index(
        op.f("ix_ecommerce_benefit_landed_run_id"),
        "ecommerce_benefit",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_condition",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("proxy_class", sa.Text(), nullable=True),
        sa.Column("enterprise_customer_uuid", sa.Text(), nullable=True),
        sa.Column("enterprise_customer_name", sa.Text(), nullable=True),
        sa.Column("enterprise_customer_catalog_uuid", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_condition")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per offer_condition referenced by a landed offer.",
    )
    op.create_index(
        op.f("ix_ecommerce_condition_landed_run_id"),
        "ecommerce_condition",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_conditionaloffer",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("offer_type", sa.Text(), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("redirect_url", sa.Text(), nullable=True),
        sa.Column("email_domains", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_contract_metadata_id", sa.Integer(), nullable=True),
        sa.Column("salesforce_opportunity_line_item", sa.Text(), nullable=True),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_global_applications", sa.BigInteger(), nullable=True),
        sa.Column("max_user_applications", sa.BigInteger(), nullable=True),
        sa.Column("max_basket_applications", sa.BigInteger(), nullable=True),
        sa.Column("max_discount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("max_user_discount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("total_discount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("num_applications", sa.BigInteger(), nullable=True),
        sa.Column("num_orders", sa.BigInteger(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("benefit_id", sa.Integer(), nullable=True),
        sa.Column("condition_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("emails_for_usage_alert", sa.Text(), nullable=True),
        sa.Column("usage_email_frequency", sa.Text(), nullable=True),
        sa.Column("sales_force_id", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_conditionaloffer")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per ecommerce Site offer with an enterprise condition (learner credit).",
    )
    op.create_index(
        op.f("ix_ecommerce_conditionaloffer_landed_run_id"),
        "ecommerce_conditionaloffer",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_course",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_course")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per courses_course (a course run; id is the course run key).",
    )
    op.create_index(
        op.f("ix_ecommerce_course_landed_run_id"),
        "ecommerce_course",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_line",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("line_price_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("line_price_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "line_price_before_discounts_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True
        ),
        sa.Column(
            "line_price_before_discounts_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True
        ),
        sa.Column("unit_price_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_line")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per order_line of a landed order.",
    )
    op.create_index(
        op.f("ix_ecommerce_line_landed_run_id"),
        "ecommerce_line",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_line_order_id"),
        "ecommerce_line",
        ["order_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_line_product_id"),
        "ecommerce_line",
        ["product_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_order",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("total_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("total_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("date_placed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_order")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per order_order that carries a learner-credit (or unknown-offer) discount.",
    )
    op.create_index(
        op.f("ix_ecommerce_order_landed_run_id"),
        "ecommerce_order",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_order_user_id"),
        "ecommerce_order",
        ["user_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_orderdiscount",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=True),
        sa.Column("offer_name", sa.Text(), nullable=True),
        sa.Column("voucher_id", sa.BigInteger(), nullable=True),
        sa.Column("voucher_code", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("frequency", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_orderdiscount")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per order_orderdiscount of a learner-credit offer or of an unknown offer.",
    )
    op.create_index(
        op.f("ix_ecommerce_orderdiscount_landed_run_id"),
        "ecommerce_orderdiscount",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_orderdiscount_offer_id"),
        "ecommerce_orderdiscount",
        ["offer_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_orderdiscount_order_id"),
        "ecommerce_orderdiscount",
        ["order_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_product",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("structure", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Text(), nullable=True),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_product")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per catalogue_product (course seats and their parents).",
    )
    op.create_index(
        op.f("ix_ecommerce_product_course_id"),
        "ecommerce_product",
        ["course_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_product_landed_run_id"),
        "ecommerce_product",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_refund",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("total_credit_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_refund")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per refund_refund of a landed order.",
    )
    op.create_index(
        op.f("ix_ecommerce_refund_landed_run_id"),
        "ecommerce_refund",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_refund_order_id"),
        "ecommerce_refund",
        ["order_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_refundline",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("line_credit_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_refundline")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per refund_refundline of a landed refund.",
    )
    op.create_index(
        op.f("ix_ecommerce_refundline_landed_run_id"),
        "ecommerce_refundline",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_refundline_order_line_id"),
        "ecommerce_refundline",
        ["order_line_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_refundline_refund_id"),
        "ecommerce_refundline",
        ["refund_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "ecommerce_user",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("lms_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_user")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per ecommerce_user who placed a landed order (identity columns only).",
    )
    op.create_index(
        op.f("ix_ecommerce_user_landed_run_id"),
        "ecommerce_user",
        ["landed_run_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_user_username"),
        "ecommerce_user",
        ["username"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_index(
        op.f("ix_ecommerce_user_lms_user_id"),
        "ecommerce_user",
        ["lms_user_id"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "rejected_record",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_table", sa.Text(), nullable=False),
        sa.Column("natural_key", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("first_run_id", sa.BigInteger(), nullable=False),
        sa.Column("last_run_id", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_record")),
        sa.UniqueConstraint(
            "source",
            "source_table",
            "natural_key",
            "reason",
            name=op.f("uq_rejected_record_source_source_table_natural_key_reason"),
        ),
        schema="lcm_raw",
        comment="One row per (source row, reason) that failed a rule; resolved_at is set once the row stops failing (fixed at the source or superseded).",
    )
    op.create_index(
        op.f("ix_rejected_record_resolved_at_reason"),
        "rejected_record",
        ["resolved_at", "reason"],
        unique=False,
        schema="lcm_raw",
    )
    op.create_table(
        "watermark",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_table", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("id_value", sa.BigInteger(), nullable=True),
        sa.Column("time_value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source", "source_table", name=op.f("pk_watermark")),
        prefixes=["UNLOGGED"],
        schema="lcm_raw",
        comment="One row per source table: the high-water mark the last committed ingest reached.",
    )


def downgrade() -> None:
    op.drop_table("watermark", schema="lcm_raw")
    op.drop_index(
        op.f("ix_rejected_record_resolved_at_reason"),
        table_name="rejected_record",
        schema="lcm_raw",
    )
    op.drop_table("rejected_record", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_user_lms_user_id"), table_name="ecommerce_user", schema="lcm_raw"
    )
    op.drop_index(op.f("ix_ecommerce_user_username"), table_name="ecommerce_user", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_user_landed_run_id"), table_name="ecommerce_user", schema="lcm_raw"
    )
    op.drop_table("ecommerce_user", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_refundline_refund_id"),
        table_name="ecommerce_refundline",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ecommerce_refundline_order_line_id"),
        table_name="ecommerce_refundline",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ecommerce_refundline_landed_run_id"),
        table_name="ecommerce_refundline",
        schema="lcm_raw",
    )
    op.drop_table("ecommerce_refundline", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_refund_order_id"), table_name="ecommerce_refund", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_ecommerce_refund_landed_run_id"), table_name="ecommerce_refund", schema="lcm_raw"
    )
    op.drop_table("ecommerce_refund", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_product_landed_run_id"), table_name="ecommerce_product", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_ecommerce_product_course_id"), table_name="ecommerce_product", schema="lcm_raw"
    )
    op.drop_table("ecommerce_product", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_orderdiscount_order_id"),
        table_name="ecommerce_orderdiscount",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ecommerce_orderdiscount_offer_id"),
        table_name="ecommerce_orderdiscount",
        schema="lcm_raw",
    )
    op.drop_index(
        op.f("ix_ecommerce_orderdiscount_landed_run_id"),
        table_name="ecommerce_orderdiscount",
        schema="lcm_raw",
    )
    op.drop_table("ecommerce_orderdiscount", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_order_user_id"), table_name="ecommerce_order", schema="lcm_raw"
    )
    op.drop_index(
        op.f("ix_ecommerce_order_landed_run_id"), table_name="ecommerce_order", schema="lcm_raw"
    )
    op.drop_table("ecommerce_order", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_line_product_id"), table_name="ecommerce_line", schema="lcm_raw"
    )
    op.drop_index(op.f("ix_ecommerce_line_order_id"), table_name="ecommerce_line", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_line_landed_run_id"), table_name="ecommerce_line", schema="lcm_raw"
    )
    op.drop_table("ecommerce_line", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_course_landed_run_id"), table_name="ecommerce_course", schema="lcm_raw"
    )
    op.drop_table("ecommerce_course", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_conditionaloffer_landed_run_id"),
        table_name="ecommerce_conditionaloffer",
        schema="lcm_raw",
    )
    op.drop_table("ecommerce_conditionaloffer", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_condition_landed_run_id"),
        table_name="ecommerce_condition",
        schema="lcm_raw",
    )
    op.drop_table("ecommerce_condition", schema="lcm_raw")
    op.drop_index(
        op.f("ix_ecommerce_benefit_landed_run_id"), table_name="ecommerce_benefit", schema="lcm_raw"
    )
    op.drop_table("ecommerce_benefit", schema="lcm_raw")
    op.drop_index(
        op.f("ix_pipeline_run_stage_status_run_id"), table_name="pipeline_run", schema="lcm"
    )
    op.drop_table("pipeline_run", schema="lcm")
    op.drop_index(
        op.f("ix_offer_utilization_daily_enterprise_customer_uuid"),
        table_name="offer_utilization_daily",
        schema="lcm",
    )
    op.drop_table("offer_utilization_daily", schema="lcm")
    op.drop_index(
        op.f("ix_offer_summary_enterprise_customer_uuid"), table_name="offer_summary", schema="lcm"
    )
    op.drop_table("offer_summary", schema="lcm")
    op.drop_index(op.f("ix_offer_redemption_order_id"), table_name="offer_redemption", schema="lcm")
    op.drop_index("ix_offer_redemption_offer_learner", table_name="offer_redemption", schema="lcm")
    op.drop_index(
        op.f("ix_offer_redemption_offer_id_enrollment_date"),
        table_name="offer_redemption",
        schema="lcm",
    )
    op.drop_index(
        op.f("ix_offer_redemption_enterprise_customer_uuid_offer_id"),
        table_name="offer_redemption",
        schema="lcm",
    )
    op.drop_table("offer_redemption", schema="lcm")
    op.execute("DROP SCHEMA IF EXISTS lcm_raw")
