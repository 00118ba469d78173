"""The endpoints. Each runs its queries in one tenant transaction (``queries.tenant_transaction``:
role ``lcm_portal``, row-level security on the URL's enterprise, one snapshot) and returns the
JSON the contract prescribes, with ``X-Data-As-Of`` where the body shape has no room for it."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from lcm_etl import queries
from lcm_etl.api import models, pageroute
from lcm_etl.api.deps import (
    BadRequest,
    api_state,
    bool_param,
    choice_list_param,
    decimal_param,
    ordering_param,
    tenant,
    text_param,
)
from lcm_etl.api.pagination import analytics_envelope, drf_envelope, page_request
from lcm_etl.replica import replica_status

DATA_AS_OF_HEADER = "X-Data-As-Of"

CAN_ACCESS_ENTERPRISE = "can_access_enterprise"  # the analytics API's edx-rbac permission
CAN_VIEW_ADMIN_OFFER = "enterprise.can_view_enterprise_admin_offer"  # ecommerce's

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.ErrorBody, "description": "Malformed parameter"},
    401: {"model": models.ErrorBody, "description": "No valid token"},
    403: {
        "model": models.ErrorBody,
        "description": "The token's roles do not cover this enterprise",
    },
    404: {"model": models.ErrorBody, "description": "Unknown enterprise, offer or page"},
    503: {"model": models.ErrorBody, "description": "The read model is unavailable"},
}

PageParam = Annotated[str | None, Query(description="1-based page number, or `last`.")]
OrderingParam = Annotated[
    str | None,
    Query(description="Comma list of fields, `-` prefix for descending (whitelisted fields)."),
]
NoPageParam = Annotated[
    str | None, Query(description="Any value: no pagination, the answer is a bare JSON array.")
]


def _headers(data_as_of: dt.datetime | None) -> dict[str, str]:
    rendered = queries.iso_datetime(data_as_of)
    return {DATA_AS_OF_HEADER: rendered} if rendered else {}


def _not_found(detail: str = "Not found.") -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=404)


# ------------------------------------------------------------------------------------------------
# lcm-etl's own answer
# ------------------------------------------------------------------------------------------------

page_router = APIRouter(tags=["learner credit"])


PAGE_PATH = "/api/v1/enterprises/{enterprise_uuid}/learner-credit"


# Declared here for OpenAPI and served here with ``create_app(page_fast_path=False)``; the app
# answers it in plain ASGI ahead of the routing (api.pageroute), with the same answers.
@page_router.get(
    PAGE_PATH,
    response_model=models.LearnerCreditPage,
    responses=ERRORS,
    summary="Everything the Learner Credit Management page shows, in one answer",
)
async def learner_credit(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_ACCESS_ENTERPRISE))],
) -> Response:
    """The same JSON as `lcm-etl page UUID`: eligibility with reasons, every offer (current
    first) with the portal's clamped summary, balance state and alerts, and `data_as_of`."""
    # In the event loop, one round trip (api.pagereader): the same tenant transaction, the same
    # statements and rendering as `lcm-etl page`, the same bytes.
    body = await api_state(request).page_reader.page(customer)
    if body is None:
        return _not_found(f"Enterprise {customer} is not in the read model.")
    return Response(body, media_type="application/json", headers=_page_headers(body))


def _page_headers(body: bytes) -> dict[str, str]:
    as_of = pageroute.data_as_of(body)
    return {} if as_of is None else {DATA_AS_OF_HEADER: as_of.decode()}


# ------------------------------------------------------------------------------------------------
# Analytics API (edx-enterprise-data) compatible
# ------------------------------------------------------------------------------------------------

analytics_router = APIRouter(prefix="/enterprise/api/v1/enterprise", tags=["analytics API"])
ANALYTICS_OFFERS_PAGE = (10, 100)  # DefaultPagination: default size, max size
ENROLLMENTS_PAGE = (10, 1000)  # EnterpriseEnrollmentsPagination


