"""The learner-credit page's six SELECTs as PL/pgSQL functions, so PostgreSQL plans them once per
session instead of on every request (issue 12; docs/serving.md, "The page request").

The API sends the page as one simple-query script (BEGIN; the tenant settings; the SELECTs;
COMMIT), which PostgreSQL cannot prepare: it parsed and planned the six SELECTs on every request,
1.5-2.5 ms of the backend's CPU against 0.6-0.8 ms for the same statements prepared. A PL/pgSQL
function's static ``RETURN QUERY`` is planned once per session and its plan kept; the script then
calls ``SELECT * FROM lcm.page_offers('<uuid>')``, which is trivial to plan.

The functions are ``SECURITY INVOKER``: they read as the caller, ``lcm_portal`` in the tenant
transaction, so row-level security applies exactly as it did to the SELECTs (another enterprise's
uuid gives nothing). STABLE; result columns pinned to the tables' types. Only ``lcm_portal``
(and the owner) may execute them. The text is ``sql/functions/<name>.sql``, inlined (frozen).

Revision ID: 0016
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PORTAL = "lcm_portal"

PAGE_OFFERS = """
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

PAGE_ELIGIBILITY = """
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

PAGE_DATA_AS_OF = """
CREATE FUNCTION lcm.page_data_as_of(enterprise uuid)
RETURNS TABLE (data_as_of timestamptz)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    SELECT
        greatest(
            (
                SELECT max(s.data_as_of)
                FROM lcm.offer_summary AS s
                WHERE s.enterprise_customer_uuid = page_data_as_of.enterprise
            ),
            (
                SELECT max(r.data_as_of)
                FROM lcm.pipeline_run AS r
                WHERE
                    r.stage = 'publish'
                    AND r.status = 'succeeded'
                    AND (
                        r.mode != 'targeted'
                        OR page_data_as_of.enterprise = any(r.enterprise_uuids)
                    )
            )
        );
END
$$
"""

PAGE_BUDGETS = """
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

PAGE_OFFER_SPEND = """
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

PAGE_BUDGET_SPEND = """
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

FUNCTIONS = (
    (
        "lcm.page_offers(uuid)",
        PAGE_OFFERS,
        "The page''s offer rows of one enterprise (lcm.offer_summary), as the invoker may read them.",
    ),
    (
        "lcm.page_eligibility(uuid)",
        PAGE_ELIGIBILITY,
        "The page''s stored eligibility row of one enterprise (lcm.enterprise_eligibility).",
    ),
    (
        "lcm.page_data_as_of(uuid)",
        PAGE_DATA_AS_OF,
        "How fresh one enterprise''s read model is: its offers'' data_as_of or the last publish that covered it.",
    ),
    (
        "lcm.page_budgets(uuid)",
        PAGE_BUDGETS,
        "The page''s active budgets of one enterprise (lcm.budget).",
    ),
    (
        "lcm.page_offer_spend(uuid, integer)",
        PAGE_OFFER_SPEND,
        "Net spend per offer over the window_days UTC days ending with the enterprise''s data_as_of (the depletion forecast).",
    ),
    (
        "lcm.page_budget_spend(uuid, integer)",
        PAGE_BUDGET_SPEND,
        "Net spend in cents per budget over the window_days UTC days ending with the enterprise''s data_as_of (the depletion forecast).",
    ),
)


def upgrade() -> None:
    for signature, create, comment in FUNCTIONS:
        op.execute(create)
        op.execute(f"COMMENT ON FUNCTION {signature} IS '{comment}'")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {PORTAL}")


def downgrade() -> None:
    # The spend functions call lcm.page_data_as_of: drop in reverse order.
    for signature, _create, _comment in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
