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
    Text,
    any_,
    bindparam,
    false,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from lcm_etl.queries.formatting import iso_date, iso_datetime, money, number, uuid_string
from lcm_etl.queries.paging import Page, PageRequest, offer_id_value, order_by_clause, paged
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
    "export_timestamp": offer_summary.c.data_as_of,
}

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
    offer_summary.c.data_as_of,
)


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
    order_by = order_by_clause(
        ordering, ANALYTICS_OFFER_ORDERING, [offer_summary.c.offer_id], [offer_summary.c.offer_id]
    )
    query = select(*_ANALYTICS_OFFER_COLUMNS).where(
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
        select(*_ANALYTICS_OFFER_COLUMNS).where(
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

ENROLLMENT_ORDERING: dict[str, ColumnElement[Any]] = {
    "user_email": offer_redemption.c.user_email,
    "course_title": offer_redemption.c.course_title,
    "course_list_price": offer_redemption.c.course_list_price,
    "enrollment_date": offer_redemption.c.enrollment_date,
    "offer_id": offer_redemption.c.offer_id,
    "is_refunded": offer_redemption.c.is_refunded,
    "amount_learner_paid": offer_redemption.c.amount_learner_paid,
    "course_key": offer_redemption.c.course_key,
    "courserun_key": offer_redemption.c.courserun_key,
    "amount": offer_redemption.c.amount,
}
# The LCM page always asks for -enrollment_date (newest spend first), and it is the only order
# that makes sense for a spend table. The service's own defaults do not fit: HEAD's
# -last_activity_date is LMS progress data we do not hold, and 2022's user_email sorts the
# consent-hidden (null) emails together at the end of an otherwise arbitrary order.
ENROLLMENT_DEFAULT_ORDERING = (offer_redemption.c.enrollment_date.desc(),)
# Unique, so equal sort keys never reorder between pages.
_ENROLLMENT_TIE_BREAKERS = (
    offer_redemption.c.order_discount_id.desc(),
    offer_redemption.c.order_line_id.desc(),
)


@dataclasses.dataclass(frozen=True)
class EnrollmentFilter:
    offer_id: str | None = None
    ignore_null_course_list_price: bool = False
    search: str | None = None
    """``user_email`` contains this, case-insensitively, matched literally (no wildcards)."""
    search_course: str | None = None
    """``course_title`` contains this, case-insensitively, matched literally."""


_REDEMPTION_COLUMNS = (
    offer_redemption.c.order_discount_id,
    offer_redemption.c.order_line_id,
    offer_redemption.c.offer_id,
    offer_redemption.c.user_email,
    offer_redemption.c.course_key,
    offer_redemption.c.courserun_key,
    offer_redemption.c.course_title,
    offer_redemption.c.course_list_price,
    offer_redemption.c.amount,
    offer_redemption.c.amount_learner_paid,
    offer_redemption.c.enrollment_date,
    offer_redemption.c.is_refunded,
    offer_redemption.c.enterprise_enrollment_id,
)


def _enrollment_query(
    enterprise_uuid: uuid.UUID,
    where: EnrollmentFilter,
    found: SearchMatches,
    *,
    for_count: bool = False,
    for_page: bool = False,
) -> Select[Any]:
    """The matching enrollments; ``for_count``: only what counting them needs (the offer join
    adds columns, never removes rows, and costs a join per row on a large enterprise);
    ``for_page``: the offer's columns as subqueries, which PostgreSQL evaluates after the sort
    and the limit — for the page's 20 rows, not for every match."""
    tenant = offer_redemption.c.enterprise_customer_uuid == enterprise_uuid
    query: Select[Any]
    if for_count:
        query = select(offer_redemption.c.order_line_id).where(tenant)
    elif for_page:
        offer = offer_summary.alias("page_offer")

        def offer_column(name: str) -> Any:
            return (
                select(offer.c[name])
                .where(offer.c.offer_id == offer_redemption.c.offer_id)
                .scalar_subquery()
                .label(name)
            )

        query = select(
            *_REDEMPTION_COLUMNS,
            offer_column("offer_name"),
            offer_column("offer_type"),
            offer_column("enterprise_name"),
        ).where(tenant)
    else:
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
            .where(tenant)
        )
    wanted = offer_id_value(where.offer_id)
    if wanted is False:
        query = query.where(false())
    elif wanted is not None:
        query = query.where(offer_redemption.c.offer_id == wanted)
    if where.ignore_null_course_list_price:
        query = query.where(offer_redemption.c.course_list_price.is_not(None))
    # The searches as equality with the values found (see SearchMatches): an index condition
    # under row-level security, where ILIKE could only filter every row of the enterprise.
    for column, matches in (
        (offer_redemption.c.user_email, found.emails),
        (offer_redemption.c.course_title, found.titles),
    ):
        if matches is not None:
            values = sorted({m.term for m in matches})
            query = query.where(column == any_(bindparam(None, values, type_=ARRAY(Text))))
    return query


_SEARCH_TERMS = text(
    "SELECT term, offer_id, redemptions, priced_redemptions "
    "FROM lcm.enrollment_search_terms(:field, :needle)"
)


@dataclasses.dataclass(frozen=True)
class SearchMatches:
    """What ``lcm.enrollment_search_terms`` (migration 0009) found for the searches: per value
    of the field that contains the needle, and per offer, how many redemptions have it.

    The function runs with the rights of ``lcm_search`` over a table of the enterprises'
    distinct values, and answers for the enterprise named by the transaction's tenant setting
    only (the API's tenant transaction; no setting, no values). ``None``: that search is off.
    """

    emails: Sequence[Any] | None = None
    titles: Sequence[Any] | None = None

    @classmethod
    def find(cls, conn: Connection, where: EnrollmentFilter) -> SearchMatches:
        def run(field: str, needle: str | None) -> Sequence[Any] | None:
            if needle is None:
                return None
            return conn.execute(_SEARCH_TERMS, {"field": field, "needle": needle}).all()

        return cls(run("user_email", where.search), run("course_title", where.search_course))

    def count(self, where: EnrollmentFilter) -> int | None:
        """The number of matching redemptions, from the counts alone, when one search is on
        (with both, a row matches only if it matches each: the rows must be counted)."""
        if (self.emails is None) == (self.titles is None):
            return None
        matches = self.emails if self.emails is not None else self.titles
        assert matches is not None
        wanted = offer_id_value(where.offer_id)
        if wanted is False:
            return 0
        return sum(
            int(m.priced_redemptions if where.ignore_null_course_list_price else m.redemptions)
            for m in matches
            if wanted is None or m.offer_id == wanted
        )


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


def enrollments_page(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    page: PageRequest,
    *,
    where: EnrollmentFilter,
    ordering: str | None = None,
    data_as_of: dt.datetime | None = None,
) -> Page:
    """One page of the enrollments an enterprise's offers paid for (analytics row shape)."""
    order_by = order_by_clause(
        ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, _ENROLLMENT_TIE_BREAKERS
    )
    found = SearchMatches.find(conn, where)
    count, number_, rows = paged(
        conn,
        _enrollment_query(enterprise_uuid, where, found, for_page=True),
        order_by,
        page,
        count_query=_enrollment_query(enterprise_uuid, where, found, for_count=True),
        count=found.count(where),
    )
    return Page(
        count, number_, page.size, [_enrollment_row(r, enterprise_uuid, data_as_of) for r in rows]
    )


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
        ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, _ENROLLMENT_TIE_BREAKERS
    )
    found = SearchMatches.find(conn, where)
    result = conn.execution_options(stream_results=True, max_row_buffer=batch_size).execute(
        _enrollment_query(enterprise_uuid, where, found).order_by(*order_by)
    )
    for partition in result.partitions(batch_size):
        for row in partition:
            yield _enrollment_row(row, enterprise_uuid, data_as_of)