@analytics_router.get(
    "/{enterprise_uuid}/offers/",
    response_model=models.AnalyticsOfferPage | list[models.AnalyticsOffer],
    responses=ERRORS,
    summary="Offer aggregates (EnterpriseOfferViewSet list)",
)
def analytics_offers(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_ACCESS_ENTERPRISE))],
    page: PageParam = None,
    page_size: Annotated[str | None, Query(description="Default 10, at most 100.")] = None,
    no_page: NoPageParam = None,
    offer_id: Annotated[str | None, Query(description="Exact offer id.")] = None,
    status: Annotated[str | None, Query(description="Exact status, e.g. Open.")] = None,
    ordering: OrderingParam = None,
) -> JSONResponse:
    state = api_state(request)
    offer_filter = text_param("offer_id", offer_id)
    status_filter = text_param("status", status)
    ordering = ordering_param(ordering)
    default_size, max_size = ANALYTICS_OFFERS_PAGE
    with queries.tenant_transaction(state.engine, customer) as conn:
        data_as_of = queries.enterprise_data_as_of(conn, customer)
        if no_page:
            rows = queries.analytics_offers(
                conn,
                customer,
                queries.PageRequest(1, queries.UNPAGED),
                offer_id=offer_filter,
                status=status_filter,
                ordering=ordering,
            ).results
            return JSONResponse(rows, headers=_headers(data_as_of))
        result = queries.analytics_offers(
            conn,
            customer,
            page_request(page, page_size, default_size=default_size, max_size=max_size),
            offer_id=offer_filter,
            status=status_filter,
            ordering=ordering,
        )
    return JSONResponse(analytics_envelope(request, result), headers=_headers(data_as_of))


@analytics_router.get(
    "/{enterprise_uuid}/offers/{offer_id}/",
    response_model=models.AnalyticsOffer,
    responses=ERRORS,
    summary="One offer's aggregates (the LCM page's summary cards in 2022)",
)
def analytics_offer(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_ACCESS_ENTERPRISE))],
    offer_id: str,
) -> JSONResponse:
    state = api_state(request)
    with queries.tenant_transaction(state.engine, customer) as conn:
        row = queries.analytics_offer(conn, customer, offer_id)
        data_as_of = queries.enterprise_data_as_of(conn, customer)
    if row is None:
        return _not_found()
    return JSONResponse(row, headers=_headers(data_as_of))


def _enrollment_filter(
    offer_id: str | None,
    ignore_null_course_list_price: str | None,
    search: str | None,
    search_course: str | None,
) -> queries.EnrollmentFilter:
    return queries.EnrollmentFilter(
        offer_id=text_param("offer_id", offer_id),
        # Like the service: any non-empty value, even "false", drops null list prices.
        ignore_null_course_list_price=bool(ignore_null_course_list_price),
        search=text_param("search", search),
        search_course=text_param("search_course", search_course),
    )


OfferIdFilter = Annotated[str | None, Query(description="Only enrollments paid by this offer.")]
IgnoreNullPrice = Annotated[
    str | None,
    Query(description="Any non-empty value (even `false`) drops rows without a list price."),
]
SearchParam = Annotated[
    str | None, Query(description="Learner email contains this (case-insensitive, literal).")
]
SearchCourseParam = Annotated[
    str | None, Query(description="Course title contains this (case-insensitive, literal).")
]
ENROLLMENT_ORDERING_HELP = (
    "Comma list of "
    + ", ".join(sorted(queries.ENROLLMENT_ORDERING))
    + "; `-` prefix for descending. Default `-enrollment_date`."
)


@analytics_router.get(
    "/{enterprise_uuid}/enrollments/",
    response_model=models.AnalyticsEnrollmentPage | list[models.AnalyticsEnrollment],
    responses=ERRORS,
    summary="Enrollments paid by the enterprise's offers (the LCM page's table)",
)
async def enrollments(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_ACCESS_ENTERPRISE))],
    page: PageParam = None,
    page_size: Annotated[
        str | None, Query(description="Default 10, at most 1000 (larger values are capped).")
    ] = None,
    no_page: NoPageParam = None,
    offer_id: OfferIdFilter = None,
    ignore_null_course_list_price: IgnoreNullPrice = None,
    ordering: Annotated[str | None, Query(description=ENROLLMENT_ORDERING_HELP)] = None,
    search: SearchParam = None,
    search_course: SearchCourseParam = None,
) -> Response:
    where = _enrollment_filter(offer_id, ignore_null_course_list_price, search, search_course)
    ordering = ordering_param(ordering)
    if no_page:
        # The streamed answer reads through SQLAlchemy, blocking: in a worker thread.
        return await run_in_threadpool(
            _stream_enrollments, request, customer, where, ordering, as_csv=False
        )
    default_size, max_size = ENROLLMENTS_PAGE
    requested = page_request(page, page_size, default_size=default_size, max_size=max_size)
    # In the event loop, one round trip (api.enrollmentreader): the tenant transaction and the
    # page's one statement (search, count and rows joined in the database).
    answer = await api_state(request).enrollment_reader.page(
        customer, requested, where=where, ordering=ordering
    )
    # orjson renders what JSONResponse's json.dumps renders (compact, UTF-8), faster.
    body = orjson.dumps(analytics_envelope(request, answer.page))
    return Response(body, media_type="application/json", headers=_headers(answer.data_as_of))


