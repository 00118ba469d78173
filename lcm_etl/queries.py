"""The query module: one typed function per answer lcm-etl serves, reading only the read model.

Every function reads the published tables of schema ``lcm`` (``offer_summary``,
``offer_redemption``, ``pipeline_run``) — never ``lcm_raw``, never an aggregate over raw rows on
request: the pipeline did that work once, at publish time.

Time-dependent answers (is an offer current, is the enterprise eligible) are evaluated here, at
request time, from stored dates; the balance clamps and thresholds are applied here too, from the
raw stored values and the configured thresholds, exactly as the admin portal applies them to the
analytics API's values (``domain.md`` §2.4–2.5).

Tenancy: the API runs every query inside :func:`tenant_transaction`, which switches to the
``lcm_portal`` database role with row-level security keyed by the enterprise, and the queries
filter on the enterprise explicitly as well (RLS is the guard, not the filter).

Rendering follows the contracts: money is computed in ``Decimal`` and rendered as JSON numbers
rounded to cents (or as DRF decimal strings where ecommerce does so); datetimes are ISO-8601 UTC
with ``Z`` (microseconds only when non-zero, like DRF); dates are ``YYYY-MM-DD``; UUIDs are
lowercase dashed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Text,
    and_,
    cast,
    false,
    func,
    not_,
    or_,
    select,
    text,
)

from lcm_etl.eligibility import (
    EligibilityFacts,
    OfferWindow,
    ValidityWindow,
    evaluate,
    facts_at,
    is_current,
)
from lcm_etl.schema import enterprise_eligibility, offer_redemption, offer_summary, pipeline_run
from lcm_etl.settings import Settings

UTC = dt.UTC
CENT = Decimal("0.01")

PORTAL_ROLE = "lcm_portal"
TENANT_SETTING = "lcm.enterprise_uuid"
# A request never needs more; a runaway query must not hold a connection (reliability-perf §4).
STATEMENT_TIMEOUT = "30s"

BalanceState = Literal["ok", "low", "depleted", "uncapped"]


# ------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal | None) -> float | None:
    """A money amount as a JSON number rounded to cents (computed in Decimal, rendered once)."""
    return None if value is None else float(cents(value))


def money_string(value: Decimal | None) -> str | None:
    """A money amount as DRF renders a ``DecimalField(decimal_places=2)``: ``"50000.00"``."""
    return None if value is None else str(cents(value))


def number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def iso_datetime(value: dt.datetime | None) -> str | None:
    """ISO-8601 in UTC with ``Z``; microseconds only when non-zero (DRF's rendering)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def uuid_string(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


# ------------------------------------------------------------------------------------------------
# Balance: the admin portal's clamps and thresholds (pure)
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Thresholds:
    low_balance_fraction: Decimal = Decimal("0.75")
    """``low`` when the spent fraction is above this (exactly equal is not low)."""
    no_balance_amount: Decimal = Decimal("100")
    """``depleted`` when the remaining amount is at or below this."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(settings.low_balance_fraction, settings.no_balance_amount)


@dataclasses.dataclass(frozen=True)
class PageSummary:
    """The summary cards of the LCM page for one offer, clamped as the portal clamps them."""

    total_funds: Decimal | None
    redeemed_funds: Decimal
    remaining_funds: Decimal | None
    percent_utilized: Decimal | None
    balance_state: BalanceState


def page_summary(
    *,
    max_discount: Decimal | None,
    amount_of_offer_spent: Decimal,
    remaining_balance: Decimal | None,
    percent_of_offer_spent: Decimal | None,
    thresholds: Thresholds,
) -> PageSummary:
    """``transformOfferSummary`` + ``getProgressBarVariant`` of the admin portal, server-side.

    redeemed = min(net, max); remaining = max(raw remaining, 0); percent = min(raw percent, 1).
    An uncapped offer (no ``max_discount``) has no total, remaining or percent, and no state but
    ``uncapped``. Raw remaining/percent missing on a capped offer are derived from max and net;
    a zero budget has no percentage.
    """
    if max_discount is None:
        return PageSummary(None, amount_of_offer_spent, None, None, "uncapped")
    raw_remaining = (
        remaining_balance if remaining_balance is not None else max_discount - amount_of_offer_spent
    )
    raw_percent = percent_of_offer_spent
    if raw_percent is None and max_discount > 0:
        raw_percent = amount_of_offer_spent / max_discount
    remaining = max(raw_remaining, Decimal(0))
    # A zero budget has no meaningful percentage (the pipeline stores none); it is depleted.
    percent = None if raw_percent is None else min(raw_percent, Decimal(1))
    return PageSummary(
        total_funds=max_discount,
        redeemed_funds=min(amount_of_offer_spent, max_discount),
        remaining_funds=remaining,
        percent_utilized=percent,
        balance_state=balance_state(remaining, percent, thresholds),
    )


def balance_state(
    remaining: Decimal, percent: Decimal | None, thresholds: Thresholds
) -> BalanceState:
    """``depleted`` at or below the dollar threshold, else ``low`` above the fraction."""
    if remaining <= thresholds.no_balance_amount:
        return "depleted"
    if percent is not None and percent > thresholds.low_balance_fraction:
        return "low"
    return "ok"


def alerts_for(state: BalanceState) -> list[dict[str, Any]]:
    """The page's alerts: a dismissible warning when low, a permanent danger when depleted."""
    if state == "low":
        return [{"kind": "low_balance", "dismissible": True}]
    if state == "depleted":
        return [{"kind": "no_balance", "dismissible": False}]
    return []


# ------------------------------------------------------------------------------------------------
# Connections and tenancy
# ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def tenant_transaction(engine: Engine, enterprise_uuid: uuid.UUID | None) -> Iterator[Connection]:
    """A read-only transaction as ``lcm_portal``, which row-level security limits to one tenant.

    ``SET LOCAL`` and ``set_config(…, true)`` end with the transaction, so a pooled connection
    never carries a role or a tenant into the next request. ``enterprise_uuid=None`` sets no
    tenant: the tenant tables then read as empty (for answers that need none, like /healthz).
    """
    with engine.connect() as conn:
        # One read-only snapshot per request: a page's count and rows, or a streamed CSV and its
        # data_as_of, never straddle a publish. Both options reset when the connection returns.
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            # SET LOCAL ROLE, SET LOCAL statement_timeout and the tenant, in one round trip.
            conn.execute(
                text(
                    "SELECT set_config('role', :role, true), "
                    "set_config('statement_timeout', :timeout, true), "
                    "set_config(:tenant_setting, :tenant, true)"
                ),
                {
                    "role": PORTAL_ROLE,
                    "timeout": STATEMENT_TIMEOUT,
                    "tenant_setting": TENANT_SETTING,
                    "tenant": "" if enterprise_uuid is None else str(enterprise_uuid),
                },
            )
            yield conn


@contextlib.contextmanager
def _reading(bind: Engine | Connection) -> Iterator[Connection]:
    """Use a caller's connection as is, or open a read-only snapshot transaction on an engine
    (as the engine's own user: the CLI's way; the API passes a tenant transaction)."""
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def enterprise_data_as_of(conn: Connection, enterprise_uuid: uuid.UUID) -> dt.datetime | None:
    """When the enterprise's data was last known current.

    The newest of its offer rows' ``data_as_of`` and the last successful publish that covered it
    (every full or incremental publish covers all enterprises; a targeted one only those listed),
    so an enterprise whose rows did not change in the last pass still shows that pass's time.
    """
    rows = select(func.max(offer_summary.c.data_as_of)).where(
        offer_summary.c.enterprise_customer_uuid == enterprise_uuid
    )
    runs = select(func.max(pipeline_run.c.data_as_of)).where(
        pipeline_run.c.stage == "publish",
        pipeline_run.c.status == "succeeded",
        or_(
            pipeline_run.c.mode != "targeted",
            pipeline_run.c.enterprise_uuids.contains([enterprise_uuid]),
        ),
    )
    value: dt.datetime | None = conn.execute(
        select(func.greatest(rows.scalar_subquery(), runs.scalar_subquery()))
    ).scalar_one()
    return value


@dataclasses.dataclass(frozen=True)
class PublishInfo:
    run_id: int
    finished_at: dt.datetime
    data_as_of: dt.datetime | None


def last_successful_publish(bind: Engine | Connection) -> PublishInfo | None:
    """The newest succeeded publish in the run log (what /healthz reports)."""
    query = (
        select(pipeline_run.c.run_id, pipeline_run.c.finished_at, pipeline_run.c.data_as_of)
        .where(
            pipeline_run.c.stage == "publish",
            pipeline_run.c.status == "succeeded",
            pipeline_run.c.finished_at.is_not(None),
        )
        .order_by(pipeline_run.c.finished_at.desc(), pipeline_run.c.run_id.desc())
        .limit(1)
    )
    with _reading(bind) as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return PublishInfo(row.run_id, row.finished_at, row.data_as_of)


# ------------------------------------------------------------------------------------------------
# Pagination (shared by the list answers)
# ------------------------------------------------------------------------------------------------


class InvalidPage(LookupError):
    """The requested page does not exist (DRF answers 404 ``{"detail": "Invalid page."}``)."""


UNPAGED = 2**31 - 1
"""A page size meaning "everything" (the analytics API's ``no_page``)."""


@dataclasses.dataclass(frozen=True)
class PageRequest:
    number: int | Literal["last"]
    size: int


@dataclasses.dataclass(frozen=True)
class Page:
    count: int
    number: int
    size: int
    results: list[dict[str, Any]]

    @property
    def num_pages(self) -> int:
        # Django's Paginator with allow_empty_first_page: an empty list still has page 1.
        return max(1, math.ceil(self.count / self.size))

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _resolve_page(request: PageRequest, count: int) -> int:
    num_pages = max(1, math.ceil(count / request.size))
    number = num_pages if request.number == "last" else request.number
    if number < 1 or number > num_pages:
        raise InvalidPage(number)
    return number


def _paged(
    conn: Connection,
    query: Select[Any],
    order_by: Sequence[ColumnElement[Any]],
    request: PageRequest,
    *,
    count_query: Select[Any] | None = None,
) -> tuple[int, int, Sequence[Any]]:
    """Count, resolve the page, fetch its rows. ``count_query`` may count the same rows more
    cheaply (without joins that only add columns)."""
    counted = count_query if count_query is not None else query
    count = conn.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    number = _resolve_page(request, count)
    rows = conn.execute(
        query.order_by(*order_by).limit(request.size).offset((number - 1) * request.size)
    ).all()
    return count, number, rows


class BadOrdering(ValueError):
    """An ``ordering`` names a field outside the whitelist; the message lists the allowed ones."""

    def __init__(self, unknown: Sequence[str], allowed: Sequence[str]) -> None:
        super().__init__(
            f"Unknown ordering field(s): {', '.join(unknown)}. "
            f"Allowed: {', '.join(allowed)} (prefix with '-' for descending)."
        )
        self.unknown = list(unknown)
        self.allowed = list(allowed)


def _ordering(
    ordering: str | None,
    whitelist: Mapping[str, ColumnElement[Any]],
    default: Sequence[ColumnElement[Any]],
    tie_breakers: Sequence[ColumnElement[Any]],
) -> list[ColumnElement[Any]]:
    """DRF's OrderingFilter over a whitelist: a comma list of fields, ``-`` for descending."""
    fields = [part.strip() for part in (ordering or "").split(",") if part.strip()]
    if not fields:
        return [*default, *tie_breakers]
    unknown = [f for f in fields if f.removeprefix("-") not in whitelist]
    if unknown:
        raise BadOrdering(unknown, sorted(whitelist))
    clauses = [whitelist[f[1:]].desc() if f.startswith("-") else whitelist[f].asc() for f in fields]
    return [*clauses, *tie_breakers]


def _offer_id_value(value: str | None) -> int | Literal[False] | None:
    """An ``offer_id`` filter value: its integer, ``None`` if absent, ``False`` if it can match
    no ecommerce offer (e.g. a subsidy UUID), which yields an empty result like the source."""
    if value is None or value == "":
        return None
    if re.fullmatch(r"[0-9]{1,18}", value):
        return int(value)
    return False


# ------------------------------------------------------------------------------------------------
# The learner-credit page (GET /api/v1/enterprises/{uuid}/learner-credit, `lcm-etl page`)
# ------------------------------------------------------------------------------------------------

_PAGE_COLUMNS = (
    offer_summary.c.offer_id,
    offer_summary.c.enterprise_name,
    offer_summary.c.display_name,
    offer_summary.c.status,
    offer_summary.c.start_datetime,
    offer_summary.c.end_datetime,
    offer_summary.c.usage_type,
    offer_summary.c.discount_value,
    offer_summary.c.is_fcfs_org_wide,
    offer_summary.c.max_discount,
    offer_summary.c.amount_of_offer_spent,
    offer_summary.c.remaining_balance,
    offer_summary.c.percent_of_offer_spent,
    offer_summary.c.amount_refunded,
    offer_summary.c.enrollment_count,
    offer_summary.c.learner_count,
)


# Issue 3: the non-offer facts come from lcm.enterprise_eligibility, re-counted at request time.
_ELIGIBILITY_COLUMNS = (
    enterprise_eligibility.c.enterprise_name,
    enterprise_eligibility.c.lcm_screen_enabled,
    enterprise_eligibility.c.subscription_plan_windows,
    enterprise_eligibility.c.coupon_code_windows,
    enterprise_eligibility.c.coupon_code_counts,
)
_MICROSECOND = dt.timedelta(microseconds=1)


def _stored_eligibility(conn: Connection, enterprise_uuid: uuid.UUID) -> Any | None:
    return conn.execute(
        select(*_ELIGIBILITY_COLUMNS).where(
            enterprise_eligibility.c.enterprise_customer_uuid == enterprise_uuid
        )
    ).first()


def _validity_windows(
    ranges: Sequence[Any], counts: Sequence[int] | None = None
) -> list[ValidityWindow]:
    """Stored ``tstzrange`` values as inclusive windows (timestamps have microsecond resolution,
    so an exclusive bound is the inclusive one a microsecond inside)."""
    windows = []
    for index, span in enumerate(ranges):
        if span.empty:
            continue
        start, end = span.lower, span.upper
        if start is not None and not span.bounds.startswith("["):
            start += _MICROSECOND
        if end is not None and not span.bounds.endswith("]"):
            end -= _MICROSECOND
        windows.append(ValidityWindow(start, end, 1 if counts is None else counts[index]))
    return windows


def _facts_from(stored: Any | None, now: dt.datetime) -> EligibilityFacts:
    if stored is None:
        return EligibilityFacts.unknown()
    plans, codes = stored.subscription_plan_windows, stored.coupon_code_windows
    return facts_at(
        now,
        lcm_screen_enabled=stored.lcm_screen_enabled,
        subscription_plans=None if plans is None else _validity_windows(plans),
        coupon_codes=None if codes is None else _validity_windows(codes, stored.coupon_code_counts),
    )


def load_eligibility_facts(
    conn: Connection, enterprise_uuid: uuid.UUID, now: dt.datetime | None = None
) -> EligibilityFacts:
    """The non-offer eligibility facts of an enterprise at ``now`` (the request time).

    From ``lcm.enterprise_eligibility``: the LMS screen flag, and the subscription plans and
    coupon codes active at ``now``, counted from their stored validity windows. A fact the
    pipeline could not know (its source was not read), or an enterprise it does not hold, is
    unknown and produces no reason.
    """
    return _facts_from(_stored_eligibility(conn, enterprise_uuid), now or dt.datetime.now(UTC))


def learner_credit_page(
    engine: Engine | Connection,
    enterprise_uuid: uuid.UUID,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
    facts: EligibilityFacts | None = None,
) -> dict[str, Any] | None:
    """Everything the LCM page needs, as DESIGN.md's JSON; ``None`` for an unknown enterprise.

    Offers are listed current first, then by start (newest first; open starts last), then id.
    """
    from lcm_etl.forecast import offer_forecasts  # (they read this module's helpers)
    from lcm_etl.ledger import queries as ledger_queries

    now = now or dt.datetime.now(UTC)
    thresholds = Thresholds.from_settings(settings)
    with _reading(engine) as conn:
        rows = conn.execute(
            select(*_PAGE_COLUMNS).where(
                offer_summary.c.enterprise_customer_uuid == enterprise_uuid
            )
        ).all()
        stored = _stored_eligibility(conn, enterprise_uuid)
        data_as_of = enterprise_data_as_of(conn, enterprise_uuid)
        # Issue 14: the ledger era's budgets, and a depletion forecast for offers and budgets.
        budgets = ledger_queries.page_budgets(conn, enterprise_uuid, now, data_as_of)
        if not rows and stored is None and not budgets:
            return None  # an enterprise known to any source has a page, even without offers
        if facts is None:
            facts = _facts_from(stored, now)
        forecasts = offer_forecasts(conn, enterprise_uuid, data_as_of)

    answer = render_page(
        enterprise_uuid,
        rows,
        facts=facts,
        now=now,
        thresholds=thresholds,
        data_as_of=data_as_of,
        fallback_name=stored.enterprise_name if stored is not None else None,
    )
    for offer in answer["offers"]:
        offer["forecast"] = forecasts.get(int(offer["offer_id"]))
    answer["budgets"] = budgets
    return answer


def render_page(
    enterprise_uuid: uuid.UUID,
    rows: Sequence[Any],
    *,
    facts: EligibilityFacts,
    now: dt.datetime,
    thresholds: Thresholds,
    data_as_of: dt.datetime | None,
    fallback_name: str | None = None,
) -> dict[str, Any]:
    """The page JSON from one row per offer (the columns of ``_PAGE_COLUMNS``), however those
    rows were computed (the read model; the benchmark's compute-on-read baseline)."""

    def display_order(row: Any) -> tuple[bool, bool, float, int]:
        start: dt.datetime | None = row.start_datetime
        return (
            not is_current(row.start_datetime, row.end_datetime, now),
            start is None,
            -start.timestamp() if start is not None else 0.0,
            row.offer_id,
        )

    rows = sorted(rows, key=display_order)
    verdict = evaluate(
        (
            OfferWindow(str(r.offer_id), r.start_datetime, r.end_datetime, r.is_fcfs_org_wide)
            for r in rows
        ),
        facts,
        now,
    )
    offers = []
    for row in rows:
        summary = page_summary(
            max_discount=row.max_discount,
            amount_of_offer_spent=row.amount_of_offer_spent,
            remaining_balance=row.remaining_balance,
            percent_of_offer_spent=row.percent_of_offer_spent,
            thresholds=thresholds,
        )
        offers.append(
            {
                "offer_id": str(row.offer_id),
                "display_name": row.display_name,
                "status": row.status,
                "start_datetime": iso_datetime(row.start_datetime),
                "end_datetime": iso_datetime(row.end_datetime),
                "is_current": is_current(row.start_datetime, row.end_datetime, now),
                "usage_type": row.usage_type,
                "discount_value": number(row.discount_value),
                "is_fcfs_org_wide": row.is_fcfs_org_wide,
                "summary": {
                    "total_funds": money(summary.total_funds),
                    "redeemed_funds": money(summary.redeemed_funds),
                    "remaining_funds": money(summary.remaining_funds),
                    "percent_utilized": number(summary.percent_utilized),
                    "balance_state": summary.balance_state,
                    "enrollment_count": row.enrollment_count,
                    "learner_count": row.learner_count,
                    "amount_refunded": money(row.amount_refunded),
                },
                "alerts": alerts_for(summary.balance_state),
            }
        )
    return {
        "enterprise_customer_uuid": uuid_string(enterprise_uuid),
        "enterprise_name": next(
            (r.enterprise_name for r in rows if r.enterprise_name), fallback_name
        ),
        "eligible": verdict.eligible,
        "reasons": verdict.reasons,
        "lcm_offer_id": verdict.lcm_offer_id,
        "offers": offers,
        "data_as_of": iso_datetime(data_as_of),
    }


# ------------------------------------------------------------------------------------------------
# Analytics API: offers (GET /enterprise/api/v1/enterprise/{uuid}/offers/[{offer_id}/])
# ------------------------------------------------------------------------------------------------

# The HEAD shape of edx-enterprise-data's EnterpriseOfferSerializer (contracts.md (b)), in order.
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
    order_by = _ordering(
        ordering, ANALYTICS_OFFER_ORDERING, [offer_summary.c.offer_id], [offer_summary.c.offer_id]
    )
    query = select(*_ANALYTICS_OFFER_COLUMNS).where(
        offer_summary.c.enterprise_customer_uuid == enterprise_uuid
    )
    wanted = _offer_id_value(offer_id)
    if wanted is False:
        query = query.where(false())
    elif wanted is not None:
        query = query.where(offer_summary.c.offer_id == wanted)
    if status:
        query = query.where(offer_summary.c.status == status)
    count, number_, rows = _paged(conn, query, order_by, page)
    return Page(count, number_, page.size, [_analytics_offer_row(r) for r in rows])


def analytics_offer(
    conn: Connection, enterprise_uuid: uuid.UUID, offer_id: str
) -> dict[str, Any] | None:
    """One analytics offer row, or ``None``. Dashes are stripped first, like the source."""
    wanted = _offer_id_value(offer_id.replace("-", ""))
    if wanted is None or wanted is False:
        return None
    row = conn.execute(
        select(*_ANALYTICS_OFFER_COLUMNS).where(
            offer_summary.c.enterprise_customer_uuid == enterprise_uuid,
            offer_summary.c.offer_id == wanted,
        )
    ).first()
    return None if row is None else _analytics_offer_row(row)


# ------------------------------------------------------------------------------------------------
# Analytics API: enrollments (GET …/enrollments/ and …/enrollments.csv)
# ------------------------------------------------------------------------------------------------

# edx-enterprise-data HEAD EnterpriseLearnerEnrollmentSerializer / EnrollmentsCSVRenderer.header
# (contracts.md (c)), in the service's order; lcm-etl appends ``amount`` (charged to the offer).
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


def _enrollment_query(
    enterprise_uuid: uuid.UUID, where: EnrollmentFilter, *, for_count: bool = False
) -> Select[Any]:
    """The matching enrollments; ``for_count``: only what counting them needs (the offer join
    adds columns, never removes rows, and costs a join per row on a large enterprise)."""
    tenant = offer_redemption.c.enterprise_customer_uuid == enterprise_uuid
    query: Select[Any]
    if for_count:
        query = select(offer_redemption.c.order_line_id).where(tenant)
    else:
        query = (
            select(
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
    wanted = _offer_id_value(where.offer_id)
    if wanted is False:
        query = query.where(false())
    elif wanted is not None:
        query = query.where(offer_redemption.c.offer_id == wanted)
    if where.ignore_null_course_list_price:
        query = query.where(offer_redemption.c.course_list_price.is_not(None))
    # autoescape: % and _ in the user's text are literal characters, not LIKE wildcards.
    if where.search:
        query = query.where(offer_redemption.c.user_email.icontains(where.search, autoescape=True))
    if where.search_course:
        query = query.where(
            offer_redemption.c.course_title.icontains(where.search_course, autoescape=True)
        )
    return query


def _enrollment_row(
    row: Any, enterprise_uuid: uuid.UUID, created: dt.datetime | None
) -> dict[str, Any]:
    customer = uuid_string(enterprise_uuid)
    row_values: dict[str, Any] = dict.fromkeys(ENROLLMENT_FIELDS)
    row_values.update(
        {
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
    order_by = _ordering(
        ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, _ENROLLMENT_TIE_BREAKERS
    )
    count, number_, rows = _paged(
        conn,
        _enrollment_query(enterprise_uuid, where),
        order_by,
        page,
        count_query=_enrollment_query(enterprise_uuid, where, for_count=True),
    )
    return Page(
        count, number_, page.size, [_enrollment_row(r, enterprise_uuid, data_as_of) for r in rows]
    )


def check_enrollment_ordering(ordering: str | None) -> None:
    """Raise :class:`BadOrdering` now, before a streamed answer has sent its headers."""
    _ordering(ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, ())


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
    order_by = _ordering(
        ordering, ENROLLMENT_ORDERING, ENROLLMENT_DEFAULT_ORDERING, _ENROLLMENT_TIE_BREAKERS
    )
    result = conn.execution_options(stream_results=True, max_row_buffer=batch_size).execute(
        _enrollment_query(enterprise_uuid, where).order_by(*order_by)
    )
    for partition in result.partitions(batch_size):
        for row in partition:
            yield _enrollment_row(row, enterprise_uuid, data_as_of)


# ------------------------------------------------------------------------------------------------
# ecommerce: enterprise admin offers (GET /api/v2/enterprise/{uuid}/enterprise-admin-offers/)
# ------------------------------------------------------------------------------------------------

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
    count, number_, rows = _paged(conn, query, [offer_summary.c.offer_id], page)
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
