"""ecommerce's enterprise admin offers (GET /api/v2/enterprise/{uuid}/enterprise-admin-offers/)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    cast,
    func,
    not_,
    or_,
    select,
)

from lcm_etl.eligibility import (
    is_current,
)
from lcm_etl.queries.formatting import UTC, cents, iso_datetime, money_string, number, uuid_string
from lcm_etl.queries.paging import Page, PageRequest, paged
from lcm_etl.schema import offer_summary

# EnterpriseAdminOfferApiSerializer: ConditionalOffer's fields (__all__) + 8 appended keys.
ADMIN_OFFER_FIELDS = (
    "id",
    "name",
    "slug",
    "description",
    "offer_type",
    "exclusive",
    "status",
    "priority",
    "start_datetime",
    "end_datetime",
    "max_global_applications",
    "max_user_applications",
    "max_basket_applications",
    "max_discount",
    "total_discount",
    "num_applications",
    "num_orders",
    "redirect_url",
    "date_created",
    "email_domains",
    "sales_force_id",
    "salesforce_opportunity_line_item",
    "max_user_discount",
    "emails_for_usage_alert",
    "usage_email_frequency",
    "condition",
    "benefit",
    "site",
    "partner",
    "enterprise_contract_metadata",
    "combinations",
    "usage_type",
    "discount_value",
    "enterprise_customer_uuid",
    "enterprise_catalog_uuid",
    "display_name",
    "remaining_balance",
    "remaining_applications",
    "is_current",
)

_ADMIN_OFFER_COLUMNS = (
    offer_summary.c.offer_id,
    offer_summary.c.enterprise_customer_uuid,
    offer_summary.c.offer_name,
    offer_summary.c.offer_type,
    offer_summary.c.status,
    offer_summary.c.start_datetime,
    offer_summary.c.end_datetime,
    offer_summary.c.date_created,
    offer_summary.c.max_global_applications,
    offer_summary.c.max_user_applications,
    offer_summary.c.max_discount,
    offer_summary.c.max_user_discount,
    offer_summary.c.total_discount_ecommerce,
    offer_summary.c.num_applications_ecommerce,
    offer_summary.c.num_orders_ecommerce,
    offer_summary.c.emails_for_usage_alert,
    offer_summary.c.usage_type,
    offer_summary.c.discount_value,
    offer_summary.c.enterprise_catalog_uuid,
    offer_summary.c.display_name,
    # As text, so decimals come back exact (the JSON driver would turn them into floats).
    cast(offer_summary.c.source_offer, Text).label("source_offer"),
)


def _source_value(source: Mapping[str, Any], *names: str) -> Any:
    """The landed ecommerce row keeps source column names (``site_id``); accept the model's
    field names (``site``) too."""
    for name in names:
        if source.get(name) is not None:
            return source[name]
    return None


def _as_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _as_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() in {"1", "t", "true", "y", "yes"}
    return bool(value)


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _admin_offer_row(row: Any, now: dt.datetime) -> dict[str, Any]:
    source: dict[str, Any] = json.loads(row.source_offer, parse_float=Decimal)
    max_discount: Decimal | None = row.max_discount
    total_discount = (
        row.total_discount_ecommerce
        if row.total_discount_ecommerce is not None
        else _as_decimal(source.get("total_discount"))
    ) or Decimal(0)
    num_applications = row.num_applications_ecommerce
    if num_applications is None:
        num_applications = _as_int(source.get("num_applications")) or 0
    num_orders = row.num_orders_ecommerce
    if num_orders is None:
        num_orders = _as_int(source.get("num_orders")) or 0
    exclusive = _as_bool(source.get("exclusive"))
    return {
        "id": row.offer_id,
        "name": row.offer_name,
        "slug": _as_text(source.get("slug")),
        "description": _as_text(source.get("description")) or "",
        "offer_type": row.offer_type,
        "exclusive": True if exclusive is None else exclusive,
        "status": row.status,
        "priority": _as_int(source.get("priority")),
        "start_datetime": iso_datetime(row.start_datetime),
        "end_datetime": iso_datetime(row.end_datetime),
        "max_global_applications": row.max_global_applications,
        "max_user_applications": row.max_user_applications,
        "max_basket_applications": _as_int(source.get("max_basket_applications")),
        "max_discount": money_string(max_discount),
        "total_discount": money_string(total_discount),
        "num_applications": num_applications,
        "num_orders": num_orders,
        "redirect_url": _as_text(source.get("redirect_url")) or "",
        "date_created": iso_datetime(row.date_created),
        "email_domains": _as_text(source.get("email_domains")),
        "sales_force_id": _as_text(source.get("sales_force_id")),
        "salesforce_opportunity_line_item": _as_text(
            source.get("salesforce_opportunity_line_item")
        ),
        "max_user_discount": money_string(row.max_user_discount),
        "emails_for_usage_alert": row.emails_for_usage_alert or "",
        "usage_email_frequency": _as_text(source.get("usage_email_frequency")),
        "condition": _as_int(_source_value(source, "condition_id", "condition")),
        "benefit": _as_int(_source_value(source, "benefit_id", "benefit")),
        "site": _as_int(_source_value(source, "site_id", "site")),
        "partner": _as_int(_source_value(source, "partner_id", "partner")),
        "enterprise_contract_metadata": _as_int(
            _source_value(source, "enterprise_contract_metadata_id", "enterprise_contract_metadata")
        ),
        "combinations": [],
        "usage_type": row.usage_type,
        # ecommerce drops benefit.value into the output as a raw Decimal: a JSON number.
        "discount_value": number(row.discount_value),
        "enterprise_customer_uuid": uuid_string(row.enterprise_customer_uuid),
        "enterprise_catalog_uuid": uuid_string(row.enterprise_catalog_uuid),
        "display_name": row.display_name,
        # ecommerce's own live figure (max_discount − total_discount), as str(Decimal).
        "remaining_balance": (
            None if max_discount is None else str(cents(max_discount) - cents(total_discount))
        ),
        "remaining_applications": (
            None
            if row.max_global_applications is None
            else row.max_global_applications - num_applications
        ),
        "is_current": is_current(row.start_datetime, row.end_datetime, now),
    }


@dataclasses.dataclass(frozen=True)
class AdminOfferFilter:
    """ecommerce's OfferApiFilter."""

    is_current: bool | None = None
    usage_types: tuple[str, ...] = ()
    """Case-insensitive ``Percentage`` / ``Absolute``."""
    discount_value: Decimal | None = None
    status: str | None = None
    max_user_applications_isnull: bool | None = None
    max_user_discount_isnull: bool | None = None


