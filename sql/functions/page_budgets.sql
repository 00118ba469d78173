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
$$;
