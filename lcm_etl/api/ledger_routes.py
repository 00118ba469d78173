"""The ledger era's endpoints: the enterprise-access and enterprise-subsidy contracts the current
admin portal calls for budgets, served from the read model.

Same rules as the offer routes: the caller is authenticated first (401), the enterprise is the
one the URL names — directly (``enterprise_customer_uuid``) or through the budget, subsidy or
assignment configuration it names (``lcm.ledger_owner``) — and the caller must hold a role for
it (403 ``MISSING: <permission>``, edx-rbac's): ``enterprise_admin`` or the operator role, and
for the budget list and detail also ``enterprise_learner``, as enterprise-access grants its
policy read to the enterprise's learners; every read runs in one tenant transaction (role
``lcm_portal``, row-level security on that enterprise, one snapshot). An object the read model
does not know is 403 for an enterprise admin (the services' permission check finds no customer)
and 404 for an operator.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from lcm_etl import queries
from lcm_etl.api.auth import (
    ALL_CONTEXTS,
    ENTERPRISE_ROLES,
    LEARNER_READ_ROLES,
    AuthError,
    Principal,
)
from lcm_etl.api.deps import (
    AuthorizationValue,
    BadRequest,
    api_state,
    bool_param,
    parse_enterprise_uuid,
    text_param,
)
from lcm_etl.api.pagination import analytics_envelope, page_request
from lcm_etl.queries import budgets as lq

POLICY_READ = "subsidy_access_policy.has_read_access"
#: Who holds each permission (the services' rules): enterprise-access grants the budget read to
#: the enterprise's learners too (its policy learner role), the two admin tables to admins and
#: operators only.
PERMISSION_ROLES: dict[str, frozenset[str]] = {POLICY_READ: LEARNER_READ_ROLES}
TRANSACTIONS_READ = "subsidy.can_read_all_transactions"
ASSIGNMENTS_READ = "content_assignment.has_admin_read_access"

POLICIES_PAGE = (100, 10)  # REST_FRAMEWORK PAGE_SIZE; the viewset's max_page_size is 10
TRANSACTIONS_PAGE = (10, 100)
ASSIGNMENTS_PAGE = (100, 500)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed parameter"},
    401: {"description": "No valid token"},
    403: {"description": "The token's roles do not cover this enterprise (or the object)"},
    404: {"description": "Unknown object (operators) or page"},
}

access_router = APIRouter(prefix="/api/v1", tags=["enterprise-access API (budgets)"])
subsidy_router = APIRouter(prefix="/api/v2/subsidies", tags=["enterprise-subsidy API"])


def _principal(request: Request, authorization: str | None) -> Principal:
    return api_state(request).authenticator.authenticate(authorization, request.cookies)


def _is_operator(principal: Principal) -> bool:
    return any(
        role == "enterprise_openedx_operator" and context == ALL_CONTEXTS
        for role, context in principal.roles
    )


def _object_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return parse_enterprise_uuid(value)
    except BadRequest:
        raise BadRequest(f"{value[:80]!r} is not a {what} UUID.") from None


def _roles(permission: str) -> frozenset[str]:
    return PERMISSION_ROLES.get(permission, ENTERPRISE_ROLES)


def _owner_of(
    request: Request, principal: Principal, object_uuid: uuid.UUID, permission: str
) -> uuid.UUID | None:
    """The enterprise owning the object once the caller may read it; None (404) when an
    operator names an unknown object; 403 for anyone else."""
    state = api_state(request)
    with queries.tenant_transaction(state.engine, None) as conn:
        owner = lq.owner(conn, object_uuid)
    if owner is None:
        if _is_operator(principal):
            return None
        raise AuthError(403, f"MISSING: {permission}")
    state.authenticator.authorize(principal, owner, permission, _roles(permission))
    return owner


def _not_found() -> JSONResponse:
    return JSONResponse({"detail": "Not found."}, status_code=404)


def _headers(conn: Any, enterprise: uuid.UUID) -> dict[str, str]:
    rendered = queries.iso_datetime(queries.enterprise_data_as_of(conn, enterprise))
    return {"X-Data-As-Of": rendered} if rendered else {}


def _choices(name: str, value: str | None, allowed: frozenset[str]) -> tuple[str, ...]:
    """A comma list (``__in`` filters); an unknown choice is 400 like django-filter's."""
    if value is None or value.strip() == "":
        return ()
    items = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise BadRequest(
            f"{name}: select a valid choice; {', '.join(repr(u[:40]) for u in unknown)} is not "
            f"one of the available choices ({', '.join(sorted(allowed))})."
        )
    return items