@analytics_router.get(
    "/{enterprise_uuid}/enrollments.csv",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {"content": {"text/csv": {}}, "description": "learner_progress_report.csv"},
    },
    summary="Every matching enrollment as CSV, streamed (the service's column order + amount)",
)
def enrollments_csv(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_ACCESS_ENTERPRISE))],
    offer_id: OfferIdFilter = None,
    ignore_null_course_list_price: IgnoreNullPrice = None,
    ordering: Annotated[str | None, Query(description=ENROLLMENT_ORDERING_HELP)] = None,
    search: SearchParam = None,
    search_course: SearchCourseParam = None,
) -> StreamingResponse:
    """No pagination (``page``, ``page_size`` and ``no_page`` are accepted and ignored, as the
    admin portal sends them)."""
    where = _enrollment_filter(offer_id, ignore_null_course_list_price, search, search_course)
    return _stream_enrollments(request, customer, where, ordering_param(ordering), as_csv=True)


# The admin portal requests `enrollments.csv/?…`; serve it without a redirect.
analytics_router.add_api_route(
    "/{enterprise_uuid}/enrollments.csv/",
    enrollments_csv,
    methods=["GET"],
    include_in_schema=False,
)


def _stream_enrollments(
    request: Request,
    customer: uuid.UUID,
    where: queries.EnrollmentFilter,
    ordering: str | None,
    *,
    as_csv: bool,
) -> StreamingResponse:
    """Stream every matching row from one snapshot; the transaction opens before the headers go
    out (so errors are still proper 4xx/5xx answers) and closes when the body ends or the client
    goes away."""
    queries.check_enrollment_ordering(ordering)
    state = api_state(request)
    stack = contextlib.ExitStack()
    try:
        conn = stack.enter_context(
            queries.tenant_transaction(
                state.engine, customer, statement_timeout=queries.ENROLLMENTS_STATEMENT_TIMEOUT
            )
        )
        data_as_of = queries.enterprise_data_as_of(conn, customer)
        rows = queries.iter_enrollments(
            conn, customer, where=where, ordering=ordering, data_as_of=data_as_of
        )
    except BaseException:
        stack.close()
        raise
    chunks = _csv_chunks(rows) if as_csv else _json_array_chunks(rows)
    headers = _headers(data_as_of)
    if as_csv:
        headers["Content-Disposition"] = 'attachment; filename="learner_progress_report.csv"'
    media_type = "text/csv" if as_csv else "application/json"
    return _ClosingStreamingResponse(
        chunks, close=stack.close, media_type=media_type, headers=headers
    )


class _ClosingStreamingResponse(StreamingResponse):
    """A streamed answer that releases its database transaction when the response ends — also
    when the client goes away mid-stream, where Starlette cancels the response without closing
    its iterator (the connection would otherwise wait for garbage collection)."""

    def __init__(self, content: Iterator[str], *, close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._close = close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: on a disconnect this task is being cancelled, and the connection must
            # still go back to the pool (not before: no worker thread is still reading it then).
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._close)


CHUNK_CHARS = 64 * 1024


