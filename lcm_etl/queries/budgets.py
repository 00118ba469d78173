"""Reading the budgets' read model for the API and ``lcm-etl page``: the enterprise-access and
enterprise-subsidy contracts the current admin portal calls, and the page's ``budgets``.

Amounts are stored as integer cents; the services render ``*_usd_cents`` as JSON integers and
``*_usd`` as ``cents / 100.0`` (a float), and so do we. Budget status is the portal's, evaluated
at request time from the subsidy's dates (``budget_status``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urljoin

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select, text

from lcm_etl.forecast import METHOD, WINDOW_DAYS, depletion_forecast, window_start
from lcm_etl.queries.formatting import iso_datetime, uuid_string
from lcm_etl.queries.paging import Page, PageRequest, order_by_clause, paged
from lcm_etl.schema import (
    budget,
    budget_assignment,
    budget_transaction,
    budget_utilization_daily,
    subsidy_balance,
)

ASSIGNED = "AssignedLearnerCreditAccessPolicy"
SPEND = "PerLearnerSpendCreditAccessPolicy"
EXPIRING_DAYS = 120
BudgetStatus = Literal["Retired", "Scheduled", "Expiring", "Active", "Expired"]
STATUS_RANK = {"Active": 1, "Expiring": 1, "Scheduled": 2, "Expired": 3, "Retired": 4}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def usd(cents: int | None) -> float | None:
    """``*_usd`` as the services render it: cents / 100.0."""
    return None if cents is None else cents / 100.0


def budget_status(
    *, retired: bool, start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime
) -> BudgetStatus:
    """The admin portal's ``getBudgetStatus``: first match wins. A missing date is the browser's
    ``new Date(null)``, 1970 — so a budget without an end is Expired."""
    start = start or EPOCH
    end = end or EPOCH
    if retired:
        return "Retired"
    if now < start:
        return "Scheduled"
    days_to_end = (end - now).total_seconds() / 86_400
    if 0 < days_to_end <= EXPIRING_DAYS:
        return "Expiring"
    if start <= now <= end:
        return "Active"
    return "Expired"


def _allocating(row: Any) -> bool:
    return bool(row.policy_type == ASSIGNED or (row.policy_type == SPEND and row.bnr_enabled))


# ------------------------------------------------------------------------------------------------
# enterprise-access: GET /api/v1/subsidy-access-policies/[{uuid}/]
# ------------------------------------------------------------------------------------------------


def policy_json(row: Any) -> dict[str, Any]:
    """``SubsidyAccessPolicyResponseSerializer``'s shape (the fields, their order and nulls)."""
    available = row.subsidy_available
    redeemed = row.spent_cents if available else None
    spend_available = row.spend_available_cents if available else None
    configuration = None
    if row.assignment_configuration_uuid is not None:
        configuration = {
            "uuid": uuid_string(row.assignment_configuration_uuid),
            "subsidy_access_policy": uuid_string(row.policy_uuid),
            "enterprise_customer_uuid": uuid_string(row.enterprise_customer_uuid),
            "active": bool(row.assignment_configuration_active),
        }
    now = dt.datetime.now(dt.UTC)
    late = row.late_redemption_allowed_until
    is_subsidy_active = None
    if available and row.subsidy_active_datetime and row.subsidy_expiration_datetime:
        is_subsidy_active = row.subsidy_active_datetime <= now <= row.subsidy_expiration_datetime
    return {
        "uuid": uuid_string(row.policy_uuid),
        "policy_type": row.policy_type,
        "display_name": row.display_name,
        "description": row.description,
        "active": row.active,
        "retired": row.retired,
        "retired_at": iso_datetime(row.retired_at),
        "enterprise_customer_uuid": uuid_string(row.enterprise_customer_uuid),
        "catalog_uuid": uuid_string(row.catalog_uuid),
        "subsidy_uuid": uuid_string(row.subsidy_uuid),
        "access_method": row.access_method,
        "per_learner_enrollment_limit": row.per_learner_enrollment_limit,
        "per_learner_spend_limit": row.per_learner_spend_limit_cents,
        "spend_limit": row.spend_limit_cents,
        "subsidy_active_datetime": iso_datetime(row.subsidy_active_datetime),
        "subsidy_expiration_datetime": iso_datetime(row.subsidy_expiration_datetime),
        "is_subsidy_active": is_subsidy_active,
        "aggregates": {
            "amount_redeemed_usd_cents": redeemed,
            "amount_redeemed_usd": usd(redeemed),
            "amount_allocated_usd_cents": row.allocated_cents,
            "amount_allocated_usd": usd(row.allocated_cents),
            "spend_available_usd_cents": spend_available,
            "spend_available_usd": usd(spend_available),
        },
        "assignment_configuration": configuration,
        "group_associations": [uuid_string(g) for g in row.group_uuids],
        "late_redemption_allowed_until": iso_datetime(late),
        "is_late_redemption_allowed": bool(late is not None and late > now),
        "created": iso_datetime(row.created),
        "bnr_enabled": row.bnr_enabled,
        "total_spend_limits_for_subsidy": row.total_spend_limits_for_subsidy_cents,
        # enterprise-access reads it from the subsidy record, ``or 0`` when that call fails.
        "total_deposits_for_subsidy": row.total_deposits_for_subsidy_cents or 0,
    }


