"""The learner-credit page (GET /api/v1/enterprises/{uuid}/learner-credit, ``lcm-etl page``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from lcm_etl.eligibility import (
    EligibilityFacts,
    OfferWindow,
    ValidityWindow,
    evaluate,
    facts_at,
    is_current,
)
from lcm_etl.forecast import WINDOW_DAYS, offer_forecasts_from
from lcm_etl.queries.balance import Thresholds, alerts_for, page_summary
from lcm_etl.queries.budgets import render_budgets
from lcm_etl.queries.formatting import UTC, iso_datetime, money, number, uuid_string
from lcm_etl.queries.tenancy import reading
from lcm_etl.settings import Settings

_MICROSECOND = dt.timedelta(microseconds=1)


# The page's reads: the PL/pgSQL functions of migrations 0016 and 0023 (sql/functions/page_*.sql),
# the one text of the page's SELECTs for the API and `lcm-etl page`: the offers, each with its net
# spend over the forecast window; one row with the stored eligibility row and the enterprise's
# data_as_of; the active budgets, each with its window's net spend in cents. Three calls, not one
# per SELECT: each call and each result set cost more than its rows (docs/serving.md).
# psycopg's parameter style: the API's one-message script (api/pagereader.py) joins them,
# learner_credit_page runs them one by one.
PAGE_CALLS = (
    "SELECT * FROM lcm.page_offers(%(enterprise)s, %(window_days)s)",
    "SELECT * FROM lcm.page_enterprise(%(enterprise)s)",
    "SELECT * FROM lcm.page_budgets(%(enterprise)s, %(window_days)s)",
)
_ENTERPRISE_CALL = PAGE_CALLS[1]


def page_parameters(enterprise_uuid: uuid.UUID) -> dict[str, Any]:
    """The values of :data:`PAGE_CALLS`."""
    return {"enterprise": enterprise_uuid, "window_days": WINDOW_DAYS}


def _stored_eligibility(conn: Connection, enterprise_uuid: uuid.UUID) -> Any | None:
    row = conn.exec_driver_sql(_ENTERPRISE_CALL, {"enterprise": enterprise_uuid}).one()
    return row if row.has_eligibility_row else None


def _validity_windows(
    ranges: Sequence[Any], counts: Sequence[int] | None = None
) -> list[ValidityWindow]:
    """Stored ``tstzrange`` values as inclusive windows (timestamps have microsecond resolution,
    so an exclusive bound is the inclusive one a microsecond inside)."""
    windows = []
    for index, span in enumerate(ranges):
        if span.isempty:
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


class ReadModelUnavailable(RuntimeError):
    """The read model did not answer (down, restarting, too slow): the API's 503."""


def learner_credit_page(
    engine: Engine | Connection,
    enterprise_uuid: uuid.UUID,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
    facts: EligibilityFacts | None = None,
) -> dict[str, Any] | None:
    """Everything the LCM page needs, as one JSON answer; ``None`` for an unknown enterprise.

    The rows come from the page's functions (:data:`PAGE_CALLS`), as the API reads them, in one
    snapshot, as the connection's user (the CLI's way; the API calls them in its tenant
    transaction). Offers are listed current first, then by start (newest first; open starts
    last), then id.
    """
    parameters = page_parameters(enterprise_uuid)
    with reading(engine) as conn:
        results = [conn.exec_driver_sql(call, parameters).all() for call in PAGE_CALLS]
    return page_from_results(enterprise_uuid, results, settings=settings, now=now, facts=facts)


def page_from_results(
    enterprise_uuid: uuid.UUID,
    results: Sequence[Sequence[Any]],
    *,
    settings: Settings,
    now: dt.datetime | None = None,
    facts: EligibilityFacts | None = None,
) -> dict[str, Any] | None:
    """The page from the rows of :data:`PAGE_CALLS`, in their order."""
    rows, (enterprise,), budgets = results
    return page_answer(
        enterprise_uuid,
        rows,
        enterprise if enterprise.has_eligibility_row else None,
        data_as_of=enterprise.data_as_of,
        settings=settings,
        now=now,
        facts=facts,
        budgets=budgets,
        # The window's spend travels on the offer and budget rows; none without spend in it.
        offer_spend=[
            (row.offer_id, row.window_net_spent) for row in rows if row.window_net_spent is not None
        ],
        budget_spend=[
            (row.policy_uuid, row.window_net_spent_cents)
            for row in budgets
            if row.window_net_spent_cents is not None
        ],
    )


def page_answer(
    enterprise_uuid: uuid.UUID,
    rows: Sequence[Any],
    stored: Any | None,
    *,
    data_as_of: dt.datetime | None,
    settings: Settings,
    now: dt.datetime | None = None,
    facts: EligibilityFacts | None = None,
    budgets: Sequence[Any] = (),
    offer_spend: Sequence[Any] = (),
    budget_spend: Sequence[Any] = (),
) -> dict[str, Any] | None:
    """The page from the rows of the page's functions (offers, the stored eligibility row, the
    budgets and the forecast windows' spend); ``None`` when there is no offer, eligibility row or
    budget: an enterprise known to any source has a page, even without offers."""
    if not rows and stored is None and not budgets:
        return None
    now = now or dt.datetime.now(UTC)
    answer = render_page(
        enterprise_uuid,
        rows,
        facts=facts if facts is not None else _facts_from(stored, now),
        now=now,
        thresholds=Thresholds.from_settings(settings),
        data_as_of=data_as_of,
        fallback_name=stored.enterprise_name if stored is not None else None,
    )
    # Issue 14: each offer's depletion forecast, and the ledger era's budgets with theirs.
    as_of = data_as_of or max((row.data_as_of for row in budgets), default=None)
    forecasts = offer_forecasts_from(rows, dict(offer_spend), as_of)
    for offer in answer["offers"]:
        offer["forecast"] = forecasts.get(int(offer["offer_id"]))
    answer["budgets"] = (
        render_budgets(
            budgets,
            now=now,
            as_of=as_of,
            window_spend={key: Decimal(int(cents)) / 100 for key, cents in budget_spend},
        )
        if as_of is not None
        else []
    )
    return answer


def page_json(answer: dict[str, Any], *, indent: bool = False) -> bytes:
    """The page's bytes, as the API sends them and ``lcm-etl page`` prints them (compact JSON,
    UTF-8, floats in their shortest round-trip form); ``indent``: the same values, indented by
    two spaces (``lcm-etl page --indent``, what ``make run`` prints)."""
    return orjson.dumps(answer, option=orjson.OPT_INDENT_2 if indent else None)


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
