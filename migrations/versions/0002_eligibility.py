"""Eligibility: lcm_raw landing for the LMS and license-manager sources, ecommerce
enterprise coupons, and lcm.enterprise_eligibility.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
RAW = "lcm_raw"


def _landed() -> list[sa.Column[object]]:
    """The landing bookkeeping columns, as lcm_etl.schema._landed declares them."""
    return [
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column("landed_at", TZ, server_default=sa.text("now()"), nullable=False),
    ]


def _landed_index(table: str) -> None:
    op.create_index(
        op.f(f"ix_{table}_landed_run_id"), table, ["landed_run_id"], unique=False, schema=RAW
    )


def upgrade() -> None:
    op.create_table(
        "lms_enterprisecustomer",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("enable_portal_learner_credit_management_screen", sa.Boolean(), nullable=False),
        sa.Column("enable_data_sharing_consent", sa.Boolean(), nullable=False),
        sa.Column("enforce_data_sharing_consent", sa.Text(), nullable=False),
        sa.Column("modified", TZ, nullable=False),
        *_landed(),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_lms_enterprisecustomer")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment="One row per LMS enterprise_enterprisecustomer (flags and consent settings).",
    )
    _landed_index("lms_enterprisecustomer")

    op.create_table(
        "lms_enterprisecustomeruser",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_customer_id", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("modified", TZ, nullable=False),
        *_landed(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_enterprisecustomeruser")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment=(
            "One row per LMS enterprise_enterprisecustomeruser (an LMS user linked to a customer)."
        ),
    )
    _landed_index("lms_enterprisecustomeruser")
    op.create_index(
        op.f("ix_lms_enterprisecustomeruser_enterprise_customer_id"),
        "lms_enterprisecustomeruser",
        ["enterprise_customer_id"],
        unique=False,
        schema=RAW,
    )

    op.create_table(
        "lms_datasharingconsent",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enterprise_customer_id", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("course_id", sa.Text(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=True),
        sa.Column("modified", TZ, nullable=False),
        *_landed(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_datasharingconsent")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment=(
            "One row per LMS consent_datasharingconsent: whether a learner shares a course's "
            "data (and so their email) with an enterprise."
        ),
    )
    _landed_index("lms_datasharingconsent")
    op.create_index(
        op.f("ix_lms_datasharingconsent_lookup"),
        "lms_datasharingconsent",
        ["enterprise_customer_id", "username", "course_id"],
        unique=False,
        schema=RAW,
    )

    op.create_table(
        "license_manager_customeragreement",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("enterprise_customer_uuid", sa.Text(), nullable=False),
        sa.Column("enterprise_customer_name", sa.Text(), nullable=True),
        sa.Column("modified", TZ, nullable=False),
        *_landed(),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_license_manager_customeragreement")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment="One row per license-manager subscriptions_customeragreement (one per enterprise).",
    )
    _landed_index("license_manager_customeragreement")

    op.create_table(
        "license_manager_subscriptionplan",
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("customer_agreement_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start_date", TZ, nullable=False),
        sa.Column("expiration_date", TZ, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("for_internal_use_only", sa.Boolean(), nullable=False),
        sa.Column("modified", TZ, nullable=False),
        *_landed(),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_license_manager_subscriptionplan")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment="One row per license-manager subscriptions_subscriptionplan.",
    )
    _landed_index("license_manager_subscriptionplan")
    op.create_index(
        op.f("ix_license_manager_subscriptionplan_customer_agreement_id"),
        "license_manager_subscriptionplan",
        ["customer_agreement_id"],
        unique=False,
        schema=RAW,
    )

    op.create_table(
        "ecommerce_coupon_offer",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("start_datetime", TZ, nullable=True),
        sa.Column("end_datetime", TZ, nullable=True),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("condition_proxy_class", sa.Text(), nullable=True),
        sa.Column("enterprise_customer_uuid", sa.Text(), nullable=False),
        sa.Column("enterprise_customer_name", sa.Text(), nullable=True),
        *_landed(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_coupon_offer")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment=(
            "One row per ecommerce Voucher offer with an enterprise condition (an enterprise "
            "coupon), with its condition's enterprise."
        ),
    )
    _landed_index("ecommerce_coupon_offer")

    op.create_table(
        "ecommerce_coupon_voucher",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("conditionaloffer_id", sa.Integer(), nullable=False),
        sa.Column("usage", sa.Text(), nullable=False),
        sa.Column("start_datetime", TZ, nullable=False),
        sa.Column("end_datetime", TZ, nullable=False),
        sa.Column("num_orders", sa.BigInteger(), nullable=False),
        *_landed(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecommerce_coupon_voucher")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment="One row per voucher (coupon code) of a landed enterprise coupon offer.",
    )
    _landed_index("ecommerce_coupon_voucher")
    op.create_index(
        op.f("ix_ecommerce_coupon_voucher_conditionaloffer_id"),
        "ecommerce_coupon_voucher",
        ["conditionaloffer_id"],
        unique=False,
        schema=RAW,
    )

    op.create_table(
        "enterprise_eligibility",
        sa.Column("enterprise_customer_uuid", sa.UUID(), nullable=False),
        sa.Column("enterprise_name", sa.Text(), nullable=True),
        sa.Column("lcm_screen_enabled", sa.Boolean(), nullable=True),
        sa.Column("customer_active", sa.Boolean(), nullable=True),
        sa.Column("data_sharing_consent_required", sa.Boolean(), nullable=True),
        sa.Column("email_visibility", sa.Text(), nullable=False),
        sa.Column("offer_count", sa.Integer(), nullable=False),
        sa.Column("current_offer_count", sa.Integer(), nullable=False),
        sa.Column("current_fcfs_offer_count", sa.Integer(), nullable=False),
        sa.Column("lcm_offer_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "subscription_plan_windows", postgresql.ARRAY(postgresql.TSTZRANGE()), nullable=True
        ),
        sa.Column("active_subscription_plan_count", sa.Integer(), nullable=True),
        sa.Column("coupon_code_windows", postgresql.ARRAY(postgresql.TSTZRANGE()), nullable=True),
        sa.Column("coupon_code_counts", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("active_coupon_code_count", sa.Integer(), nullable=True),
        sa.Column("is_eligible", sa.Boolean(), nullable=False),
        sa.Column("reasons", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("data_as_of", TZ, nullable=False),
        sa.PrimaryKeyConstraint("enterprise_customer_uuid", name=op.f("pk_enterprise_eligibility")),
        schema="lcm",
        comment=(
            "One row per enterprise known to any source (a learner-credit offer or coupon in "
            "ecommerce, an LMS customer, a license-manager agreement): the facts of the LCM "
            "page's eligibility rule (ADR 3) and its verdict as of data_as_of."
        ),
    )


def downgrade() -> None:
    op.drop_table("enterprise_eligibility", schema="lcm")
    for table in (
        "ecommerce_coupon_voucher",
        "ecommerce_coupon_offer",
        "license_manager_subscriptionplan",
        "license_manager_customeragreement",
        "lms_datasharingconsent",
        "lms_enterprisecustomeruser",
        "lms_enterprisecustomer",
    ):
        op.drop_table(table, schema=RAW)