POLICY_TYPES = frozenset({ASSIGNED, SPEND, "PerLearnerEnrollmentCreditAccessPolicy"})


def policies_page(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    request: PageRequest,
    *,
    active: bool | None,
    policy_type: str | None,
) -> Page:
    """The enterprise's budgets, in creation order (the service specifies none)."""
    query = select(budget).where(budget.c.enterprise_customer_uuid == enterprise_uuid)
    if active is not None:
        query = query.where(budget.c.active.is_(active))
    if policy_type is not None:
        query = query.where(budget.c.policy_type == policy_type)
    count, number, rows = paged(conn, query, [budget.c.created, budget.c.policy_uuid], request)
    return Page(count, number, request.size, [policy_json(row) for row in rows])


def policy(conn: Connection, policy_uuid: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(budget).where(budget.c.policy_uuid == policy_uuid)).one_or_none()
    return None if row is None else policy_json(row)


def owner(conn: Connection, object_uuid: uuid.UUID) -> uuid.UUID | None:
    """The enterprise a budget, subsidy or assignment configuration belongs to (any tenant:
    ``lcm.ledger_owner`` is the one function the portal role may call across tenants)."""
    value = conn.execute(
        text("SELECT lcm.ledger_owner(CAST(:object AS uuid))"), {"object": str(object_uuid)}
    ).scalar_one_or_none()
    return None if value is None else uuid.UUID(str(value))


def subsidy_visible(conn: Connection, subsidy_uuid: uuid.UUID) -> bool:
    """Whether enterprise-subsidy would serve this subsidy (known, not soft-deleted)."""
    deleted = conn.execute(
        select(subsidy_balance.c.is_soft_deleted).where(
            subsidy_balance.c.subsidy_uuid == subsidy_uuid
        )
    ).scalar_one_or_none()
    return deleted is False


# ------------------------------------------------------------------------------------------------
# enterprise-subsidy: GET /api/v2/subsidies/{uuid}/admin/transactions/
# ------------------------------------------------------------------------------------------------

TRANSACTION_STATES = frozenset({"created", "pending", "committed", "failed"})
TRANSACTION_ORDERING: dict[str, ColumnElement[Any]] = {
    "created": budget_transaction.c.created,
    "quantity": budget_transaction.c.quantity_cents,
}


@dataclasses.dataclass(frozen=True)
class TransactionFilter:
    states: tuple[str, ...] = ()
    lms_user_id: int | None = None
    content_key: str | None = None
    policy_uuid: uuid.UUID | None = None
    search: str | None = None


