"""The queries: one typed function per answer lcm-etl serves, reading only the read model.

Every function reads the published tables of schema ``lcm`` (``offer_summary``,
``offer_redemption``, ``pipeline_run``) — never ``lcm_raw``, never an aggregate over raw rows on
request: the pipeline did that work once, at publish time.

Time-dependent answers (is an offer current, is the enterprise eligible) are evaluated here, at
request time, from stored dates; the balance clamps and thresholds are applied here too, from the
raw stored values and the configured thresholds, exactly as the admin portal applies them to the
analytics API's values (``docs/architecture.md``, "What the page shows").

Tenancy: the API runs every query inside :func:`tenant_transaction`, which switches to the
``lcm_portal`` database role with row-level security keyed by the enterprise, and the queries
filter on the enterprise explicitly as well (RLS is the guard, not the filter).

Rendering follows the contracts: money is computed in ``Decimal`` and rendered as JSON numbers
rounded to cents (or as DRF decimal strings where ecommerce does so); datetimes are ISO-8601 UTC
with ``Z`` (microseconds only when non-zero, like DRF); dates are ``YYYY-MM-DD``; UUIDs are
lowercase dashed.

Modules, one per concern:

======================== ===================================================================
``formatting``           rendering values as the contracts render them
``balance``              the portal's clamps and thresholds (pure)
``tenancy``              the tenant transaction, freshness from the run log
``paging``               page-number pagination and ordering of the list answers
``page``                 the learner-credit page
``analytics``            the analytics API: offers and enrollments
``enrollment_statement`` an enrollments page as one statement (search, count, rows)
``admin_offers``         ecommerce's enterprise admin offers
======================== ===================================================================

The names the API, the CLI and the benchmark use are re-exported here.
"""

from __future__ import annotations

from lcm_etl.queries.admin_offers import (
    ADMIN_OFFER_FIELDS,
    AdminOfferFilter,
    admin_offer,
    admin_offers,
)
from lcm_etl.queries.analytics import (
    ANALYTICS_OFFER_FIELDS,
    ANALYTICS_OFFER_ORDERING,
    ENROLLMENT_FIELDS,
    EnrollmentFilter,
    analytics_offer,
    analytics_offers,
    check_enrollment_ordering,
    enrollment_page_from_rows,
    enrollment_page_statement,
    enrollments_page,
    iter_enrollments,
)
from lcm_etl.queries.balance import (
    BalanceState,
    PageSummary,
    Thresholds,
    alerts_for,
    balance_state,
    page_summary,
)
from lcm_etl.queries.enrollment_statement import (
    ENROLLMENT_DEFAULT_ORDERING,
    ENROLLMENT_ORDERING,
)
from lcm_etl.queries.formatting import (
    cents,
    iso_date,
    iso_datetime,
    money,
    money_string,
    number,
    uuid_string,
)
from lcm_etl.queries.page import (
    PAGE_CALLS,
    ReadModelUnavailable,
    learner_credit_page,
    load_eligibility_facts,
    page_answer,
    page_from_results,
    page_json,
    page_parameters,
    render_page,
)
from lcm_etl.queries.paging import (
    UNPAGED,
    BadOrdering,
    InvalidPage,
    Page,
    PageRequest,
)
from lcm_etl.queries.tenancy import (
    ENROLLMENTS_STATEMENT_TIMEOUT,
    JIT,
    PORTAL_ROLE,
    STATEMENT_TIMEOUT,
    TENANT_SETTING,
    PublishInfo,
    enterprise_data_as_of,
    last_successful_publish,
    tenant_transaction,
)

__all__ = [
    "ADMIN_OFFER_FIELDS",
    "ANALYTICS_OFFER_FIELDS",
    "ANALYTICS_OFFER_ORDERING",
    "ENROLLMENTS_STATEMENT_TIMEOUT",
    "ENROLLMENT_DEFAULT_ORDERING",
    "ENROLLMENT_FIELDS",
    "ENROLLMENT_ORDERING",
    "JIT",
    "PAGE_CALLS",
    "PORTAL_ROLE",
    "STATEMENT_TIMEOUT",
    "TENANT_SETTING",
    "UNPAGED",
    "AdminOfferFilter",
    "BadOrdering",
    "BalanceState",
    "EnrollmentFilter",
    "InvalidPage",
    "Page",
    "PageRequest",
    "PageSummary",
    "PublishInfo",
    "ReadModelUnavailable",
    "Thresholds",
    "admin_offer",
    "admin_offers",
    "alerts_for",
    "analytics_offer",
    "analytics_offers",
    "balance_state",
    "cents",
    "check_enrollment_ordering",
    "enrollment_page_from_rows",
    "enrollment_page_statement",
    "enrollments_page",
    "enterprise_data_as_of",
    "iso_date",
    "iso_datetime",
    "iter_enrollments",
    "last_successful_publish",
    "learner_credit_page",
    "load_eligibility_facts",
    "money",
    "money_string",
    "number",
    "page_answer",
    "page_from_results",
    "page_json",
    "page_parameters",
    "page_summary",
    "render_page",
    "tenant_transaction",
    "uuid_string",
]
