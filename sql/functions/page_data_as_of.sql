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
$$;