# ------------------------------------------------------------------------------------------------
# enterprise-access: budgets
# ------------------------------------------------------------------------------------------------


@access_router.get(
    "/subsidy-access-policies/",
    responses=ERRORS,
    summary="The enterprise's budgets (SubsidyAccessPolicyViewSet list)",
)
def list_policies(
    request: Request,
    authorization: AuthorizationValue,
    enterprise_customer_uuid: Annotated[
        str | None,
        Query(description="Required (missing: 403, as the service): the enterprise customer UUID."),
    ] = None,
    active: Annotated[str | None, Query(description="`true` or `false`.")] = None,
    policy_type: Annotated[str | None, Query(description="A policy class name.")] = None,
    page: Annotated[str | None, Query(description="1-based page number, or `last`.")] = None,
    page_size: Annotated[str | None, Query(description="Default 100, at most 10.")] = None,
) -> JSONResponse:
    principal = _principal(request, authorization)
    if not enterprise_customer_uuid:
        # enterprise-access checks the permission on this parameter before its filter requires
        # it: with no enterprise every rule fails, so the answer is 403 for everyone, operators too.
        raise AuthError(403, f"MISSING: {POLICY_READ}")
    try:
        customer = parse_enterprise_uuid(enterprise_customer_uuid)
    except BadRequest:
        # edx-rbac matches the raw parameter against the caller's role contexts before the
        # filter validates it: a value that is no UUID matches no enterprise-scoped role (403);
        # only a role for every enterprise gets through to the filter's 400.
        if not principal.has_every_enterprise(_roles(POLICY_READ)):
            raise AuthError(403, f"MISSING: {POLICY_READ}") from None
        raise
    state = api_state(request)
    state.authenticator.authorize(principal, customer, POLICY_READ, _roles(POLICY_READ))
    wanted_type = text_param("policy_type", policy_type)
    if wanted_type is not None and wanted_type not in lq.POLICY_TYPES:
        raise BadRequest(
            f"policy_type: select a valid choice; {wanted_type[:80]!r} is not one of the "
            "available choices."
        )
    default_size, max_size = POLICIES_PAGE
    requested = page_request(page, page_size, default_size=default_size, max_size=max_size)
    with queries.tenant_transaction(state.engine, customer) as conn:
        result = lq.policies_page(
            conn,
            customer,
            requested,
            active=bool_param("active", active),
            policy_type=wanted_type,
        )
        headers = _headers(conn, customer)
    return JSONResponse(analytics_envelope(request, result), headers=headers)


@access_router.get(
    "/subsidy-access-policies/{policy_uuid}/",
    responses=ERRORS,
    summary="One budget, active or not (SubsidyAccessPolicyViewSet retrieve)",
)
def retrieve_policy(
    request: Request, policy_uuid: str, authorization: AuthorizationValue
) -> JSONResponse:
    principal = _principal(request, authorization)
    key = _object_uuid(policy_uuid, "policy")
    owner = _owner_of(request, principal, key, POLICY_READ)
    if owner is None:
        return _not_found()
    state = api_state(request)
    with queries.tenant_transaction(state.engine, owner) as conn:
        body = lq.policy(conn, key)
        headers = _headers(conn, owner)
    if body is None:
        return _not_found()
    return JSONResponse(body, headers=headers)