def _contains(column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """Case-insensitive "contains", the value taken literally (no LIKE wildcards)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _transaction_query(subsidy_uuid: uuid.UUID, where: TransactionFilter) -> Select[Any]:
    t = budget_transaction
    query = select(t).where(t.c.subsidy_uuid == subsidy_uuid)
    if where.states:
        query = query.where(t.c.state.in_(where.states))
    if where.lms_user_id is not None:
        query = query.where(t.c.lms_user_id == where.lms_user_id)
    if where.content_key is not None:
        query = query.where(t.c.content_key == where.content_key)
    if where.policy_uuid is not None:
        query = query.where(t.c.policy_uuid == where.policy_uuid)
    if where.search is not None:
        query = query.where(
            or_(
                _contains(t.c.lms_user_email, where.search),
                _contains(t.c.content_title, where.search),
            )
        )
    return query


def transactionorder_by_clause(ordering: str | None) -> list[ColumnElement[Any]]:
    """DRF's OrderingFilter with ``ordering_fields = ['created', 'quantity']``: names outside
    the list are silently ignored (the portal sends table column names); default ``-created``."""
    fields = [part.strip() for part in (ordering or "").split(",") if part.strip()]
    known = [f for f in fields if f.removeprefix("-") in TRANSACTION_ORDERING]
    tie = [budget_transaction.c.transaction_uuid.desc()]
    if not known:
        return [budget_transaction.c.created.desc(), *tie]
    return order_by_clause(",".join(known), TRANSACTION_ORDERING, (), tie)


def courseware_url(learning_url: str | None, content_key: str | None) -> str | None:
    """enterprise-subsidy's ``courseware_url``: ``urljoin(FRONTEND_APP_LEARNING_URL,
    f"course/{content_key}/home")`` — the same join (a base without a trailing slash loses its
    last path segment) and the same text for a transaction without a content key (``None``).
    Null when the learning MFE's address is not configured."""
    if learning_url is None:
        return None
    return urljoin(learning_url, f"course/{content_key}/home")


def transaction_status_api_url(subsidy_url: str | None, transaction_uuid: uuid.UUID) -> str | None:
    """enterprise-subsidy's ``transaction_status_api_url``: ``urljoin(ENTERPRISE_SUBSIDY_URL,
    reverse("api:v1:transaction-detail", args=[uuid]))`` — an absolute path, so the join keeps
    only the address's scheme and host (and port). Null when that address is not configured:
    lcm-etl serves no transaction status endpoint to point at instead."""
    if subsidy_url is None:
        return None
    return urljoin(subsidy_url, f"/api/v1/transactions/{transaction_uuid}/")


def _metadata(value: Any) -> Any:
    return {} if value is None else value


def transaction_json(
    row: Any, subsidy_url: str | None, learning_url: str | None = None
) -> dict[str, Any]:
    """``TransactionSerializer``'s shape, with the nested reversal; ``external_reference`` is the
    ids of the transaction's external (Exec Ed) references, as DRF renders that reverse
    relation."""
    reversal = None
    if row.reversal_uuid is not None:
        reversal = {
            "uuid": uuid_string(row.reversal_uuid),
            "state": row.reversal_state,
            "idempotency_key": row.reversal_idempotency_key,
            "quantity": row.reversal_quantity_cents,
            "metadata": _metadata(row.reversal_metadata),
            "created": iso_datetime(row.reversal_created),
            "modified": iso_datetime(row.reversal_modified),
        }
    key = uuid_string(row.transaction_uuid)
    return {
        "uuid": key,
        "state": row.state,
        "idempotency_key": row.idempotency_key,
        "lms_user_id": row.lms_user_id,
        "lms_user_email": row.lms_user_email,
        "content_key": row.content_key,
        "parent_content_key": row.parent_content_key,
        "content_title": row.content_title,
        "course_run_start_date": iso_datetime(row.course_run_start_date),
        "quantity": row.quantity_cents,
        "unit": row.unit,
        "fulfillment_identifier": row.fulfillment_identifier,
        "subsidy_access_policy_uuid": uuid_string(row.policy_uuid),
        "metadata": _metadata(row.metadata),
        "created": iso_datetime(row.created),
        "modified": iso_datetime(row.modified),
        "reversal": reversal,
        "external_reference": list(row.external_reference),
        "transaction_status_api_url": transaction_status_api_url(subsidy_url, row.transaction_uuid),
        "courseware_url": courseware_url(learning_url, row.content_key),
    }


