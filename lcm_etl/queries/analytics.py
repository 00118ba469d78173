"""The analytics API's answers (edx-enterprise-data): offers and enrollments."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    false,
    func,
    literal,
    select,
)

from lcm_etl.queries import enrollment_statement
from lcm_etl.queries.enrollment_statement import (
    ENROLLMENT_DEFAULT_ORDERING,
    ENROLLMENT_ORDERING,
    ENROLLMENT_TIE_BREAKERS,
)
from lcm_etl.queries.formatting import iso_date, iso_datetime, money, number, uuid_string
from lcm_etl.queries.paging import (
    InvalidPage,
    Page,
    PageRequest,
    offer_id_value,
    order_by_clause,
    paged,
    resolve_page,
)
from lcm_etl.queries.tenancy import data_as_of_query
from lcm_etl.schema import offer_redemption, offer_summary

# The HEAD shape of edx-enterprise-data's EnterpriseOfferSerializer (all model fields), in order.
ANALYTICS_OFFER_FIELDS = (
    "offer_id",
    "budgets",
    "enterprise_customer_uuid",
    "enterprise_name",
    "sum_amount_learner_paid",
    "sum_course_price",
    "status",
    "offer_type",
    "date_created",
    "emails_for_usage_alert",
    "discount_type",
    "discount_value",
    "max_discount",
    "total_discount_ecommerce",
    "amount_of_offer_spent",
    "percent_of_offer_spent",
    "remaining_balance",
    "amount_offer_spent_ocm",
    "amount_offer_spent_exec_ed",
    "export_timestamp",
)

ANALYTICS_OFFER_ORDERING: dict[str, ColumnElement[Any]] = {
    "offer_id": offer_summary.c.offer_id,
    "enterprise_customer_uuid": offer_summary.c.enterprise_customer_uuid,
    "enterprise_name": offer_summary.c.enterprise_name,
    "sum_amount_learner_paid": offer_summary.c.sum_amount_learner_paid,
    "sum_course_price": offer_summary.c.sum_course_price,
    "status": offer_summary.c.status,
    "offer_type": offer_summary.c.offer_type,
    "date_created": offer_summary.c.date_created,
    "emails_for_usage_alert": offer_summary.c.emails_for_usage_alert,
    "discount_type": offer_summary.c.usage_type,
    "discount_value": offer_summary.c.discount_value,
    "max_discount": offer_summary.c.max_discount,
    "total_discount_ecommerce": offer_summary.c.total_discount_ecommerce,
    "amount_of_offer_spent": offer_summary.c.amount_of_offer_spent,
    "percent_of_offer_spent": offer_summary.c.percent_of_offer_spent,
    "remaining_balance": offer_summary.c.remaining_balance,
}
"""The orderable fields whose values are columns; ``export_timestamp`` is one value per
enterprise (:func:`_export_timestamp`), orderable too."""

_ANALYTICS_OFFER_COLUMNS = (
    offer_summary.c.offer_id,
    offer_summary.c.enterprise_customer_uuid,
    offer_summary.c.enterprise_name,
    offer_summary.c.sum_amount_learner_paid,
    offer_summary.c.sum_course_price,
    offer_summary.c.status,
    offer_summary.c.offer_type,
    offer_summary.c.date_created,
    offer_summary.c.emails_for_usage_alert,
    offer_summary.c.usage_type,
    offer_summary.c.discount_value,
    offer_summary.c.max_discount,
    offer_summary.c.total_discount_ecommerce,
    offer_summary.c.amount_of_offer_spent,
    offer_summary.c.percent_of_offer_spent,
    offer_summary.c.remaining_balance,
)


def _export_timestamp(enterprise_uuid: uuid.UUID) -> ColumnElement[Any]:
    """The enterprise's data freshness (``enterprise_data_as_of``, the ``X-Data-As-Of`` header),
    computed once per query: a summary row's own ``data_as_of`` is when its values were last
    recomputed, which a publish that did not touch the offer leaves as it was."""
    return data_as_of_query(enterprise_uuid).scalar_subquery()


def _offer_columns(enterprise_uuid: uuid.UUID) -> tuple[ColumnElement[Any], ...]:
    return (*_ANALYTICS_OFFER_COLUMNS, _export_timestamp(enterprise_uuid).label("data_as_of"))


def _analytics_offer_row(row: Any) -> dict[str, Any]:
    """Raw (unclamped) values, like the warehouse rows the portal reads; numbers, not strings.

    The OCM / Executive Education split needs the product line, which ecommerce orders do not
    carry, so those two are null rather than guessed.
    """
    return {
        "offer_id": str(row.offer_id),
        "budgets": [],
        "enterprise_customer_uuid": uuid_string(row.enterprise_customer_uuid),
        "enterprise_name": row.enterprise_name,
        "sum_amount_learner_paid": money(row.sum_amount_learner_paid),
        "sum_course_price": money(row.sum_course_price),
        "status": row.status,
        "offer_type": row.offer_type,
        "date_created": iso_datetime(row.date_created),
        "emails_for_usage_alert": row.emails_for_usage_alert,
        "discount_type": row.usage_type,
        "discount_value": number(row.discount_value),
        "max_discount": money(row.max_discount),
        "total_discount_ecommerce": money(row.total_discount_ecommerce),
        "amount_of_offer_spent": money(row.amount_of_offer_spent),
        "percent_of_offer_spent": number(row.percent_of_offer_spent),
        "remaining_balance": money(row.remaining_balance),
        "amount_offer_spent_ocm": None,
        "amount_offer_spent_exec_ed": None,
        "export_timestamp": iso_datetime(row.data_as_of),
    }


def analytics_offers(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    page: PageRequest,
    *,
    offer_id: str | None = None,
    status: str | None = None,
    ordering: str | None = None,
) -> Page:
    """The analytics offers list; raises :class:`InvalidPage` or :class:`BadOrdering`."""
    orderable = {**ANALYTICS_OFFER_ORDERING, "export_timestamp": _export_timestamp(enterprise_uuid)}
    order_by = order_by_clause(
        ordering, orderable, [offer_summary.c.offer_id], [offer_summary.c.offer_id]
    )
    query = select(*_offer_columns(enterprise_uuid)).where(
        offer_summary.c.enterprise_customer_uuid == enterprise_uuid
    )
    wanted = offer_id_value(offer_id)
    if wanted is False:
        query = query.where(false())
    elif wanted is not None:
        query = query.where(offer_summary.c.offer_id == wanted)
    if status:
        query = query.where(offer_summary.c.status == status)
    count, number_, rows = paged(conn, query, order_by, page)
    return Page(count, number_, page.size, [_analytics_offer_row(r) for r in rows])


def analytics_offer(
    conn: Connection, enterprise_uuid: uuid.UUID, offer_id: str
) -> dict[str, Any] | None:
    """One analytics offer row, or ``None``. Dashes are stripped first, like the source."""
    wanted = offer_id_value(offer_id.replace("-", ""))
    if wanted is None or wanted is False:
        return None
    row = conn.execute(
        select(*_offer_columns(enterprise_uuid)).where(
            offer_summary.c.enterprise_customer_uuid == enterprise_uuid,
            offer_summary.c.offer_id == wanted,
        )
    ).first()
    return None if row is None else _analytics_offer_row(row)


# edx-enterprise-data HEAD EnterpriseLearnerEnrollmentSerializer / EnrollmentsCSVRenderer.header
# in the service's order; lcm-etl appends ``amount`` (charged to the offer).
ENROLLMENT_FIELDS = (
    "enrollment_id",
    "enterprise_enrollment_id",
    "is_consent_granted",
    "paid_by",
    "user_current_enrollment_mode",
    "enrollment_date",
    "unenrollment_date",
    "unenrollment_end_within_date",
    "is_refunded",
    "seat_delivery_method",
    "offer_id",
    "offer_name",
    "offer_type",
    "coupon_code",
    "coupon_name",
    "contract_id",
    "course_list_price",
    "amount_learner_paid",
    "course_key",
    "courserun_key",
    "course_title",
    "course_pacing_type",
    "course_start_date",
    "course_end_date",
    "course_duration_weeks",
    "course_max_effort",
    "course_min_effort",
    "course_primary_program",
    "primary_program_type",
    "course_primary_subject",
    "has_passed",
    "last_activity_date",
    "progress_status",
    "passed_date",
    "current_grade",
    "letter_grade",
    "enterprise_user_id",
    "user_email",
    "user_account_creation_date",
    "user_country_code",
    "user_username",
    "user_first_name",
    "user_last_name",
    "enterprise_name",
    "enterprise_customer_uuid",
    "enterprise_sso_uid",
    "created",
    "course_api_url",
    "total_learning_time_hours",
    "is_subsidy",
    "course_product_line",
    "budget_id",
    "enterprise_flex_group_name",
    "enterprise_flex_group_uuid",
    "course_progress",
    "course_passing_grade",
    "amount",
)


@dataclasses.dataclass(frozen=True)
class EnrollmentFilter:
    offer_id: str | None = None
    ignore_null_course_list_price: bool = False
    search: str | None = None
    """``user_email`` contains this, case-insensitively, matched literally (no wildcards)."""
    search_course: str | None = None
    """``course_title`` contains this, case-insensitively, matched literally."""


_REDEMPTION_COLUMNS = tuple(offer_redemption.c[name] for name in enrollment_statement.PAGE_COLUMNS)


def _search_terms(field: str, needle: str) -> Select[Any]:
    """The values of ``field`` that contain ``needle`` among the tenant's redemptions, as a
    subquery of the statement that reads the rows (they never travel to Python and back)."""
    terms = func.lcm.enrollment_search_terms(literal(field), needle).table_valued(
        "term", "offer_id", "redemptions", "priced_redemptions"
    )
    return select(terms.c.term)


def _enrollment_query(enterprise_uuid: uuid.UUID, where: EnrollmentFilter) -> Select[Any]:
    """Every matching enrollment with its offer's columns (the streamed answers; a page is
    :mod:`enrollment_statement`'s one statement)."""
    query = (
        select(
            *_REDEMPTION_COLUMNS,
            offer_summary.c.offer_name,
            offer_summary.c.offer_type,
            offer_summary.c.enterprise_name,
        )
        .select_from(
            offer_redemption.outerjoin(
                offer_summary, offer_summary.c.offer_id == offer_redemption.c.offer_id
            )
        )
        .where(offer_redemption.c.enterprise_customer_uuid == enterprise_uuid)
    )
    wanted = offer_id_value(where.offer_id)
    if wanted is False:
        query = query.where(false())
    elif wanted is not None:
        query = query.where(offer_redemption.c.offer_id == wanted)
    if where.ignore_null_course_list_price:
        query = query.where(offer_redemption.c.course_list_price.is_not(None))
    # Equality with the values the function found: an index condition under row-level
    # security, where ILIKE could only filter every row of the enterprise.
    for column, needle in (
        (offer_redemption.c.user_email, where.search),
        (offer_redemption.c.course_title, where.search_course),
    ):
        if needle is not None:
            query = query.where(column.in_(_search_terms(column.name, needle)))
    return query


