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
$$;