def transactions_page(
    conn: Connection,
    subsidy_uuid: uuid.UUID,
    request: PageRequest,
    *,
    where: TransactionFilter,
    ordering: str | None,
    subsidy_url: str | None,
    learning_url: str | None = None,
) -> Page:
    query = _transaction_query(subsidy_uuid, where)
    count, number, rows = paged(conn, query, transactionorder_by_clause(ordering), request)
    return Page(
        count,
        number,
        request.size,
        [transaction_json(r, subsidy_url, learning_url) for r in rows],
    )


def transaction_aggregates(
    conn: Connection, subsidy_uuid: uuid.UUID, where: TransactionFilter
) -> dict[str, Any]:
    """``aggregates``: Σ (quantity + reversal quantity) over the filtered rows (every page) and
    the whole subsidy's balance."""
    filtered = _transaction_query(subsidy_uuid, where).subquery()
    total = conn.execute(
        select(
            func.coalesce(
                func.sum(
                    filtered.c.quantity_cents + func.coalesce(filtered.c.reversal_quantity_cents, 0)
                ),
                0,
            )
        )
    ).scalar_one()
    subsidy = conn.execute(
        select(subsidy_balance.c.unit, subsidy_balance.c.current_balance_cents).where(
            subsidy_balance.c.subsidy_uuid == subsidy_uuid
        )
    ).one()
    return {
        "unit": subsidy.unit,
        "remaining_subsidy_balance": subsidy.current_balance_cents,
        "total_quantity": int(total),
    }


# ------------------------------------------------------------------------------------------------
# enterprise-access: GET /api/v1/assignment-configurations/{uuid}/admin/assignments/
# ------------------------------------------------------------------------------------------------

ASSIGNMENT_STATES = frozenset(
    {"allocated", "accepted", "cancelled", "errored", "expired", "reversed"}
)
LEARNER_STATES = frozenset({"notifying", "waiting", "failed", "expired"})
ASSIGNMENT_ORDERING: dict[str, ColumnElement[Any]] = {
    "recent_action_time": budget_assignment.c.recent_action_time,
    "learner_state_sort_order": budget_assignment.c.learner_state_sort_order,
    "content_quantity": budget_assignment.c.content_quantity_cents,
}


@dataclasses.dataclass(frozen=True)
class AssignmentFilter:
    states: tuple[str, ...] = ()
    learner_states: tuple[str, ...] = ()
    search: str | None = None


def _assignment_query(configuration_uuid: uuid.UUID, where: AssignmentFilter) -> Select[Any]:
    a = budget_assignment
    query = select(a).where(a.c.assignment_configuration_uuid == configuration_uuid)
    if where.states:
        query = query.where(a.c.state.in_(where.states))
    if where.learner_states:
        query = query.where(a.c.learner_state.in_(where.learner_states))
    if where.search is not None:
        query = query.where(
            or_(
                _contains(a.c.content_title, where.search),
                _contains(a.c.learner_email, where.search),
            )
        )
    return query


def _naive_utc(value: str | None) -> str | None:
    """A naive UTC ISO string stored in jsonb, rendered like the other date-times."""
    if value is None:
        return None
    return iso_datetime(dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC))


