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
$$;
