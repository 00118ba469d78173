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
$$;