def assignment_json(row: Any) -> dict[str, Any]:
    """``LearnerContentAssignmentAdminResponseSerializer``'s shape."""
    expiration = row.earliest_possible_expiration
    return {
        "uuid": uuid_string(row.assignment_uuid),
        "assignment_configuration": uuid_string(row.assignment_configuration_uuid),
        "learner_email": row.learner_email,
        "lms_user_id": row.lms_user_id,
        "content_key": row.content_key,
        "parent_content_key": row.parent_content_key,
        "is_assigned_course_run": row.is_assigned_course_run,
        "content_title": row.content_title,
        "content_quantity": row.content_quantity_cents,
        "state": row.state,
        "transaction_uuid": uuid_string(row.transaction_uuid),
        "actions": [
            {
                "created": _naive_utc(action["created"]),
                "modified": _naive_utc(action["modified"]),
                "uuid": action["uuid"],
                "action_type": action["action_type"],
                "completed_at": _naive_utc(action["completed_at"]),
                "error_reason": action["error_reason"],
            }
            for action in row.actions
        ],
        "earliest_possible_expiration": None
        if expiration is None
        else {"date": _naive_utc(expiration["date"]), "reason": expiration["reason"]},
        "recent_action": {
            "action_type": row.recent_action,
            "timestamp": iso_datetime(row.recent_action_time),
        },
        "learner_state": row.learner_state,
        "error_reason": row.error_reason,
    }


def assignments_page(
    conn: Connection,
    configuration_uuid: uuid.UUID,
    request: PageRequest,
    *,
    where: AssignmentFilter,
    ordering: str | None,
) -> tuple[Page, list[dict[str, Any]]]:
    """A page of the Assigned table and the ``learner_state_counts`` of the filtered set."""
    query = _assignment_query(configuration_uuid, where)
    order = order_by_clause(
        ordering,
        ASSIGNMENT_ORDERING,
        [budget_assignment.c.recent_action_time.desc()],
        [budget_assignment.c.assignment_uuid],
    )
    count, number, rows = paged(conn, query, order, request)
    filtered = query.subquery()
    counts = conn.execute(
        select(filtered.c.learner_state, func.count().label("count"))
        .where(filtered.c.learner_state.is_not(None))
        .group_by(filtered.c.learner_state)
        .order_by(func.count().desc(), filtered.c.learner_state)
    ).all()
    return (
        Page(count, number, request.size, [assignment_json(r) for r in rows]),
        [{"learner_state": r.learner_state, "count": r.count} for r in counts],
    )


def configuration_known(conn: Connection, configuration_uuid: uuid.UUID) -> bool:
    found = conn.execute(
        select(budget.c.policy_uuid).where(
            budget.c.assignment_configuration_uuid == configuration_uuid
        )
    ).first()
    return found is not None


# ------------------------------------------------------------------------------------------------
# The page's budgets (lcm-etl's own answer)
# ------------------------------------------------------------------------------------------------


def page_budgets(
    conn: Connection, enterprise_uuid: uuid.UUID, now: dt.datetime, as_of: dt.datetime | None
) -> list[dict[str, Any]]:
    """The enterprise's active budgets as the portal's budget list shows them (see
    :func:`render_budgets`), from the read model."""
    rows = conn.execute(
        select(budget).where(
            budget.c.enterprise_customer_uuid == enterprise_uuid, budget.c.active.is_(True)
        )
    ).all()
    if not rows:
        return []
    as_of = as_of or max(row.data_as_of for row in rows)
    return render_budgets(rows, now=now, as_of=as_of, window_spend=_window_spend(
        conn, enterprise_uuid, as_of
    ))  # fmt: skip


def render_budgets(
    rows: Sequence[Any],
    *,
    now: dt.datetime,
    as_of: dt.datetime,
    window_spend: dict[uuid.UUID, Decimal],
) -> list[dict[str, Any]]:
    """Budget rows (the columns of ``lcm.budget`` the page uses), however computed — the read
    model, or the benchmark's compute-on-read baseline — in the portal's order: Active and
    Expiring, Scheduled, Expired, Retired; then by end (none last); then by name."""
    items = []
    for row in rows:
        status = budget_status(
            retired=row.retired,
            start=row.subsidy_active_datetime,
            end=row.subsidy_expiration_datetime,
            now=now,
        )
        rendered = _budget_json(row, status, window_spend.get(row.policy_uuid), as_of)
        items.append((status, row, rendered))

    def order(item: tuple[str, Any, dict[str, Any]]) -> tuple[int, bool, float, str, str]:
        status, row, rendered = item
        end = row.subsidy_expiration_datetime
        return (
            STATUS_RANK[status],
            end is None,
            end.timestamp() if end is not None else 0.0,
            rendered["name"],
            rendered["budget_id"],
        )

    return [rendered for _, _, rendered in sorted(items, key=order)]


