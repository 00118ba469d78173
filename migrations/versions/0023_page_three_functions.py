"""The learner-credit page in three function calls instead of six (issue 12; docs/serving.md, "The
page request").

A request's script called six functions (migration 0016). Each call costs the backend more than
the SELECT inside it (parse, plan and executor start-up of the outer ``SELECT * FROM f()``, the
PL/pgSQL call, the kept plan's revalidation), and each result set costs the server's Python
more than its rows (psycopg builds a result, its columns and a row maker per result set): a
py-spy profile of the server spent a fifth of a page request's CPU reading the six results. Now:

- ``lcm.page_offers(enterprise, window_days)``: the offer rows, each with its net spend over the
  forecast window (what ``lcm.page_offer_spend`` returned per offer). The window's first day is a
  variable, so the generic plan finds the window's rows by the primary key's (offer, day) range:
  the heap rows read are the window's days, no longer every day of the enterprise's history
  (``page_offer_spend`` filtered all of them by day).
- ``lcm.page_enterprise(enterprise)``: one row, always: the stored eligibility row's columns
  (``has_eligibility_row`` false and nulls without one) and the enterprise's ``data_as_of``
  (what ``lcm.page_eligibility`` and ``lcm.page_data_as_of`` returned).
- ``lcm.page_budgets(enterprise, window_days)``: the active budgets, each with its net spend in
  cents over the window (``lcm.page_budget_spend``'s, per budget; the same range on the primary
  key (budget, day)).

``lcm.page_data_as_of`` stays (the three call it). Same rules as 0016: ``SECURITY INVOKER``
(row-level security applies as to the plain SELECTs), STABLE, result columns pinned to the
tables' types, ``EXECUTE`` for ``lcm_portal`` and ``lcm_reader`` (0020), not ``PUBLIC``. The texts are ``sql/functions/<name>.sql``,
inlined (frozen); the downgrade restores 0016's.

Revision ID: 0023
Revises: 0021
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The roles that may execute the page's functions (0016: the portal; 0020: the reader).
EXECUTORS = ("lcm_portal", "lcm_reader")

PAGE_OFFERS = """
CREATE FUNCTION lcm.page_offers(enterprise uuid, window_days integer)
RETURNS TABLE (
    offer_id bigint,
    enterprise_name text,
    display_name text,
    status text,
    start_datetime timestamptz,
    end_datetime timestamptz,
    usage_type text,
    discount_value numeric,
    is_fcfs_org_wide boolean,
    max_discount numeric,
    amount_of_offer_spent numeric,
    remaining_balance numeric,
    percent_of_offer_spent numeric,
    amount_refunded numeric,
    enrollment_count bigint,
    learner_count bigint,
    window_net_spent numeric
)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
DECLARE
    -- A variable, not the expression in the query: a plain parameter there lets the primary
    -- key's (id, day) range find the window's days only, not every day of the history.
    window_start date := date(
        timezone('UTC', (SELECT a.data_as_of FROM lcm.page_data_as_of(page_offers.enterprise) AS a))
    ) - page_offers.window_days + 1;
BEGIN
    RETURN QUERY
    SELECT
        s.offer_id,
        s.enterprise_name,
        s.display_name,
        s.status,
        s.start_datetime,
        s.end_datetime,
        s.usage_type,
        s.discount_value,
        s.is_fcfs_org_wide,
        s.max_discount,
        s.amount_of_offer_spent,
        s.remaining_balance,
        s.percent_of_offer_spent,
        s.amount_refunded,
        s.enrollment_count,
        s.learner_count,
        (
            SELECT sum(d.amount_spent - d.amount_refunded)
            FROM lcm.offer_utilization_daily AS d
            WHERE
                d.offer_id = s.offer_id
                AND d.day >= window_start
        )
    FROM lcm.offer_summary AS s
    WHERE s.enterprise_customer_uuid = page_offers.enterprise;
END
$$
"""

PAGE_ENTERPRISE = """
CREATE FUNCTION lcm.page_enterprise(enterprise uuid)
RETURNS TABLE (
    has_eligibility_row boolean,
    enterprise_name text,
    lcm_screen_enabled boolean,
    subscription_plan_windows tstzrange [],
    coupon_code_windows tstzrange [],
    coupon_code_counts integer [],
    data_as_of timestamptz
)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT
        e.enterprise_customer_uuid IS NOT NULL,
        e.enterprise_name,
        e.lcm_screen_enabled,
        e.subscription_plan_windows,
        e.coupon_code_windows,
        e.coupon_code_counts,
        a.data_as_of
    FROM lcm.page_data_as_of(page_enterprise.enterprise) AS a
    LEFT JOIN lcm.enterprise_eligibility AS e
        ON e.enterprise_customer_uuid = page_enterprise.enterprise;
