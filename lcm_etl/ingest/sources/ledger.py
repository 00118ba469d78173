"""The ledger-era source tables lcm-etl reads, as SQLAlchemy Core tables.

Written from ``ddl/enterprise_subsidy.sql`` and ``ddl/enterprise_access.sql`` (the real MySQL
schema the services' migrations produce): same table and column names, types and NULL-ability; no
database defaults and no foreign keys. Tests and the demo create them in SQLite and PostgreSQL
sources with ``create_all``; MariaDB sources get the DDL files themselves
(:func:`create_source_tables`).

Conventions of the services (Django on MySQL): UUIDs are ``char(32)`` lowercase hex without
dashes; datetimes are naive UTC; money is signed integer USD cents (a redemption is negative).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql

from lcm_etl.ingest.sources import ddl

Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
Uuid32 = String(32)

subsidy_metadata = MetaData()
access_metadata = MetaData()


def _stamps() -> list[Column[object]]:
    return [
        Column("created", Timestamp, nullable=False),
        Column("modified", Timestamp, nullable=False),
    ]


# --- enterprise_subsidy (openedx-ledger tables live in this database) ----------------------------

#: Grain: one row per ledger (one per subsidy).
ledger = Table(
    "openedx_ledger_ledger",
    subsidy_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("unit", String(255), nullable=False),
    Column("metadata", Text),
)

#: Grain: one row per signed movement of value (redemption < 0, deposit/adjustment usually > 0).
transaction = Table(
    "openedx_ledger_transaction",
    subsidy_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("idempotency_key", String(255), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("metadata", Text),
    Column("lms_user_id", Integer),
    Column("ledger_id", Uuid32, index=True),
    Column("content_key", String(255)),
    Column("state", String(255), nullable=False),
    Column("subsidy_access_policy_uuid", Uuid32),
    Column("fulfillment_identifier", String(255)),
    Column("content_title", String(255)),
    Column("lms_user_email", String(255)),
    Column("parent_content_key", String(255)),
    Column("course_run_start_date", Timestamp),
)

#: Grain: one row per reversed (refunded) transaction.
reversal = Table(
    "openedx_ledger_reversal",
    subsidy_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("idempotency_key", String(255), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("metadata", Text),
    Column("transaction_id", Uuid32, unique=True),
    Column("state", String(255), nullable=False),
)

#: Grain: one row per sales-contract reference provider (lookup).
sales_contract_reference_provider = Table(
    "openedx_ledger_salescontractreferenceprovider",
    subsidy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_stamps(),
    Column("name", String(255), nullable=False),
    Column("slug", String(32), nullable=False, unique=True),
)

#: Grain: one row per adjustment (a staff correction carried by one committed transaction).
adjustment = Table(
    "openedx_ledger_adjustment",
    subsidy_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("adjustment_quantity", BigInteger, nullable=False),
    Column("reason", String(255), nullable=False),
    Column("notes", Text),
    Column("ledger_id", Uuid32, nullable=False),
    Column("transaction_id", Uuid32, nullable=False, unique=True),
    Column("transaction_of_interest_id", Uuid32, unique=True),
)

#: Grain: one row per deposit (the initial one and every top-up).
deposit = Table(
    "openedx_ledger_deposit",
    subsidy_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("desired_deposit_quantity", BigInteger, nullable=False),
    Column("sales_contract_reference_id", String(255)),
    Column("ledger_id", Uuid32, nullable=False),
    Column("sales_contract_reference_provider_id", Integer),
    Column("transaction_id", Uuid32, nullable=False, unique=True),
)

#: Grain: one row per external fulfillment provider (lookup; the GEAG system). Not read: the
#: Spent table shows the reference ids only. Here so that test sources hold what the references
#: point at, as the real schema does.
external_fulfillment_provider = Table(
    "openedx_ledger_externalfulfillmentprovider",
    subsidy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_stamps(),
    Column("name", String(255), nullable=False),
    Column("slug", String(32), nullable=False, unique=True),
)

#: Grain: one row per external (GEAG, Exec Ed) order reference of a transaction; the reference
#: id is the primary key.
external_transaction_reference = Table(
    "openedx_ledger_externaltransactionreference",
    subsidy_metadata,
    *_stamps(),
    Column("external_reference_id", String(255), primary_key=True),
    Column("external_fulfillment_provider_id", Integer, nullable=False),
    Column("transaction_id", Uuid32, index=True),
)

#: Grain: one row per subsidy (a learner-credit plan; exactly one ledger).
subsidy = Table(
    "subsidy_subsidy",
    subsidy_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("title", String(255)),
    Column("starting_balance", BigInteger, nullable=False),
    Column("unit", String(255), nullable=False),
    Column("reference_id", String(255)),
    Column("reference_type", String(255), nullable=False),
    Column("enterprise_customer_uuid", Uuid32, nullable=False, index=True),
    Column("active_datetime", Timestamp),
    Column("expiration_datetime", Timestamp),
    Column("ledger_id", Uuid32, unique=True),
    Column("internal_only", Boolean, nullable=False),
    Column("revenue_category", String(255), nullable=False),
    Column("is_soft_deleted", Boolean, nullable=False),
)

# --- enterprise_access ---------------------------------------------------------------------------

#: Grain: one row per assignment configuration (assignable and BnR budgets).
assignment_configuration = Table(
    "content_assignments_assignmentconfiguration",
    access_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("enterprise_customer_uuid", Uuid32, nullable=False),
)

#: Grain: one row per Browse-and-Request configuration of a policy.
request_configuration = Table(
    "subsidy_request_learnercreditrequestconfiguration",
    access_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("active", Boolean, nullable=False),
)

#: Grain: one row per subsidy access policy (a budget); single table, ``policy_type`` = class.
policy = Table(
    "subsidy_access_policy_subsidyaccesspolicy",
    access_metadata,
    *_stamps(),
    Column("policy_type", String(64), nullable=False),
    Column("uuid", Uuid32, primary_key=True),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("catalog_uuid", Uuid32, nullable=False),
    Column("subsidy_uuid", Uuid32, nullable=False, index=True),
    Column("access_method", String(32), nullable=False),
    Column("per_learner_enrollment_limit", Integer),
    Column("per_learner_spend_limit", Integer),
    Column("spend_limit", Integer),
    Column("enterprise_customer_uuid", Uuid32, nullable=False, index=True),
    Column("display_name", String(512)),
    Column("assignment_configuration_id", Uuid32, unique=True),
    Column("retired", Boolean, nullable=False),
    Column("late_redemption_allowed_until", Timestamp),
    Column("retired_at", Timestamp),
    Column("learner_credit_request_config_id", Uuid32, unique=True),
)

#: Grain: one row per (policy, enterprise group) restriction.
policy_group = Table(
    "subsidy_access_policy_policygroupassociation",
    access_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    *_stamps(),
    Column("enterprise_group_uuid", Uuid32),
    Column("subsidy_access_policy_id", Uuid32, nullable=False),
)

#: Grain: one row per (assignment configuration, learner, content) earmark.
assignment = Table(
    "content_assignments_learnercontentassignment",
    access_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("learner_email", String(254), nullable=False),
    Column("lms_user_id", Integer),
    Column("content_key", String(255), nullable=False),
    Column("content_quantity", BigInteger, nullable=False),
    Column("state", String(255), nullable=False),
    Column("transaction_uuid", Uuid32),
    Column("assignment_configuration_id", Uuid32, index=True),
    Column("content_title", String(255)),
    Column("allocation_batch_id", Uuid32),
    Column("accepted_at", Timestamp),
    Column("allocated_at", Timestamp, nullable=False),
    Column("cancelled_at", Timestamp),
    Column("errored_at", Timestamp),
    Column("expired_at", Timestamp),
    Column("preferred_course_run_key", String(255)),
    Column("reversed_at", Timestamp),
    Column("is_assigned_course_run", Boolean, nullable=False),
    Column("parent_content_key", String(255)),
    Column("admin_lms_user_id", Integer),
)

#: Grain: one row per action on an assignment (notified, reminded, errors…).
assignment_action = Table(
    "content_assignments_learnercontentassignmentaction",
    access_metadata,
    *_stamps(),
    Column("uuid", Uuid32, primary_key=True),
    Column("action_type", String(255), nullable=False),
    Column("completed_at", Timestamp),
    Column("error_reason", String(255)),
    Column("traceback", Text),
    Column("assignment_id", Uuid32, nullable=False, index=True),
)

DDL_FILES = {"subsidy": "enterprise_subsidy.sql", "access": "enterprise_access.sql"}
METADATA = {"subsidy": subsidy_metadata, "access": access_metadata}


def create_source_tables(engine: Engine, source: str) -> None:
    """Create one ledger-era source's tables: the real DDL on MariaDB/MySQL, the Core mirror on
    SQLite and PostgreSQL (idempotent)."""
    if engine.dialect.name in ("mysql", "mariadb"):
        with engine.begin() as conn:
            for statement in ddl.statements(DDL_FILES[source]):
                conn.exec_driver_sql(statement)
    else:
        METADATA[source].create_all(engine)


__all__ = [
    "METADATA",
    "access_metadata",
    "create_source_tables",
    "subsidy_metadata",
]
