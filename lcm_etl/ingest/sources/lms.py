"""The LMS (edx-platform + edx-enterprise) source tables lcm-etl reads, as SQLAlchemy Core tables.

Written from ``ddl/lms_enterprise.sql`` (the real MariaDB schema): same table and column names,
types and NULL-ability, so the same definitions create a demo source on SQLite, PostgreSQL or
MariaDB and the extractor reads any of them. Like ``ecommerce.py``: no database defaults (Django
applies its defaults in the ORM, so inserts give every NOT NULL column; the Django default of each
column is noted where a writer needs it) and no foreign-key constraints.

UUIDs are stored like Django does on MySQL: ``char(32)``, lowercase hex without dashes.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

metadata = MetaData()

# datetime(6) and longtext as in the real schema when the tables are created on MariaDB/MySQL.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
Uuid32 = String(32)

#: ``enterprise_enterprisecustomer.enforce_data_sharing_consent`` values.
CONSENT_AT_ENROLLMENT = "at_enrollment"
CONSENT_EXTERNALLY_MANAGED = "externally_managed"

#: Grain: one row per LMS user. ``id`` = ``ecommerce_user.lms_user_id``.
auth_user = Table(
    "auth_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("password", String(128), nullable=False),
    Column("last_login", Timestamp),
    Column("is_superuser", Boolean, nullable=False),
    Column("username", String(150), nullable=False),
    Column("first_name", String(150), nullable=False),
    Column("last_name", String(150), nullable=False),
    Column("email", String(254), nullable=False),
    Column("is_staff", Boolean, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("date_joined", Timestamp, nullable=False),
)

#: Grain: one row per enterprise customer (``uuid``, 32 hex). Django defaults of the flags are in
#: ``ENTERPRISE_CUSTOMER_DEFAULTS``.
enterprise_customer = Table(
    "enterprise_enterprisecustomer",
    metadata,
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False),
    Column("uuid", Uuid32, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("slug", String(30), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("country", String(2)),
    Column("hide_course_original_price", Boolean, nullable=False),
    Column("enable_data_sharing_consent", Boolean, nullable=False),
    Column("enforce_data_sharing_consent", String(25), nullable=False),
    Column("enable_audit_enrollment", Boolean, nullable=False),
    Column("enable_audit_data_reporting", Boolean, nullable=False),
    Column("replace_sensitive_sso_username", Boolean, nullable=False),
    Column("enable_autocohorting", Boolean, nullable=False),
    Column("enable_portal_code_management_screen", Boolean, nullable=False),
    Column("enable_portal_reporting_config_screen", Boolean, nullable=False),
    Column("enable_portal_subscription_management_screen", Boolean, nullable=False),
    Column("enable_learner_portal", Boolean, nullable=False),
    Column("contact_email", String(254)),
    Column("customer_type_id", Integer, nullable=False),
    Column("site_id", Integer, nullable=False),
    Column("enable_slug_login", Boolean, nullable=False),
    Column("enable_portal_saml_configuration_screen", Boolean, nullable=False),
    Column("default_contract_discount", Numeric(8, 5, asdecimal=True)),
    Column("enable_analytics_screen", Boolean, nullable=False),
    Column("enable_integrated_customer_learner_portal_search", Boolean, nullable=False),
    Column("default_language", String(25)),
    Column("enable_portal_lms_configurations_screen", Boolean, nullable=False),
    Column("sender_alias", String(255)),
    Column("reply_to", String(254)),
    Column("hide_labor_market_data", Boolean, nullable=False),
    Column("enable_universal_link", Boolean, nullable=False),
    Column("enable_browse_and_request", Boolean, nullable=False),
    Column("enable_learner_portal_offers", Boolean, nullable=False),
    Column("enable_portal_learner_credit_management_screen", Boolean, nullable=False),
    Column("enable_executive_education_2U_fulfillment", Boolean, nullable=False),
    Column("auth_org_id", String(80)),
    Column("enable_generation_of_api_credentials", Boolean, nullable=False),
    Column("enable_pathways", Boolean, nullable=False),
    Column("enable_programs", Boolean, nullable=False),
    Column("enable_demo_data_for_analytics_and_lpr", Boolean, nullable=False),
    Column("enable_academies", Boolean, nullable=False),
    Column("enable_one_academy", Boolean, nullable=False),
    Column("disable_expiry_messaging_for_learner_credit", Boolean, nullable=False),
    Column("enable_learner_portal_sidebar_message", Boolean, nullable=False),
    Column("learner_portal_sidebar_content", LongText, nullable=False),
    Column("show_videos_in_learner_portal_search_results", Boolean, nullable=False),
    Column("enable_learner_credit_message_box", Boolean, nullable=False),
    Column("enable_credit_and_industry_pathways", Boolean, nullable=False),
    Column("enable_people_management", Boolean, nullable=False),
)

#: The Django model defaults of ``enterprise_enterprisecustomer``'s NOT NULL columns (the real
#: schema has no SQL defaults, so a writer must give them).
ENTERPRISE_CUSTOMER_DEFAULTS: dict[str, object] = {
    "active": True,
    "hide_course_original_price": False,
    "enable_data_sharing_consent": True,
    "enforce_data_sharing_consent": CONSENT_AT_ENROLLMENT,
    "enable_audit_enrollment": False,
    "enable_audit_data_reporting": False,
    "replace_sensitive_sso_username": False,
    "enable_autocohorting": False,
    "enable_portal_code_management_screen": False,
    "enable_portal_reporting_config_screen": False,
    "enable_portal_subscription_management_screen": False,
    "enable_learner_portal": True,
    "enable_slug_login": False,
    "enable_portal_saml_configuration_screen": False,
    "enable_analytics_screen": True,
    "enable_integrated_customer_learner_portal_search": True,
    "enable_portal_lms_configurations_screen": False,
    "hide_labor_market_data": False,
    "enable_universal_link": False,
    "enable_browse_and_request": False,
    "enable_learner_portal_offers": False,
    "enable_portal_learner_credit_management_screen": False,
    "enable_executive_education_2U_fulfillment": False,
    "enable_generation_of_api_credentials": False,
    "enable_pathways": True,
    "enable_programs": True,
    "enable_demo_data_for_analytics_and_lpr": False,
    "enable_academies": True,
    "enable_one_academy": False,
    "disable_expiry_messaging_for_learner_credit": False,
    "enable_learner_portal_sidebar_message": False,
    "learner_portal_sidebar_content": "",
    "show_videos_in_learner_portal_search_results": False,
    "enable_learner_credit_message_box": True,
    "enable_credit_and_industry_pathways": True,
    "enable_people_management": True,
}

#: Grain: one row per (enterprise customer, LMS user) link. ``user_id`` = ``auth_user.id``;
#: ``linked`` = 0 once the learner was unlinked.
enterprise_customer_user = Table(
    "enterprise_enterprisecustomeruser",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False),
    Column("user_id", Integer, nullable=False, index=True),
    Column("active", Boolean, nullable=False),
    Column("linked", Boolean, nullable=False),
    Column("enterprise_customer_id", Uuid32, nullable=False, index=True),
    Column("invite_key_id", Uuid32),
    Column("should_inactivate_other_customers", Boolean, nullable=False),
    Column("is_relinkable", Boolean, nullable=False),
    Column("user_fk", Integer),
)

#: Grain: one row per (enterprise customer, username, course). ``granted``: 1 given, 0 declined,
#: NULL not answered yet. Keyed by username, not user id.
data_sharing_consent = Table(
    "consent_datasharingconsent",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False),
    Column("username", String(255), nullable=False, index=True),
    Column("granted", Boolean),
    Column("course_id", String(255), nullable=False),
    Column("enterprise_customer_id", Uuid32, nullable=False, index=True),
)

#: Grain: one row per (enterprise customer user, course run): the LMS side of an enterprise
#: enrollment. ``id`` is the analytics API's ``enterprise_enrollment_id``.
enterprise_course_enrollment = Table(
    "enterprise_enterprisecourseenrollment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False),
    Column("course_id", String(255), nullable=False),
    Column("enterprise_customer_user_id", Integer, nullable=False),
    UniqueConstraint("enterprise_customer_user_id", "course_id"),
)
