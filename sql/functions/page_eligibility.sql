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
$$;