def _enrollment_row(
    row: Any, enterprise_uuid: uuid.UUID, created: dt.datetime | None
) -> dict[str, Any]:
    customer = uuid_string(enterprise_uuid)
    row_values: dict[str, Any] = dict.fromkeys(ENROLLMENT_FIELDS)
    row_values.update(
        {
            # The admin portal's row id (LMS enterprise course enrollment, else the order line).
            "enterprise_enrollment_id": row.enterprise_enrollment_id,
            "enrollment_date": iso_date(row.enrollment_date),
            "is_refunded": row.is_refunded,
            "offer_id": str(row.offer_id),
            "offer_name": row.offer_name,
            "offer_type": row.offer_type,
            "course_list_price": money(row.course_list_price),
            "amount_learner_paid": money(row.amount_learner_paid),
            "course_key": row.course_key,
            "courserun_key": row.courserun_key,
            "course_title": row.course_title,
            "user_email": row.user_email,
            "enterprise_name": row.enterprise_name,
            "enterprise_customer_uuid": customer,
            # The service's "row load time", which the 2022 page shows as "Data last updated
            # on": ours is when the data was last known current, which is what that label means.
            "created": iso_datetime(created),
            "course_api_url": (
                f"/enterprise/v1/enterprise-catalogs/{customer}/courses/{row.courserun_key}"
                if row.courserun_key
                else None
            ),
            # Every row is an ecommerce offer redemption, never an enterprise-subsidy one.
            "is_subsidy": False,
            "amount": money(row.amount),
        }
    )
    return row_values


