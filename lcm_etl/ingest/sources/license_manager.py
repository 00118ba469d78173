"""The license-manager source tables lcm-etl reads (subscriptions), as SQLAlchemy Core tables.

Written from ``ddl/license_manager.sql`` (the real MariaDB schema): same table and column names,
types and NULL-ability; no database defaults and no foreign-key constraints, like ``ecommerce.py``.
A plan reaches its enterprise only through its customer agreement
(``subscription_plan.customer_agreement_id`` → ``customer_agreement.uuid`` →
``customer_agreement.enterprise_customer_uuid``). UUIDs are ``char(32)`` lowercase hex, no dashes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.dialects import mysql

metadata = MetaData()

Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
Uuid32 = String(32)

#: ``license_duration_before_purge`` Django default: 90 days, as a DurationField in microseconds.
DEFAULT_LICENSE_DURATION_BEFORE_PURGE = 90 * 24 * 3600 * 1_000_000

#: Grain: one row per enterprise customer that has (or had) subscriptions.
customer_agreement = Table(
    "subscriptions_customeragreement",
    metadata,
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False),
    Column("uuid", Uuid32, primary_key=True),
    Column("enterprise_customer_uuid", Uuid32, nullable=False, index=True),
    Column("enterprise_customer_slug", String(128)),
    Column("default_enterprise_catalog_uuid", Uuid32),
    Column("disable_expiration_notifications", Boolean, nullable=False),
    Column("license_duration_before_purge", BigInteger, nullable=False),
    Column("enterprise_customer_name", String(255)),
    Column("disable_onboarding_notifications", Boolean, nullable=False),
    Column("has_custom_license_expiration_messaging", Boolean, nullable=False),
    Column("enable_auto_applied_subscriptions_with_universal_link", Boolean, nullable=False),
    Column("enable_auto_scaling_of_current_plan", Boolean, nullable=False),
)

#: Grain: one row per subscription plan (a block of licenses with a validity window). Active for
#: the service = ``is_active = 1 AND start_date <= now <= expiration_date``.
subscription_plan = Table(
    "subscriptions_subscriptionplan",
    metadata,
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False),
    Column("uuid", Uuid32, primary_key=True),
    Column("start_date", Timestamp, nullable=False),
    Column("expiration_date", Timestamp, nullable=False),
    Column("enterprise_catalog_uuid", Uuid32, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("title", String(128), nullable=False),
    Column("salesforce_opportunity_id", String(18)),
    Column("for_internal_use_only", Boolean, nullable=False),
    Column("num_revocations_applied", Integer, nullable=False),
    Column("revoke_max_percentage", SmallInteger, nullable=False),
    Column("customer_agreement_id", Uuid32, nullable=False, index=True),
    Column("expiration_processed", Boolean, nullable=False),
    Column("is_revocation_cap_enabled", Boolean, nullable=False),
    Column("can_freeze_unused_licenses", Boolean, nullable=False),
    Column("last_freeze_timestamp", Timestamp),
    Column("should_auto_apply_licenses", Boolean),
    Column("product_id", Integer),
    Column("salesforce_opportunity_line_item", String(18)),
    Column("desired_num_licenses", Integer),
)
