"""The PostgreSQL schemas ``lcm_raw`` (landing) and ``lcm`` (read model), as SQLAlchemy Core tables.

These definitions are the reference the Alembic migrations must produce (a test compares them with
the migrated database); code reads and writes through them. Every table states its grain.

Landing tables mirror the source tables column for column (the subset lcm-etl reads), keyed by the
source primary key, plus ``landed_run_id`` — the ingest run that last *changed* the row — which is
how a publish finds what changed since the previous one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, UUID
from sqlalchemy.schema import SchemaItem

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RAW = "lcm_raw"
LCM = "lcm"

#: The landing tables are a copy of the sources that a full pass rebuilds at any time, so they skip
#: the write-ahead log (about a quarter faster to load). A server crash empties them together with
#: their watermarks (also unlogged), and the next pass simply reads everything again. What is not a
#: copy — rejected rows, the read model, the run log — is logged as usual.
UNLOGGED = ["UNLOGGED"]

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: The SQL functions the migrations create, by signature (the migration test checks each one).
#: ``lcm.balance_state(max_discount, amount_spent, low_balance_fraction, no_balance_amount)``:
#: the balance-state rule (migration 0006). ``lcm.enrollment_search_terms_of(redemption)``: the
#: search terms a redemption contributes, for the term triggers and the bulk fill (migration 0014).
FUNCTIONS = (
    "lcm.balance_state(numeric, numeric, numeric, numeric)",
    "lcm.jsonb_or_text(text)",
    "lcm.enrollment_search_terms_of(lcm.offer_redemption)",
    # The page's SELECTs, planned once per session (migration 0016), in three calls (0023); the
    # API and `lcm-etl page` call them (queries.PAGE_CALLS).
    "lcm.page_offers(uuid, integer)",
    "lcm.page_enterprise(uuid)",
    "lcm.page_data_as_of(uuid)",
    "lcm.page_budgets(uuid, integer)",
    # The enrollments search's terms of the transaction's tenant (migration 0009; PL/pgSQL,
    # planned once per session, since 0022), and its offers' counts of every redemption (0024).
    "lcm.enrollment_search_terms(text, text)",
)

Money = Numeric(12, 2)
TZ = DateTime(timezone=True)


#: Landing rows take their run id from a transaction setting instead of carrying it in every
#: COPYed row (``SET LOCAL lcm.landing_run_id``); unset, the insert fails loudly.
LANDING_RUN_DEFAULT = "(current_setting('lcm.landing_run_id'::text))::bigint"


def _landed() -> list[Column[object]]:
    return [
        Column(
            "landed_run_id",
            BigInteger,
            nullable=False,
            index=True,
            server_default=text(LANDING_RUN_DEFAULT),
        ),
        Column("landed_at", TZ, nullable=False, server_default=text("now()")),
    ]


def landing_table(name: str, *columns: SchemaItem, comment: str) -> Table:
    """A landing table in ``lcm_raw``: the source's columns (the subset read, keyed by the source
    primary key), then ``landed_run_id`` and ``landed_at``; UNLOGGED (see ``UNLOGGED``)."""
    return Table(
        name, metadata, *columns, *_landed(), prefixes=UNLOGGED, schema=RAW, comment=comment
    )


# ------------------------------------------------------------------------------------------------
# lcm_raw: landing. One row per source row in scope, keyed by the source's primary key; columns
# keep the source names. Enterprise UUIDs land as 32 lowercase hex characters whatever the source
# stored (MariaDB's native dashed ``uuid`` included); rows whose UUID is not one are rejected.
# ------------------------------------------------------------------------------------------------

# ecommerce: learner-credit offers and their redemptions

raw_offer = landing_table(
    "ecommerce_conditionaloffer",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("slug", Text),
    Column("description", Text),
    Column("offer_type", Text, nullable=False),
    Column("exclusive", Boolean),
    Column("status", Text, nullable=False),
    Column("priority", Integer),
    Column("redirect_url", Text),
    Column("email_domains", Text),
    Column("site_id", Integer),
    Column("enterprise_contract_metadata_id", Integer),
    Column("salesforce_opportunity_line_item", Text),
    Column("start_datetime", TZ),
    Column("end_datetime", TZ),
    Column("max_global_applications", BigInteger),
    Column("max_user_applications", BigInteger),
    Column("max_basket_applications", BigInteger),
    Column("max_discount", Money),
    Column("max_user_discount", Money),
    Column("total_discount", Money),
    Column("num_applications", BigInteger),
    Column("num_orders", BigInteger),
    Column("date_created", TZ),
    Column("benefit_id", Integer),
    Column("condition_id", Integer),
    Column("partner_id", Integer),
    Column("emails_for_usage_alert", Text),
    Column("usage_email_frequency", Text),
    Column("sales_force_id", Text),
    comment="One row per ecommerce Site offer with an enterprise condition (learner credit).",
)

raw_condition = landing_table(
    "ecommerce_condition",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("proxy_class", Text),
    Column("enterprise_customer_uuid", Text),
    Column("enterprise_customer_name", Text),
    Column("enterprise_customer_catalog_uuid", Text),
    comment="One row per offer_condition referenced by a landed offer.",
)

raw_benefit = landing_table(
    "ecommerce_benefit",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("type", Text),
    Column("value", Money),
    Column("proxy_class", Text),
    comment="One row per offer_benefit referenced by a landed offer.",
)

raw_order = landing_table(
    "ecommerce_order",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("number", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text),
    Column("total_incl_tax", Money),
    Column("total_excl_tax", Money),
    Column("date_placed", TZ),
    Column("user_id", Integer, index=True),
    Column("partner_id", Integer),
    # The orders an incremental pass re-reads: Pending ones, by date (migration 0009).
    Index(
        "ix_ecommerce_order_pending_date_placed",
        "date_placed",
        postgresql_where=text("status <> 'Complete'"),
    ),
    comment="One row per order_order that carries a learner-credit (or unknown-offer) discount.",
)

raw_line = landing_table(
    "ecommerce_line",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, nullable=False, index=True),
    Column("product_id", Integer, index=True),
    Column("title", Text),
    Column("quantity", BigInteger),
    Column("line_price_incl_tax", Money),
    Column("line_price_excl_tax", Money),
    Column("line_price_before_discounts_incl_tax", Money),
    Column("line_price_before_discounts_excl_tax", Money),
    Column("unit_price_excl_tax", Money),
    Column("status", Text),
    comment="One row per order_line of a landed order.",
)

raw_discount = landing_table(
    "ecommerce_orderdiscount",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, nullable=False, index=True),
    Column("offer_id", BigInteger, index=True),
    Column("offer_name", Text),
    Column("voucher_id", BigInteger),
    Column("voucher_code", Text),
    Column("category", Text),
    Column("frequency", BigInteger),
    Column("amount", Money),
    comment="One row per order_orderdiscount of a learner-credit offer or of an unknown offer.",
)

raw_refund = landing_table(
    "ecommerce_refund",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, nullable=False, index=True),
    Column("user_id", Integer),
    Column("status", Text, nullable=False),
    Column("total_credit_excl_tax", Money),
    Column("created", TZ),
    Column("modified", TZ),
    comment="One row per refund_refund of a landed order.",
)

raw_refund_line = landing_table(
    "ecommerce_refundline",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("refund_id", Integer, nullable=False, index=True),
    Column("order_line_id", Integer, nullable=False, index=True),
    Column("quantity", BigInteger),
    Column("line_credit_excl_tax", Money),
    Column("status", Text),
    Column("created", TZ),
    Column("modified", TZ),
    comment="One row per refund_refundline of a landed refund.",
)

raw_user = landing_table(
    "ecommerce_user",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("username", Text, index=True),  # consent records name learners by username
    Column("email", Text),
    Column("lms_user_id", BigInteger, index=True),
    comment="One row per ecommerce_user who placed a landed order (identity columns only).",
)

raw_product = landing_table(
    "ecommerce_product",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("title", Text),
    Column("structure", Text),
    Column("parent_id", Integer),
    Column("course_id", Text, index=True),
    Column("date_updated", TZ),
    comment="One row per catalogue_product (course seats and their parents).",
)

raw_course = landing_table(
    "ecommerce_course",
    Column("id", Text, primary_key=True),
    Column("name", Text),
    Column("partner_id", Integer),
    Column("modified", TZ),
    comment="One row per courses_course (a course run; id is the course run key).",
)

# ecommerce: enterprise coupons

raw_coupon_offer = landing_table(
    "ecommerce_coupon_offer",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("start_datetime", TZ),
    Column("end_datetime", TZ),
    Column("condition_id", Integer, nullable=False),
    Column("condition_proxy_class", Text),
    Column("enterprise_customer_uuid", Text, nullable=False),
    Column("enterprise_customer_name", Text),
    comment=(
        "One row per ecommerce Voucher offer with an enterprise condition (an enterprise coupon), "
        "with its condition's enterprise."
    ),
)

raw_coupon_voucher = landing_table(
    "ecommerce_coupon_voucher",
    # voucher_voucher_offers.id: one row per (voucher, coupon offer) link. The code itself is
    # not landed: it is a bearer credential, and nothing here needs it.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("voucher_id", Integer, nullable=False),
    Column("conditionaloffer_id", Integer, nullable=False, index=True),
    Column("usage", Text, nullable=False),
    Column("start_datetime", TZ, nullable=False),
    Column("end_datetime", TZ, nullable=False),
    Column("num_orders", BigInteger, nullable=False),
    comment="One row per voucher (coupon code) of a landed enterprise coupon offer.",
)

# LMS: enterprise customers, their learners, data-sharing consent

raw_lms_customer = landing_table(
    "lms_enterprisecustomer",
    Column("uuid", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("enable_portal_learner_credit_management_screen", Boolean, nullable=False),
    Column("enable_data_sharing_consent", Boolean, nullable=False),
    Column("enforce_data_sharing_consent", Text, nullable=False),
    Column("modified", TZ, nullable=False),
    comment="One row per LMS enterprise_enterprisecustomer (flags and consent settings).",
)

raw_lms_customer_user = landing_table(
    "lms_enterprisecustomeruser",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, nullable=False),
    Column("enterprise_customer_id", Text, nullable=False, index=True),
    Column("active", Boolean, nullable=False),
    Column("linked", Boolean, nullable=False),
    Column("modified", TZ, nullable=False),
    # (LMS user, enterprise): how a redemption finds its learner's enterprise enrollments (0007).
    Index("ix_lms_enterprisecustomeruser_user", "user_id", "enterprise_customer_id"),
    comment="One row per LMS enterprise_enterprisecustomeruser (an LMS user linked to a customer).",
)

raw_lms_course_enrollment = landing_table(
    "lms_enterprisecourseenrollment",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("enterprise_customer_user_id", Integer, nullable=False),
    Column("course_id", Text, nullable=False),
    Column("modified", TZ, nullable=False),
    # (customer user, course run): unique in the LMS; how a redemption finds its enrollment id.
    Index("ix_lms_enterprisecourseenrollment_lookup", "enterprise_customer_user_id", "course_id"),
    comment=(
        "One row per LMS enterprise_enterprisecourseenrollment: a learner's enrollment in a "
        "course run through an enterprise (its id is the enrollments' enterprise_enrollment_id)."
    ),
)

raw_lms_consent = landing_table(
    "lms_datasharingconsent",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("enterprise_customer_id", Text, nullable=False),
    Column("username", Text, nullable=False),
    Column("course_id", Text, nullable=False),
    Column("granted", Boolean),
    Column("modified", TZ, nullable=False),
    # (enterprise, username, course): how a redemption finds its learner's consent.
    Index("ix_lms_datasharingconsent_lookup", "enterprise_customer_id", "username", "course_id"),
    comment=(
        "One row per LMS consent_datasharingconsent: whether a learner shares a course's data "
        "(and so their email) with an enterprise."
    ),
)

# license-manager: subscription agreements and plans

raw_lm_agreement = landing_table(
    "license_manager_customeragreement",
    Column("uuid", Text, primary_key=True),
    Column("enterprise_customer_uuid", Text, nullable=False),
    Column("enterprise_customer_name", Text),
    Column("modified", TZ, nullable=False),
    comment="One row per license-manager subscriptions_customeragreement (one per enterprise).",
)

raw_lm_plan = landing_table(
    "license_manager_subscriptionplan",
    Column("uuid", Text, primary_key=True),
    Column("customer_agreement_id", Text, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("start_date", TZ, nullable=False),
    Column("expiration_date", TZ, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("for_internal_use_only", Boolean, nullable=False),
    Column("modified", TZ, nullable=False),
    comment="One row per license-manager subscriptions_subscriptionplan.",
)

# Ledger era (issue 14): enterprise-subsidy (subsidies and the openedx-ledger tables) and
# enterprise-access (budgets = subsidy access policies, assignments). Every UUID column lands as
# 32 lowercase hex; money is signed integer USD cents as in the sources (a redemption is negative).

raw_subsidy = landing_table(
    "subsidy_subsidy",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("title", Text),
    Column("starting_balance", BigInteger, nullable=False),
    Column("unit", Text, nullable=False),
    Column("reference_id", Text),
    Column("reference_type", Text, nullable=False),
    Column("enterprise_customer_uuid", Text, nullable=False, index=True),
    Column("active_datetime", TZ),
    Column("expiration_datetime", TZ),
    Column("ledger_id", Text, index=True),
    Column("internal_only", Boolean, nullable=False),
    Column("revenue_category", Text, nullable=False),
    Column("is_soft_deleted", Boolean, nullable=False),
    comment="One row per enterprise-subsidy subsidy_subsidy (a learner-credit plan, one ledger).",
)

raw_ledger_transaction = landing_table(
    "ledger_transaction",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("metadata", Text),
    Column("lms_user_id", BigInteger),
    Column("ledger_id", Text, index=True),
    Column("content_key", Text),
    Column("state", Text, nullable=False),
    Column("subsidy_access_policy_uuid", Text),
    Column("fulfillment_identifier", Text, index=True),
    Column("content_title", Text),
    Column("lms_user_email", Text),
    Column("parent_content_key", Text),
    Column("course_run_start_date", TZ),
    comment=(
        "One row per openedx_ledger_transaction (a signed movement of value in USD cents); "
        "also written by the ledger events, never moving a state backwards."
    ),
)

raw_ledger_reversal = landing_table(
    "ledger_reversal",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("metadata", Text),
    Column("transaction_id", Text, index=True),
    Column("state", Text, nullable=False),
    comment="One row per openedx_ledger_reversal (the full refund of one transaction).",
)

raw_ledger_deposit = landing_table(
    "ledger_deposit",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("desired_deposit_quantity", BigInteger, nullable=False),
    Column("sales_contract_reference_id", Text),
    Column("ledger_id", Text, nullable=False),
    Column("transaction_id", Text, nullable=False, index=True),
    comment="One row per openedx_ledger_deposit (the initial deposit and every top-up).",
)

raw_ledger_adjustment = landing_table(
    "ledger_adjustment",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("adjustment_quantity", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("ledger_id", Text, nullable=False),
    Column("transaction_id", Text, nullable=False, index=True),
    Column("transaction_of_interest_id", Text),
    comment="One row per openedx_ledger_adjustment (a staff correction of total deposits).",
)

raw_ledger_external_reference = landing_table(
    "ledger_externaltransactionreference",
    Column("external_reference_id", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("external_fulfillment_provider_id", BigInteger, nullable=False),
    Column("transaction_id", Text, index=True),
    comment=(
        "One row per openedx_ledger_externaltransactionreference (an external, GEAG/Exec Ed, "
        "order reference of a ledger transaction)."
    ),
)

raw_access_policy = landing_table(
    "access_subsidyaccesspolicy",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("policy_type", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("catalog_uuid", Text, nullable=False),
    Column("subsidy_uuid", Text, nullable=False, index=True),
    Column("access_method", Text, nullable=False),
    Column("per_learner_enrollment_limit", Integer),
    Column("per_learner_spend_limit", Integer),
    Column("spend_limit", Integer),
    Column("enterprise_customer_uuid", Text, nullable=False),
    Column("display_name", Text),
    Column("assignment_configuration_id", Text),
    Column("retired", Boolean, nullable=False),
    Column("late_redemption_allowed_until", TZ),
    Column("retired_at", TZ),
    Column("learner_credit_request_config_id", Text),
    comment="One row per enterprise-access subsidy access policy (a budget).",
)

raw_access_assignment_configuration = landing_table(
    "access_assignmentconfiguration",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("enterprise_customer_uuid", Text, nullable=False),
    comment="One row per enterprise-access assignment configuration.",
)

raw_access_request_configuration = landing_table(
    "access_learnercreditrequestconfiguration",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("active", Boolean, nullable=False),
    comment="One row per enterprise-access Browse-and-Request configuration of a policy.",
)

raw_access_policy_group = landing_table(
    "access_policygroupassociation",
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("enterprise_group_uuid", Text),
    Column("subsidy_access_policy_id", Text, nullable=False, index=True),
    comment="One row per (policy, enterprise group) restriction of a budget.",
)

raw_access_assignment = landing_table(
    "access_learnercontentassignment",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("learner_email", Text, nullable=False),
    Column("lms_user_id", BigInteger),
    Column("content_key", Text, nullable=False),
    Column("content_quantity", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("transaction_uuid", Text),
    Column("assignment_configuration_id", Text, index=True),
    Column("content_title", Text),
    Column("accepted_at", TZ),
    Column("allocated_at", TZ, nullable=False),
    Column("cancelled_at", TZ),
    Column("errored_at", TZ),
    Column("expired_at", TZ),
    Column("reversed_at", TZ),
    Column("is_assigned_course_run", Boolean, nullable=False),
    Column("parent_content_key", Text),
    comment="One row per enterprise-access learner content assignment (an earmark of money).",
)

raw_access_assignment_action = landing_table(
    "access_learnercontentassignmentaction",
    Column("uuid", Text, primary_key=True),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("action_type", Text, nullable=False),
    Column("completed_at", TZ),
    Column("error_reason", Text),
    Column("assignment_id", Text, nullable=False, index=True),
    comment="One row per action on an assignment (notified, reminded, errors...).",
)

# ------------------------------------------------------------------------------------------------
# lcm_raw: what the ingest keeps about its sources — watermarks, rejected rows, event-bus events
# ------------------------------------------------------------------------------------------------

watermark = Table(
    "watermark",
    metadata,
    Column("source", Text, primary_key=True),
    Column("source_table", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # 'id' | 'modified' | 'full'
    Column("id_value", BigInteger),
    Column("time_value", TZ),
    Column("run_id", BigInteger, nullable=False),
    Column("updated_at", TZ, nullable=False, server_default=text("now()")),
    prefixes=UNLOGGED,
    schema=RAW,
    comment="One row per source table: the high-water mark the last committed ingest reached.",
)

rejected_record = Table(
    "rejected_record",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("source_table", Text, nullable=False),
    Column("natural_key", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text),
    Column("enterprise_customer_uuid", UUID(as_uuid=True)),
    Column("amount", Money),
    Column("payload", JSONB, nullable=False),
    Column("stage", Text, nullable=False),  # 'landing' | 'transform'
    Column("first_seen_at", TZ, nullable=False, server_default=text("now()")),
    Column("last_seen_at", TZ, nullable=False, server_default=text("now()")),
    Column("first_run_id", BigInteger, nullable=False),
    Column("last_run_id", BigInteger, nullable=False),
    Column("resolved_at", TZ),
    UniqueConstraint("source", "source_table", "natural_key", "reason"),
    Index(None, "resolved_at", "reason"),
    schema=RAW,
    comment=(
        "One row per (source row, reason) that failed a rule; resolved_at is set once the row "
        "stops failing (fixed at the source or superseded)."
    ),
)

event_bus_event = Table(
    "event_bus_event",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),  # the message's `id` header
    Column("event_type", Text, nullable=False),
    Column("stream", Text, nullable=False),
    Column("entry_id", Text, nullable=False),  # Redis Streams id of the first delivery
    Column("source", Text),
    Column("event_time", TZ),
    Column("headers", JSONB, nullable=False),  # minorversion, sourcehost, sourcelib
    Column("data", JSONB, nullable=False),  # event_data, Avro-decoded
    Column("lms_user_id", BigInteger),
    # The enterprises the event touches; NULL = could not be resolved (no LMS source configured),
    # which makes the refresh an incremental pass; '{}' = the learner belongs to no enterprise.
    Column("enterprise_uuids", ARRAY(UUID(as_uuid=True))),
    Column("received_at", TZ, nullable=False, server_default=text("now()")),
    Column("processed_at", TZ),  # NULL until the refresh the event asked for has succeeded
    Column("refresh", Text),  # 'targeted_pass' | 'incremental_pass' | 'asset_event' | 'none'
    Index(None, "processed_at"),
    schema=RAW,
    comment=(
        "One row per Open edX event-bus event (deduplicated on the event id), with the "
        "enterprises it touches and whether the refresh it triggers has run."
    ),
)

# ------------------------------------------------------------------------------------------------
# lcm: the read model
# ------------------------------------------------------------------------------------------------

offer_summary = Table(
    "offer_summary",
    metadata,
    Column("offer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False, index=True),
    Column("enterprise_name", Text),
    Column("display_name", Text),
    Column("offer_name", Text, nullable=False),
    Column("offer_type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("start_datetime", TZ),
    Column("end_datetime", TZ),
    Column("date_created", TZ),
    Column("usage_type", Text),
    Column("discount_value", Numeric(12, 2)),
    Column("max_discount", Money),
    Column("max_user_discount", Money),
    Column("max_user_applications", BigInteger),
    Column("max_global_applications", BigInteger),
    Column("enterprise_catalog_uuid", UUID(as_uuid=True)),
    Column("emails_for_usage_alert", Text),
    Column("amount_spent", Money, nullable=False),
    Column("amount_refunded", Money, nullable=False),
    Column("amount_of_offer_spent", Money, nullable=False),
    Column("remaining_balance", Money),
    Column("percent_of_offer_spent", Numeric),
    Column("redeemed_funds", Money, nullable=False),
    Column("remaining_funds", Money),
    Column("percent_utilized", Numeric),
    Column("balance_state", Text, nullable=False),
    Column("enrollment_count", BigInteger, nullable=False),
    Column("learner_count", BigInteger, nullable=False),
    Column("sum_course_price", Money, nullable=False),
    Column("sum_amount_learner_paid", Money, nullable=False),
    Column("first_spend_at", TZ),
    Column("last_spend_at", TZ),
    Column("total_discount_ecommerce", Money),
    Column("ecommerce_drift", Money),
    Column("num_applications_ecommerce", BigInteger),
    Column("num_orders_ecommerce", BigInteger),
    Column("is_fcfs_org_wide", Boolean, nullable=False),
    # The landed ecommerce offer row (with condition and benefit ids), so the ecommerce-compatible
    # API can render every field of ecommerce's serializer without reading lcm_raw.
    Column("source_offer", JSONB, nullable=False),
    Column("data_as_of", TZ, nullable=False),
    schema=LCM,
    comment="One row per enterprise learner-credit offer (ecommerce Site offer).",
)

offer_redemption = Table(
    "offer_redemption",
    metadata,
    Column("order_discount_id", BigInteger, primary_key=True, autoincrement=False),
    Column("order_line_id", BigInteger, primary_key=True, autoincrement=False),
    Column("offer_id", BigInteger, nullable=False),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False),
    Column("order_id", BigInteger, nullable=False, index=True),
    Column("order_number", Text, nullable=False),
    Column("ecommerce_user_id", BigInteger),
    Column("lms_user_id", BigInteger),
    Column("user_email", Text),
    Column("course_key", Text),
    Column("courserun_key", Text),
    Column("course_title", Text),
    Column("course_list_price", Money),
    Column("amount", Money, nullable=False),
    Column("amount_learner_paid", Money),
    Column("redeemed_at", TZ, nullable=False),
    Column("enrollment_date", Date, nullable=False),
    Column("is_refunded", Boolean, nullable=False),
    Column("amount_refunded", Money, nullable=False),
    Column("refunded_at", TZ),
    # The LMS enterprise_enterprisecourseenrollment id of this learner, enterprise and course
    # run when the LMS source has one, else order_line_id (migration 0007).
    Column("enterprise_enrollment_id", BigInteger, nullable=False),
    Index(None, "offer_id", "enrollment_date"),
    Index(None, "enterprise_customer_uuid", "offer_id"),
    # An enterprise's enrollments newest first (the enrollments page's default order and its
    # tie-breakers) with the list price, so a page is an index range and its count an index-only
    # scan (migration 0005); with the offer and the email, so the search's walk reads only the
    # index until the page is full (migration 0022).
    Index(
        "ix_offer_redemption_enterprise_enrollment",
        "enterprise_customer_uuid",
        text("enrollment_date DESC"),
        text("order_discount_id DESC"),
        text("order_line_id DESC"),
        postgresql_include=["course_list_price", "offer_id", "user_email"],
    ),
    # Whether a learner still has a live redemption of an offer (incremental learner counts).
    Index(
        "ix_offer_redemption_offer_learner",
        "offer_id",
        text("coalesce(lms_user_id, - ecommerce_user_id)"),
    ),
    # An offer's refunds by refund day (the few refunded rows, not the offer's whole history):
    # the daily utilization a publish recomputes from a day on (migration 0010).
    Index(
        "ix_offer_redemption_offer_refund_day",
        "offer_id",
        text("((refunded_at AT TIME ZONE 'UTC'::text)::date)"),
        postgresql_where=text("amount_refunded > 0::numeric AND refunded_at IS NOT NULL"),
    ),
    # The enrollments search: the rows of the terms lcm.enrollment_search_terms() found (text
    # equality is LEAKPROOF, so these serve the search under row-level security; migration 0009).
    Index(None, "enterprise_customer_uuid", "user_email"),
    Index(None, "enterprise_customer_uuid", "course_title"),
    schema=LCM,
    comment=(
        "One row per enrollment paid by an offer: an order line of a Complete order times a "
        "learner-credit discount of that order."
    ),
)

enrollment_search_term = Table(
    "enrollment_search_term",
    metadata,
    Column("enterprise_customer_uuid", UUID(as_uuid=True), primary_key=True),
    Column("field", Text, primary_key=True),
    Column("term", Text, primary_key=True),
    Column("offer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("folded", Text, nullable=False),
    Column("redemptions", BigInteger, nullable=False),
    Column("priced_redemptions", BigInteger, nullable=False),
    # 'all': one row per enterprise and offer, term '', counting every redemption (the count of
    # an unsearched enrollments page, migration 0024).
    CheckConstraint("field IN ('user_email', 'course_title', 'all')", name="field"),
    postgresql_with={"fillfactor": 80},  # room for HOT updates of the counts
    # Where pg_trgm and btree_gin exist, also a GIN index ix_enrollment_search_term_trgm on
    # (enterprise_customer_uuid, folded gin_trgm_ops) of the emails — optional, so not declared
    # here.
    schema=LCM,
    comment=(
        "One row per enterprise, searched field (user_email, course_title), value of that field "
        "and offer among the enterprise's redemptions, and one per enterprise and offer with "
        "field all and term '' (every redemption): the value lower-cased (folded), how many "
        "redemptions have it and how many of those have a list price; kept by triggers on "
        "offer_redemption."
    ),
)
"""Read only through ``lcm.enrollment_search_terms(field, needle)`` (SECURITY DEFINER, the
transaction's tenant only); see migration 0009 and docs/serving.md."""

offer_utilization_daily = Table(
    "offer_utilization_daily",
    metadata,
    Column("offer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False, index=True),
    Column("amount_spent", Money, nullable=False),
    Column("amount_refunded", Money, nullable=False),
    Column("cumulative_net_spent", Money, nullable=False),
    Column("remaining_balance", Money),
    schema=LCM,
    comment=(
        "One row per offer per UTC day with spend or refund activity; days without activity "
        "are omitted (their values carry forward from the previous row)."
    ),
)

enterprise_eligibility = Table(
    "enterprise_eligibility",
    metadata,
    Column("enterprise_customer_uuid", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_name", Text),
    # LMS facts; NULL = unknown (the LMS source was not read): never a reason.
    Column("lcm_screen_enabled", Boolean),
    Column("customer_active", Boolean),
    Column("data_sharing_consent_required", Boolean),
    # 'shown' | 'consent_required' | 'shown_consent_unknown' | 'hidden_consent_unknown'
    Column("email_visibility", Text, nullable=False),
    # Offer facts (valid learner-credit offers of lcm.offer_summary); "current" as of data_as_of.
    Column("offer_count", Integer, nullable=False),
    Column("current_offer_count", Integer, nullable=False),
    Column("current_fcfs_offer_count", Integer, nullable=False),
    Column("lcm_offer_id", BigInteger),
    # Validity windows (inclusive bounds) still open at data_as_of, to re-evaluate at request
    # time; NULL = license-manager was not read (unknown).
    Column("subscription_plan_windows", ARRAY(TSTZRANGE)),
    Column("active_subscription_plan_count", Integer),
    # Distinct windows of redeemable coupon codes and how many codes share each one; NULL =
    # the ecommerce voucher tables were not read (unknown).
    Column("coupon_code_windows", ARRAY(TSTZRANGE)),
    Column("coupon_code_counts", ARRAY(Integer)),
    Column("active_coupon_code_count", Integer),
    Column("is_eligible", Boolean, nullable=False),
    Column("reasons", ARRAY(Text), nullable=False),
    Column("data_as_of", TZ, nullable=False),
    schema=LCM,
    comment=(
        "One row per enterprise known to any source (a learner-credit offer or coupon in "
        "ecommerce, an LMS customer, a license-manager agreement): the facts of the LCM page's "
        "eligibility rule (ADR 3) and its verdict as of data_as_of."
    ),
)

# Ledger era (issue 14): budgets. Money in integer USD cents, as the services compute it.

subsidy_balance = Table(
    "subsidy_balance",
    metadata,
    Column("subsidy_uuid", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False, index=True),
    Column("title", Text),
    Column("ledger_uuid", UUID(as_uuid=True)),
    Column("unit", Text, nullable=False),
    Column("reference_id", Text),
    Column("reference_type", Text, nullable=False),
    Column("revenue_category", Text, nullable=False),
    Column("active_datetime", TZ),
    Column("expiration_datetime", TZ),
    Column("internal_only", Boolean, nullable=False),
    Column("is_soft_deleted", Boolean, nullable=False),
    Column("starting_balance_cents", BigInteger, nullable=False),
    # Committed deposits and adjustments net of their reversals (Ledger.total_deposits()).
    Column("total_deposits_cents", BigInteger, nullable=False),
    # Every non-failed transaction plus its reversal (Ledger.balance()).
    Column("current_balance_cents", BigInteger, nullable=False),
    # Spend limits of the subsidy's active budgets (validated against total deposits on save).
    Column("total_spend_limits_cents", BigInteger, nullable=False),
    Column("transaction_count", BigInteger, nullable=False),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("data_as_of", TZ, nullable=False),
    schema=LCM,
    comment="One row per enterprise-subsidy subsidy with its ledger's balance and deposits.",
)

budget = Table(
    "budget",
    metadata,
    Column("policy_uuid", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False, index=True),
    Column("subsidy_uuid", UUID(as_uuid=True), nullable=False),
    Column("policy_type", Text, nullable=False),
    Column("display_name", Text),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("retired", Boolean, nullable=False),
    Column("retired_at", TZ),
    Column("catalog_uuid", UUID(as_uuid=True)),
    Column("access_method", Text, nullable=False),
    Column("spend_limit_cents", BigInteger),
    Column("per_learner_spend_limit_cents", BigInteger),
    Column("per_learner_enrollment_limit", BigInteger),
    Column("late_redemption_allowed_until", TZ),
    Column("assignment_configuration_uuid", UUID(as_uuid=True)),
    Column("assignment_configuration_active", Boolean),
    Column("bnr_enabled", Boolean, nullable=False),
    Column("group_uuids", ARRAY(UUID(as_uuid=True)), nullable=False),
    # FALSE: the subsidy is unknown or soft-deleted; the services then answer null amounts.
    Column("subsidy_available", Boolean, nullable=False),
    Column("subsidy_active_datetime", TZ),
    Column("subsidy_expiration_datetime", TZ),
    Column("subsidy_internal_only", Boolean),
    # Cents as the services compute them (see docs/ledger.md): spent = -total_redeemed.
    Column("spent_cents", BigInteger, nullable=False),
    Column("allocated_cents", BigInteger, nullable=False),
    Column("subsidy_balance_cents", BigInteger),
    Column("spend_available_cents", BigInteger),
    Column("total_deposits_for_subsidy_cents", BigInteger),
    Column("total_spend_limits_for_subsidy_cents", BigInteger),
    Column("redemption_count", BigInteger, nullable=False),
    Column("learner_count", BigInteger, nullable=False),
    Column("first_spend_at", TZ),
    Column("last_spend_at", TZ),
    Column("created", TZ, nullable=False),
    Column("data_as_of", TZ, nullable=False),
    schema=LCM,
    comment=(
        "One row per enterprise-access subsidy access policy (a budget) with spent, allocated "
        "and available as the services compute them, in integer USD cents."
    ),
)

budget_transaction = Table(
    "budget_transaction",
    metadata,
    Column("transaction_uuid", UUID(as_uuid=True), primary_key=True),
    Column("subsidy_uuid", UUID(as_uuid=True), nullable=False),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False),
    Column("policy_uuid", UUID(as_uuid=True)),
    Column("kind", Text, nullable=False),  # 'redemption' | 'deposit' | 'adjustment'
    Column("state", Text, nullable=False),
    Column("quantity_cents", BigInteger, nullable=False),
    Column("unit", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("metadata", JSONB),
    Column("lms_user_id", BigInteger),
    Column("lms_user_email", Text),
    Column("content_key", Text),
    Column("parent_content_key", Text),
    Column("content_title", Text),
    Column("course_run_start_date", TZ),
    Column("fulfillment_identifier", Text),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    Column("reversal_uuid", UUID(as_uuid=True)),
    Column("reversal_state", Text),
    Column("reversal_quantity_cents", BigInteger),
    Column("reversal_idempotency_key", Text),
    Column("reversal_metadata", JSONB),
    Column("reversal_created", TZ),
    Column("reversal_modified", TZ),
    # The ids of its external (GEAG, Exec Ed) order references, in id order; empty for most.
    Column("external_reference", ARRAY(Text), nullable=False),
    Index(None, "subsidy_uuid", "created"),
    Index(None, "policy_uuid", "created"),
    schema=LCM,
    comment=(
        "One row per ledger transaction of a landed subsidy (the budget's Spent table), with "
        "its reversal; amounts in signed USD cents as the ledger holds them."
    ),
)

budget_assignment = Table(
    "budget_assignment",
    metadata,
    Column("assignment_uuid", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False),
    Column("assignment_configuration_uuid", UUID(as_uuid=True), nullable=False, index=True),
    Column("policy_uuid", UUID(as_uuid=True)),
    Column("learner_email", Text, nullable=False),
    Column("lms_user_id", BigInteger),
    Column("content_key", Text, nullable=False),
    Column("parent_content_key", Text),
    Column("is_assigned_course_run", Boolean, nullable=False),
    Column("content_title", Text),
    Column("content_quantity_cents", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("transaction_uuid", UUID(as_uuid=True)),
    Column("allocated_at", TZ, nullable=False),
    # Admin-facing learner_state (derived: notifying | waiting | failed | expired | NULL).
    Column("learner_state", Text),
    Column("learner_state_sort_order", Integer, nullable=False),
    Column("recent_action", Text, nullable=False),  # 'assigned' | 'reminded'
    Column("recent_action_time", TZ, nullable=False),
    Column("error_reason", JSONB),
    Column("actions", JSONB, nullable=False),
    Column("earliest_possible_expiration", JSONB),
    Column("created", TZ, nullable=False),
    Column("modified", TZ, nullable=False),
    schema=LCM,
    comment=(
        "One row per learner content assignment of a landed assignment configuration (the "
        "budget's Assigned table), with its derived learner_state and recent action."
    ),
)

budget_utilization_daily = Table(
    "budget_utilization_daily",
    metadata,
    Column("policy_uuid", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False, index=True),
    # Non-failed redemptions created that UTC day, and reversals created that day (positive).
    Column("spent_cents", BigInteger, nullable=False),
    Column("refunded_cents", BigInteger, nullable=False),
    schema=LCM,
    comment=(
        "One row per budget per UTC day with spend or refund activity (days without activity "
        "are omitted); the depletion forecast's input."
    ),
)

# ------------------------------------------------------------------------------------------------
# lcm: the run log and the balance alerts
# ------------------------------------------------------------------------------------------------

pipeline_run = Table(
    "pipeline_run",
    metadata,
    Column("run_id", BigInteger, primary_key=True, autoincrement=True),
    Column("stage", Text, nullable=False),  # 'ingest' | 'publish'
    Column("trigger", Text, nullable=False),  # 'schedule' | 'event' | 'manual'
    Column("mode", Text, nullable=False),  # 'full' | 'incremental' | 'targeted'
    Column("status", Text, nullable=False),  # 'running' | 'succeeded' | 'failed' | 'abandoned'
    Column("started_at", TZ, nullable=False, server_default=text("now()")),
    Column("finished_at", TZ),
    Column("data_as_of", TZ),
    Column("landing_run_id", BigInteger),
    Column("enterprise_uuids", ARRAY(UUID(as_uuid=True))),
    Column("sources", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("watermarks", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("timings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("error", Text),
    Column("host", Text),
    Column("pid", Integer),
    Index(None, "stage", "status", "run_id"),
    schema=LCM,
    comment="One row per pipeline stage execution (an ingest or a publish) with its outcome.",
)

offer_balance_state = Table(
    "offer_balance_state",
    metadata,
    Column("offer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False),
    Column("balance_state", Text, nullable=False),
    # Number of state changes seen after the first observation (0 = never changed).
    Column("transition_count", Integer, nullable=False),
    Column("first_seen_at", TZ, nullable=False, server_default=text("now()")),
    Column("changed_at", TZ, nullable=False, server_default=text("now()")),
    Column("data_as_of", TZ, nullable=False),
    schema=LCM,
    comment="One row per offer: the balance_state the alert check last saw.",
)

balance_alert = Table(
    "balance_alert",
    metadata,
    Column("alert_id", BigInteger, primary_key=True, autoincrement=True),
    Column("offer_id", BigInteger, nullable=False),
    Column("transition_seq", Integer, nullable=False),  # 0 = first observation of the offer
    Column("enterprise_customer_uuid", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),  # 'low_balance' | 'no_balance' | 'replenished'
    Column("from_state", Text),  # NULL when the offer was first seen in this state
    Column("to_state", Text, nullable=False),
    Column("recipients", ARRAY(Text), nullable=False),
    Column("facts", JSONB, nullable=False),  # the offer's numbers when the transition was seen
    Column("data_as_of", TZ, nullable=False),
    Column("detected_at", TZ, nullable=False, server_default=text("now()")),
    Column("status", Text, nullable=False),  # 'pending' | 'delivered' | 'skipped'
    Column("status_detail", Text),  # why skipped, or the last delivery error
    Column("channel", Text),  # 'smtp' | 'webhook' once delivered
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_attempt_at", TZ),
    Column("delivered_at", TZ),
    UniqueConstraint("offer_id", "transition_seq"),
    Index(None, "status"),
    schema=LCM,
    comment=(
        "One row per offer per balance_state transition worth a notification (to low, to "
        "depleted, back to ok), with its delivery status."
    ),
)