def enrollment_page_statement(
    enterprise_uuid: uuid.UUID, page: PageRequest, *, where: EnrollmentFilter, ordering: str | None
) -> tuple[str, dict[str, Any]]:
    """The page's one statement (count and rows; see :mod:`enrollment_statement`) and its
    parameters; raises :class:`BadOrdering`, or :class:`InvalidPage` for a page below 1."""
    wanted = offer_id_value(where.offer_id)
    searches = tuple(
        field
        for field, needle in (("user_email", where.search), ("course_title", where.search_course))
        if needle is not None
    )
    shape = enrollment_statement.Shape(
        searches=searches,  # type: ignore[arg-type]
        offer="none" if wanted is False else "any" if wanted is None else "one",
        priced_only=where.ignore_null_course_list_price,
        ordering=ordering,
        last_page=page.number == "last",
    )
    number = 1 if page.number == "last" else page.number
    if number < 1:
        raise InvalidPage(number)  # before the statement: its OFFSET would be negative
    parameters = enrollment_statement.parameters(
        enterprise_uuid,
        search=where.search,
        search_course=where.search_course,
        offer_id=wanted if isinstance(wanted, int) and wanted is not False else None,
        limit=page.size,
        offset=(number - 1) * page.size,
    )
    return enrollment_statement.statement(shape).sql, parameters