def _current_clause(now: dt.datetime) -> ColumnElement[bool]:
    start, end = offer_summary.c.start_datetime, offer_summary.c.end_datetime
    return and_(or_(start.is_(None), start <= now), or_(end.is_(None), end >= now))


def admin_offers(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    page: PageRequest,
    *,
    where: AdminOfferFilter,
    now: dt.datetime | None = None,
) -> Page:
    """ecommerce's enterprise-admin-offers list: Site offers of the enterprise, by id."""
    now = now or dt.datetime.now(UTC)
    query = select(*_ADMIN_OFFER_COLUMNS).where(
        offer_summary.c.enterprise_customer_uuid == enterprise_uuid,
        offer_summary.c.offer_type == "Site",
    )
    if where.is_current is not None:
        clause = _current_clause(now)
        query = query.where(clause if where.is_current else not_(clause))
    if where.usage_types:
        query = query.where(
            func.lower(offer_summary.c.usage_type).in_([u.lower() for u in where.usage_types])
        )
    if where.discount_value is not None:
        query = query.where(offer_summary.c.discount_value == where.discount_value)
    if where.status:
        query = query.where(offer_summary.c.status == where.status)
    if where.max_user_applications_isnull is not None:
        column = offer_summary.c.max_user_applications
        query = query.where(
            column.is_(None) if where.max_user_applications_isnull else column.is_not(None)
        )
    if where.max_user_discount_isnull is not None:
        column = offer_summary.c.max_user_discount
        query = query.where(
            column.is_(None) if where.max_user_discount_isnull else column.is_not(None)
        )
    count, number_, rows = paged(conn, query, [offer_summary.c.offer_id], page)
    return Page(count, number_, page.size, [_admin_offer_row(r, now) for r in rows])


def admin_offer(
    conn: Connection, enterprise_uuid: uuid.UUID, offer_id: int, *, now: dt.datetime | None = None
) -> dict[str, Any] | None:
    now = now or dt.datetime.now(UTC)
    row = conn.execute(
        select(*_ADMIN_OFFER_COLUMNS).where(
            offer_summary.c.enterprise_customer_uuid == enterprise_uuid,
            offer_summary.c.offer_type == "Site",
            offer_summary.c.offer_id == offer_id,
        )
    ).first()
    return None if row is None else _admin_offer_row(row, now)
