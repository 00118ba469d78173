"""The ecommerce (Otto) source tables lcm-etl reads, as SQLAlchemy Core tables.

Written from ``ddl/ecommerce.sql`` (the real MariaDB schema): same table and column names, types
and NULL-ability, so the same definitions create a demo source on SQLite, PostgreSQL or MariaDB and
the extractor reads any of them. No database defaults: like Django, inserts give every NOT NULL
column. Foreign-key constraints are left out; the real schema has them, the demo needs none, and
bad-row tests must be able to insert orphans.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql

metadata = MetaData()

Money = Numeric(12, 2, asdecimal=True)
# Django's DateTimeField is datetime(6) on MySQL/MariaDB; a plain DATETIME would drop microseconds.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

#: ``offer_condition.proxy_class`` of learner-credit and coupon conditions.
ENTERPRISE_CONDITION = "ecommerce.enterprise.conditions.EnterpriseCustomerCondition"
ASSIGNABLE_ENTERPRISE_CONDITION = (
    "ecommerce.enterprise.conditions.AssignableEnterpriseCustomerCondition"
)
PERCENTAGE_BENEFIT = "ecommerce.enterprise.benefits.EnterprisePercentageDiscountBenefit"
ABSOLUTE_BENEFIT = "ecommerce.enterprise.benefits.EnterpriseAbsoluteDiscountBenefit"

partner = Table(
    "partner_partner",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("short_code", String(8), nullable=False),
    Column("default_site_id", Integer),
)

user = Table(
    "ecommerce_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("password", String(128), nullable=False),
    Column("last_login", Timestamp),
    Column("is_superuser", Boolean, nullable=False),
    Column("username", String(150), nullable=False),
    Column("first_name", String(30), nullable=False),
    Column("last_name", String(30), nullable=False),
    Column("email", String(254), nullable=False),
    Column("is_staff", Boolean, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("date_joined", Timestamp, nullable=False),
    Column("full_name", String(255)),
    Column("tracking_context", Text),
    Column("lms_user_id", Integer),
)

course = Table(
    "courses_course",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("thumbnail_url", String(200)),
    Column("verification_deadline", Timestamp),
    Column("site_id", Integer),
    Column("created", Timestamp),
    Column("modified", Timestamp),
    Column("partner_id", Integer, nullable=False),
)

product_class = Table(
    "catalogue_productclass",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("slug", String(128), nullable=False),
    Column("requires_shipping", Boolean, nullable=False),
    Column("track_stock", Boolean, nullable=False),
)

product = Table(
    "catalogue_product",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("structure", String(10), nullable=False),
    Column("upc", String(64)),
    Column("title", String(255), nullable=False),
    Column("slug", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("rating", Float),
    Column("date_created", Timestamp, nullable=False),
    Column("date_updated", Timestamp, nullable=False),
    Column("is_discountable", Boolean, nullable=False),
    Column("parent_id", Integer),
    Column("product_class_id", Integer),
    Column("course_id", String(255)),
    Column("expires", Timestamp),
    Column("is_public", Boolean, nullable=False),
    Column("meta_description", Text),
    Column("meta_title", String(255)),
)

stockrecord = Table(
    "partner_stockrecord",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_sku", String(128), nullable=False),
    Column("price_currency", String(12), nullable=False),
    Column("num_in_stock", Integer),
    Column("num_allocated", Integer),
    Column("low_stock_threshold", Integer),
    Column("date_created", Timestamp, nullable=False),
    Column("date_updated", Timestamp, nullable=False),
    Column("partner_id", Integer, nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("price", Money),
)

condition = Table(
    "offer_condition",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(128), nullable=False),
    Column("value", Money),
    Column("proxy_class", String(255)),
    Column("range_id", Integer),
    Column("program_uuid", String(32)),
    Column("enterprise_customer_catalog_uuid", String(32)),
    Column("enterprise_customer_name", String(255)),
    Column("enterprise_customer_uuid", String(32), index=True),
)

benefit = Table(
    "offer_benefit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(128), nullable=False),
    Column("value", Money),
    Column("max_affected_items", Integer),
    Column("proxy_class", String(255)),
    Column("range_id", Integer),
)

offer = Table(
    "offer_conditionaloffer",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("slug", String(128), nullable=False),
    Column("description", Text, nullable=False),
    Column("offer_type", String(128), nullable=False),
    Column("status", String(64), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("start_datetime", Timestamp),
    Column("end_datetime", Timestamp),
    Column("max_global_applications", Integer),
    Column("max_user_applications", Integer),
    Column("max_basket_applications", Integer),
    Column("max_discount", Money),
    Column("total_discount", Money, nullable=False),
    Column("num_applications", Integer, nullable=False),
    Column("num_orders", Integer, nullable=False),
    Column("redirect_url", String(200), nullable=False),
    Column("date_created", Timestamp, nullable=False),
    Column("benefit_id", Integer, nullable=False),
    Column("condition_id", Integer, nullable=False, index=True),
    Column("email_domains", String(255)),
    Column("site_id", Integer),
    Column("partner_id", Integer),
    Column("exclusive", Boolean, nullable=False),
    Column("enterprise_contract_metadata_id", Integer),
    Column("sales_force_id", String(30)),
    Column("max_user_discount", Money),
    Column("emails_for_usage_alert", Text, nullable=False),
    Column("usage_email_frequency", String(8), nullable=False),
    Column("salesforce_opportunity_line_item", String(30)),
)

voucher = Table(
    "voucher_voucher",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("code", String(128), nullable=False),
    Column("usage", String(128), nullable=False),
    Column("start_datetime", Timestamp, nullable=False),
    Column("end_datetime", Timestamp, nullable=False),
    Column("num_basket_additions", Integer, nullable=False),
    Column("num_orders", Integer, nullable=False),
    Column("total_discount", Money, nullable=False),
    Column("date_created", Timestamp, nullable=False),
    Column("voucher_set_id", Integer),
    Column("is_public", Boolean, nullable=False),
)

voucher_offers = Table(
    "voucher_voucher_offers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("voucher_id", Integer, nullable=False),
    Column("conditionaloffer_id", Integer, nullable=False, index=True),
)

order = Table(
    "order_order",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(128), nullable=False),
    Column("currency", String(12), nullable=False),
    Column("total_incl_tax", Money, nullable=False),
    Column("total_excl_tax", Money, nullable=False),
    Column("shipping_incl_tax", Money, nullable=False),
    Column("shipping_excl_tax", Money, nullable=False),
    Column("shipping_method", String(128), nullable=False),
    Column("shipping_code", String(128), nullable=False),
    Column("status", String(100), nullable=False),
    Column("guest_email", String(254), nullable=False),
    Column("date_placed", Timestamp, nullable=False),
    Column("basket_id", Integer),
    Column("billing_address_id", Integer),
    Column("shipping_address_id", Integer),
    Column("site_id", Integer),
    Column("user_id", Integer),
    Column("partner_id", Integer),
)

line = Table(
    "order_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_name", String(128), nullable=False),
    Column("partner_sku", String(128), nullable=False),
    Column("partner_line_reference", String(128), nullable=False),
    Column("partner_line_notes", Text, nullable=False),
    Column("title", String(255), nullable=False),
    Column("upc", String(128)),
    Column("quantity", Integer, nullable=False),
    Column("line_price_incl_tax", Money, nullable=False),
    Column("line_price_excl_tax", Money, nullable=False),
    Column("line_price_before_discounts_incl_tax", Money, nullable=False),
    Column("line_price_before_discounts_excl_tax", Money, nullable=False),
    Column("unit_price_incl_tax", Money),
    Column("unit_price_excl_tax", Money),
    Column("status", String(255), nullable=False),
    Column("order_id", Integer, nullable=False, index=True),
    Column("partner_id", Integer),
    Column("product_id", Integer),
    Column("stockrecord_id", Integer),
    Column("effective_contract_discount_percentage", Numeric(8, 5)),
    Column("effective_contract_discounted_price", Money),
)

# ``amount`` is NOT NULL in the real schema; the bad-row tests insert NULLs through a source that
# does not enforce it, so the column stays nullable here.
order_discount = Table(
    "order_orderdiscount",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("category", String(64), nullable=False),
    Column("offer_id", Integer, index=True),
    Column("offer_name", String(128), nullable=False),
    Column("voucher_id", Integer),
    Column("voucher_code", String(128), nullable=False),
    Column("frequency", Integer),
    Column("amount", Money),
    Column("message", Text, nullable=False),
    Column("order_id", Integer, nullable=False, index=True),
)

refund = Table(
    "refund_refund",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False, index=True),
    Column("total_credit_excl_tax", Money, nullable=False),
    Column("currency", String(12), nullable=False),
    Column("status", String(255), nullable=False),
    Column("order_id", Integer, nullable=False, index=True),
    Column("user_id", Integer, nullable=False),
)

refund_line = Table(
    "refund_refundline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Timestamp, nullable=False),
    Column("modified", Timestamp, nullable=False, index=True),
    Column("line_credit_excl_tax", Money, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(255), nullable=False),
    Column("order_line_id", Integer, nullable=False, index=True),
    Column("refund_id", Integer, nullable=False, index=True),
)