# A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell as the export writes it: text that a spreadsheet would run as a formula gets a
    leading ``'`` (learner emails and partner course titles are not ours to trust); numbers,
    booleans and nulls are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """djangorestframework-csv's cells: null → empty, booleans → True/False; formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(queries.ENROLLMENT_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(row[field]) for field in queries.ENROLLMENT_FIELDS])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json_array_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    parts = ["["]
    size = 1
    for index, row in enumerate(rows):
        text = ("," if index else "") + json.dumps(row, ensure_ascii=False)
        parts.append(text)
        size += len(text)
        if size >= CHUNK_CHARS:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("]")
    yield "".join(parts)


# ------------------------------------------------------------------------------------------------
# ecommerce compatible
# ------------------------------------------------------------------------------------------------

ecommerce_router = APIRouter(prefix="/api/v2/enterprise", tags=["ecommerce API"])
ADMIN_OFFERS_PAGE = (20, 10_000)  # REST_FRAMEWORK PAGE_SIZE, PageNumberPagination.max_page_size
USAGE_TYPES = frozenset({"percentage", "absolute"})


@ecommerce_router.get(
    "/{enterprise_uuid}/enterprise-admin-offers/",
    response_model=models.AdminOfferPage,
    responses=ERRORS,
    summary="The enterprise's Site offers (EnterpriseAdminOfferApiViewSet list)",
)
def admin_offers(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_VIEW_ADMIN_OFFER))],
    page: PageParam = None,
    page_size: Annotated[str | None, Query(description="Default 20, at most 10000.")] = None,
    is_current: Annotated[
        str | None, Query(description="`true`: start ≤ now ≤ end (open bounds); `false`: not.")
    ] = None,
    usage_type: Annotated[
        str | None, Query(description="Comma list of `percentage`, `absolute`.")
    ] = None,
    discount_value: Annotated[str | None, Query(description="Benefit value equals.")] = None,
    status: Annotated[str | None, Query(description="Open, Suspended or Consumed.")] = None,
    max_user_applications__isnull: Annotated[str | None, Query()] = None,
    max_user_discount__isnull: Annotated[str | None, Query()] = None,
) -> JSONResponse:
    state = api_state(request)
    where = queries.AdminOfferFilter(
        is_current=bool_param("is_current", is_current),
        usage_types=choice_list_param("usage_type", usage_type, USAGE_TYPES),
        discount_value=decimal_param("discount_value", discount_value),
        status=text_param("status", status),
        max_user_applications_isnull=bool_param(
            "max_user_applications__isnull", max_user_applications__isnull
        ),
        max_user_discount_isnull=bool_param("max_user_discount__isnull", max_user_discount__isnull),
    )
    default_size, max_size = ADMIN_OFFERS_PAGE
    requested = page_request(page, page_size, default_size=default_size, max_size=max_size)
    with queries.tenant_transaction(state.engine, customer) as conn:
        data_as_of = queries.enterprise_data_as_of(conn, customer)
        result = queries.admin_offers(conn, customer, requested, where=where)
    return JSONResponse(drf_envelope(request, result), headers=_headers(data_as_of))


@ecommerce_router.get(
    "/{enterprise_uuid}/enterprise-admin-offers/{offer_id}/",
    response_model=models.AdminOffer,
    responses=ERRORS,
    summary="One Site offer of the enterprise",
)
def admin_offer(
    request: Request,
    customer: Annotated[uuid.UUID, Depends(tenant(CAN_VIEW_ADMIN_OFFER))],
    offer_id: str,
) -> JSONResponse:
    if not offer_id.isascii() or not offer_id.isdigit() or len(offer_id) > 18:
        return _not_found()
    state = api_state(request)
    with queries.tenant_transaction(state.engine, customer) as conn:
        row = queries.admin_offer(conn, customer, int(offer_id))
        data_as_of = queries.enterprise_data_as_of(conn, customer)
    if row is None:
        return _not_found()
    return JSONResponse(row, headers=_headers(data_as_of))


# ------------------------------------------------------------------------------------------------
# Health
# ------------------------------------------------------------------------------------------------

health_router = APIRouter(tags=["operations"])


@health_router.get(
    "/healthz",
    response_model=models.Health,
    responses={503: {"model": models.Health, "description": "No successful publish yet"}},
    summary="Liveness and freshness: the age of the last successful publish, the replica's lag",
)
def healthz(request: Request) -> JSONResponse:
    """No authentication (load balancers and probes call it); it reveals only freshness: the
    last publish the database the API reads has, and — when that is a read replica — how many
    seconds it is behind its primary."""
    state = api_state(request)
    with queries.tenant_transaction(state.engine, None) as conn:
        last = queries.last_successful_publish(conn)
        replication = replica_status(conn).as_json()
    if last is None:
        return JSONResponse(
            {
                "status": "unavailable",
                "detail": "No pipeline pass has published yet.",
                "replication": replication,
            },
            status_code=503,
        )
    now = dt.datetime.now(dt.UTC)
    body = {
        "status": "ok",
        "last_publish_run_id": last.run_id,
        "last_publish_finished_at": queries.iso_datetime(last.finished_at),
        "age_seconds": round(max((now - last.finished_at).total_seconds(), 0.0), 3),
        "data_as_of": queries.iso_datetime(last.data_as_of),
        # Where the API reads: the primary, or a replica and how far behind it is.
        "replication": replication,
    }
    return JSONResponse(body, headers=_headers(last.data_as_of))


__all__ = [
    "BadRequest",
    "analytics_router",
    "ecommerce_router",
    "health_router",
    "page_router",
]