END
$$
"""

PAGE_BUDGETS = """
CREATE FUNCTION lcm.page_budgets(enterprise uuid, window_days integer)
RETURNS TABLE (
    policy_uuid uuid,
    enterprise_customer_uuid uuid,
    subsidy_uuid uuid,
    policy_type text,
    display_name text,
    description text,
    active boolean,
    retired boolean,
    retired_at timestamptz,
    catalog_uuid uuid,
    access_method text,
    spend_limit_cents bigint,
    per_learner_spend_limit_cents bigint,
    per_learner_enrollment_limit bigint,
    late_redemption_allowed_until timestamptz,
    assignment_configuration_uuid uuid,
    assignment_configuration_active boolean,
    bnr_enabled boolean,
    group_uuids uuid [],
    subsidy_available boolean,
    subsidy_active_datetime timestamptz,
    subsidy_expiration_datetime timestamptz,
    subsidy_internal_only boolean,
    spent_cents bigint,
    allocated_cents bigint,
    subsidy_balance_cents bigint,
    spend_available_cents bigint,
    total_deposits_for_subsidy_cents bigint,
    total_spend_limits_for_subsidy_cents bigint,
    redemption_count bigint,
    learner_count bigint,
    first_spend_at timestamptz,
    last_spend_at timestamptz,
    created timestamptz,
    data_as_of timestamptz,
    window_net_spent_cents numeric
)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
DECLARE
    -- A variable, not the expression in the query: a plain parameter there lets the primary
    -- key's (id, day) range find the window's days only, not every day of the history.
    window_start date := date(
        timezone('UTC', (SELECT a.data_as_of FROM lcm.page_data_as_of(page_budgets.enterprise) AS a))
    ) - page_budgets.window_days + 1;
BEGIN
    RETURN QUERY
    SELECT
        b.*,
        (
            SELECT sum(d.spent_cents - d.refunded_cents)
            FROM lcm.budget_utilization_daily AS d
            WHERE
                d.policy_uuid = b.policy_uuid
                AND d.day >= window_start
        )
    FROM lcm.budget AS b
    WHERE b.enterprise_customer_uuid = page_budgets.enterprise AND b.active IS TRUE;
END
$$
"""

FUNCTIONS = (
    (
        "lcm.page_offers(uuid, integer)",
        PAGE_OFFERS,
        "The page''s offer rows of one enterprise (lcm.offer_summary), as the invoker may read them, each with its net spend over the window_days UTC days ending with the enterprise''s data_as_of (the depletion forecast).",
    ),
    (
        "lcm.page_enterprise(uuid)",
        PAGE_ENTERPRISE,
        "One row: the page''s stored eligibility row of one enterprise (lcm.enterprise_eligibility; has_eligibility_row false and nulls without one) and how fresh its read model is (data_as_of).",
    ),
    (
        "lcm.page_budgets(uuid, integer)",
        PAGE_BUDGETS,
        "The page''s active budgets of one enterprise (lcm.budget), each with its net spend in cents over the window_days UTC days ending with the enterprise''s data_as_of (the depletion forecast).",
    ),
)

# Migration 0016's functions that these replace, as 0016 created them (for the downgrade).
OLD_PAGE_OFFERS = """
CREATE FUNCTION lcm.page_offers(enterprise uuid)
RETURNS TABLE (
    offer_id bigint,
    enterprise_name text,
    display_name text,
    status text,
    start_datetime timestamptz,
    end_datetime timestamptz,
    usage_type text,
    discount_value numeric,
    is_fcfs_org_wide boolean,
    max_discount numeric,
    amount_of_offer_spent numeric,
    remaining_balance numeric,
    percent_of_offer_spent numeric,
    amount_refunded numeric,
    enrollment_count bigint,
    learner_count bigint
)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT
        s.offer_id,
        s.enterprise_name,
        s.display_name,
        s.status,
        s.start_datetime,
        s.end_datetime,
        s.usage_type,
        s.discount_value,
        s.is_fcfs_org_wide,
        s.max_discount,
        s.amount_of_offer_spent,
        s.remaining_balance,
        s.percent_of_offer_spent,
        s.amount_refunded,
        s.enrollment_count,
        s.learner_count
    FROM lcm.offer_summary AS s
    WHERE s.enterprise_customer_uuid = page_offers.enterprise;
