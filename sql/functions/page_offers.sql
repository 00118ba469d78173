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
$$;