def _window_spend(
    conn: Connection, enterprise_uuid: uuid.UUID, as_of: dt.datetime
) -> dict[uuid.UUID, Decimal]:
    """Net spend (dollars) per budget over the forecast window ending at ``as_of``."""
    d = budget_utilization_daily
    spent = conn.execute(
        select(d.c.policy_uuid, func.sum(d.c.spent_cents - d.c.refunded_cents))
        .where(d.c.enterprise_customer_uuid == enterprise_uuid, d.c.day >= window_start(as_of))
        .group_by(d.c.policy_uuid)
    ).all()
    return {policy_uuid: Decimal(int(total)) / 100 for policy_uuid, total in spent}


def budget_forecast(row: Any, net_spend: Decimal | None, as_of: dt.datetime) -> dict[str, Any]:
    """A budget's forecast: what remains is its available amount (capped by the subsidy)."""
    available = row.spend_available_cents if row.subsidy_available else None
    if available is None:
        return {
            "method": METHOD,
            "window_days": WINDOW_DAYS,
            "status": "unknown",
            "daily_net_spend": None,
            "projected_depletion_date": None,
        }
    return depletion_forecast(
        remaining=Decimal(available) / 100,
        net_spend_in_window=net_spend or Decimal(0),
        as_of=as_of,
        expires=row.subsidy_expiration_datetime,
    ).as_json()


def _budget_json(
    row: Any, status: str, net_spend: Decimal | None, as_of: dt.datetime
) -> dict[str, Any]:
    available = row.subsidy_available
    spent = usd(row.spent_cents) if available else None
    pending = usd(row.allocated_cents)
    allocating = _allocating(row)
    return {
        "budget_id": uuid_string(row.policy_uuid),
        "name": row.display_name or "Overview",
        "policy_type": row.policy_type,
        "status": status,
        "start": iso_datetime(row.subsidy_active_datetime),
        "end": iso_datetime(row.subsidy_expiration_datetime),
        "retired": row.retired,
        "retired_at": iso_datetime(row.retired_at),
        "is_assignable": row.policy_type == ASSIGNED
        and row.assignment_configuration_uuid is not None,
        "bnr_enabled": row.bnr_enabled,
        "subsidy_uuid": uuid_string(row.subsidy_uuid),
        "assignment_configuration_uuid": uuid_string(row.assignment_configuration_uuid),
        "limit": usd(row.spend_limit_cents or 0),
        "spent": spent,
        "pending": pending,
        "available": usd(row.spend_available_cents) if available else None,
        "utilized": None
        if not available
        else usd(row.spent_cents + (row.allocated_cents if allocating else 0)),
        "amounts_cents": {
            "spend_limit": row.spend_limit_cents,
            "spent": row.spent_cents if available else None,
            "allocated": row.allocated_cents,
            "available": row.spend_available_cents if available else None,
        },
        "forecast": budget_forecast(row, net_spend, as_of),
    }


def known_enterprise(conn: Connection, enterprise_uuid: uuid.UUID) -> bool:
    """Whether the read model holds any budget of the enterprise (active or not)."""
    found = conn.execute(
        select(budget.c.policy_uuid).where(budget.c.enterprise_customer_uuid == enterprise_uuid)
    ).first()
    return found is not None


__all__ = [
    "AssignmentFilter",
    "TransactionFilter",
    "assignments_page",
    "budget_status",
    "page_budgets",
    "policies_page",
    "policy",
    "transactions_page",
]