def enrollment_page_from_rows(
    rows: Sequence[Any],
    page: PageRequest,
    enterprise_uuid: uuid.UUID,
    data_as_of: dt.datetime | None,
) -> Page:
    """The page from the statement's rows: the first column is the count (also on the one row
    of an empty page, whose other columns are null); raises :class:`InvalidPage`."""
    count = int(rows[0].total) if rows else 0
    number = resolve_page(page, count)
    results = [
        _enrollment_row(row, enterprise_uuid, data_as_of)
        for row in rows
        if row.order_line_id is not None
    ]
    return Page(count, number, page.size, results)


def enrollments_page(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    page: PageRequest,
    *,
    where: EnrollmentFilter,
    ordering: str | None = None,
    data_as_of: dt.datetime | None = None,
) -> Page:
    """One page of the enrollments an enterprise's offers paid for (analytics row shape), in
    one statement (the API sends the same statement with its tenant settings in one message)."""
    sql, parameters = enrollment_page_statement(
        enterprise_uuid, page, where=where, ordering=ordering
    )
    rows = conn.exec_driver_sql(sql, parameters).all()
    return enrollment_page_from_rows(rows, page, enterprise_uuid, data_as_of)


def check_enrollment_ordering(ordering: str | None) -> None:
    """Raise :class:`BadOrdering` now, before a streamed answer has sent its headers."""
    order_by_clause(ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, ())


def iter_enrollments(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    *,
    where: EnrollmentFilter,
    ordering: str | None = None,
    data_as_of: dt.datetime | None = None,
    batch_size: int = 1_000,
) -> Iterator[dict[str, Any]]:
    """Every matching enrollment, streamed from a server-side cursor (for the CSV answer)."""
    order_by = order_by_clause(
        ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, ENROLLMENT_TIE_BREAKERS
    )
    result = conn.execution_options(stream_results=True, max_row_buffer=batch_size).execute(
        _enrollment_query(enterprise_uuid, where).order_by(*order_by)
    )
    for partition in result.partitions(batch_size):
        for row in partition:
            yield _enrollment_row(row, enterprise_uuid, data_as_of)
