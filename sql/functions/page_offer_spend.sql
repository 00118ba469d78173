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
$$;