@access_router.get(
    "/assignment-configurations/{configuration_uuid}/admin/assignments/",
    responses=ERRORS,
    summary="A budget's assignments (LearnerContentAssignmentAdminViewSet list)",
)
def list_assignments(
    request: Request,
    configuration_uuid: str,
    authorization: AuthorizationValue,
    state__in: Annotated[str | None, Query(description="Comma list of states.")] = None,
    learner_state__in: Annotated[
        str | None, Query(description="Comma list of notifying, waiting, failed, expired.")
    ] = None,
    search: Annotated[
        str | None, Query(description="Content title or learner email contains this.")
    ] = None,
    ordering: Annotated[
        str | None,
        Query(
            description="recent_action_time, learner_state_sort_order or content_quantity, "
            "`-` for descending; default `-recent_action_time`."
        ),
    ] = None,
    page: Annotated[str | None, Query(description="1-based page number, or `last`.")] = None,
    page_size: Annotated[str | None, Query(description="Default 100, at most 500.")] = None,
) -> JSONResponse:
    principal = _principal(request, authorization)
    key = _object_uuid(configuration_uuid, "assignment configuration")
    where = lq.AssignmentFilter(
        states=_choices("state__in", state__in, lq.ASSIGNMENT_STATES),
        learner_states=_choices("learner_state__in", learner_state__in, lq.LEARNER_STATES),
        search=text_param("search", search),
    )
    owner = _owner_of(request, principal, key, ASSIGNMENTS_READ)
    if owner is None:
        return _not_found()
    default_size, max_size = ASSIGNMENTS_PAGE
    requested = page_request(page, page_size, default_size=default_size, max_size=max_size)
    state = api_state(request)
    with queries.tenant_transaction(state.engine, owner) as conn:
        result, counts = lq.assignments_page(conn, key, requested, where=where, ordering=ordering)
        headers = _headers(conn, owner)
    body = analytics_envelope(request, result)
    body["learner_state_counts"] = counts
    return JSONResponse(body, headers=headers)


# ------------------------------------------------------------------------------------------------
# enterprise-subsidy: the Spent table
# ------------------------------------------------------------------------------------------------


@subsidy_router.get(
    "/{subsidy_uuid}/admin/transactions/",
    responses=ERRORS,
    summary="A subsidy's ledger transactions (TransactionAdminListCreate list)",
)
def list_transactions(
    request: Request,
    subsidy_uuid: str,
    authorization: AuthorizationValue,
    state: Annotated[
        list[str] | None, Query(description="Repeatable: created, pending, committed, failed.")
    ] = None,
    lms_user_id: Annotated[str | None, Query()] = None,
    content_key: Annotated[str | None, Query()] = None,
    subsidy_access_policy_uuid: Annotated[str | None, Query()] = None,
    search: Annotated[
        str | None, Query(description="Learner email or content title contains this.")
    ] = None,
    ordering: Annotated[
        str | None,
        Query(description="created or quantity, `-` for descending (others are ignored)."),
    ] = None,
    include_aggregates: Annotated[str | None, Query(description="`true` adds aggregates.")] = None,
    page: Annotated[str | None, Query(description="1-based page number, or `last`.")] = None,
    page_size: Annotated[str | None, Query(description="Default 10, at most 100.")] = None,
) -> JSONResponse:
    principal = _principal(request, authorization)
    key = _object_uuid(subsidy_uuid, "subsidy")
    states: list[str] = []
    for value in state or []:
        states.extend(_choices("state", value, lq.TRANSACTION_STATES))
    user_id = None
    if lms_user_id:
        digits = lms_user_id.strip()
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
            raise BadRequest("lms_user_id: enter a number.")
        user_id = int(lms_user_id)
    policy_key = None
    if subsidy_access_policy_uuid:
        policy_key = _object_uuid(subsidy_access_policy_uuid, "policy")
    where = lq.TransactionFilter(
        states=tuple(states),
        lms_user_id=user_id,
        content_key=text_param("content_key", content_key),
        policy_uuid=policy_key,
        search=text_param("search", search),
    )
    owner = _owner_of(request, principal, key, TRANSACTIONS_READ)
    if owner is None:
        return _not_found()
    default_size, max_size = TRANSACTIONS_PAGE
    requested = page_request(page, page_size, default_size=default_size, max_size=max_size)
    app_state = api_state(request)
    with queries.tenant_transaction(app_state.engine, owner) as conn:
        if not lq.subsidy_visible(conn, key):
            # A soft-deleted subsidy is hidden by every enterprise-subsidy API.
            if _is_operator(principal):
                return _not_found()
            raise AuthError(403, f"MISSING: {TRANSACTIONS_READ}")
        result = lq.transactions_page(
            conn,
            key,
            requested,
            where=where,
            ordering=ordering,
            subsidy_url=app_state.settings.enterprise_subsidy_url,
            learning_url=app_state.settings.frontend_app_learning_url,
        )
        aggregates = None
        if bool_param("include_aggregates", include_aggregates):
            aggregates = lq.transaction_aggregates(conn, key, where)
        headers = _headers(conn, owner)
    body = analytics_envelope(request, result)
    if aggregates is not None:
        body["aggregates"] = aggregates
    return JSONResponse(body, headers=headers)


ROUTERS = (access_router, subsidy_router)

__all__ = ["ROUTERS", "access_router", "subsidy_router"]
