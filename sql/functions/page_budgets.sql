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
$$;