END
$$
"""

OLD_PAGE_ELIGIBILITY = """
CREATE FUNCTION lcm.page_eligibility(enterprise uuid)
RETURNS TABLE (
    enterprise_name text,
    lcm_screen_enabled boolean,
    subscription_plan_windows tstzrange [],
    coupon_code_windows tstzrange [],
    coupon_code_counts integer []
)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT
        e.enterprise_name,
        e.lcm_screen_enabled,
        e.subscription_plan_windows,
        e.coupon_code_windows,
        e.coupon_code_counts
    FROM lcm.enterprise_eligibility AS e
    WHERE e.enterprise_customer_uuid = page_eligibility.enterprise;
END
$$
"""

OLD_PAGE_BUDGETS = """
CREATE FUNCTION lcm.page_budgets(enterprise uuid)
RETURNS SETOF lcm.budget
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT b.*
    FROM lcm.budget AS b
    WHERE b.enterprise_customer_uuid = page_budgets.enterprise AND b.active IS TRUE;
END
$$
"""

OLD_PAGE_OFFER_SPEND = """
CREATE FUNCTION lcm.page_offer_spend(enterprise uuid, window_days integer)
RETURNS TABLE (offer_id bigint, net_spent numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT
        d.offer_id,
        sum(d.amount_spent - d.amount_refunded)
    FROM lcm.offer_utilization_daily AS d
    WHERE
        d.enterprise_customer_uuid = page_offer_spend.enterprise
        AND d.day >= date(
            timezone('UTC', (SELECT a.data_as_of FROM lcm.page_data_as_of(page_offer_spend.enterprise) AS a))
        ) - page_offer_spend.window_days + 1
    GROUP BY d.offer_id;
END
$$
"""

OLD_PAGE_BUDGET_SPEND = """
CREATE FUNCTION lcm.page_budget_spend(enterprise uuid, window_days integer)
RETURNS TABLE (policy_uuid uuid, net_spent_cents numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT
        d.policy_uuid,
        sum(d.spent_cents - d.refunded_cents)
    FROM lcm.budget_utilization_daily AS d
    WHERE
        d.enterprise_customer_uuid = page_budget_spend.enterprise
        AND d.day >= date(
            timezone('UTC', (SELECT a.data_as_of FROM lcm.page_data_as_of(page_budget_spend.enterprise) AS a))
        ) - page_budget_spend.window_days + 1
    GROUP BY d.policy_uuid;
END
$$
"""

OLD_FUNCTIONS = (
    (
        "lcm.page_offers(uuid)",
        OLD_PAGE_OFFERS,
        "The page''s offer rows of one enterprise (lcm.offer_summary), as the invoker may read them.",
    ),
    (
        "lcm.page_eligibility(uuid)",
        OLD_PAGE_ELIGIBILITY,
        "The page''s stored eligibility row of one enterprise (lcm.enterprise_eligibility).",
    ),
    (
        "lcm.page_budgets(uuid)",
        OLD_PAGE_BUDGETS,
        "The page''s active budgets of one enterprise (lcm.budget).",
    ),
    (
        "lcm.page_offer_spend(uuid, integer)",
        OLD_PAGE_OFFER_SPEND,
        "Net spend per offer over the window_days UTC days ending with the enterprise''s data_as_of (the depletion forecast).",
    ),
    (
        "lcm.page_budget_spend(uuid, integer)",
        OLD_PAGE_BUDGET_SPEND,
        "Net spend in cents per budget over the window_days UTC days ending with the enterprise''s data_as_of (the depletion forecast).",
    ),
)


def _create_functions(functions: tuple[tuple[str, str, str], ...]) -> None:
    for signature, create, comment in functions:
        op.execute(create)
        op.execute(f"COMMENT ON FUNCTION {signature} IS '{comment}'")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        for role in EXECUTORS:
            op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def upgrade() -> None:
    for signature, _create, _comment in OLD_FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    _create_functions(FUNCTIONS)


def downgrade() -> None:
    for signature, _create, _comment in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    _create_functions(OLD_FUNCTIONS)
