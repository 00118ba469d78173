CREATE FUNCTION lcm.enrollment_search_terms(field text, needle text)
RETURNS TABLE (term text, offer_id bigint, redemptions bigint, priced_redemptions bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Contains needle, case-insensitively and literally: LIKE's wildcards and escape escaped.
    pattern text := '%' || replace(replace(replace(lower(needle), '\', '\\'), '%', '\%'), '_', '\_') || '%';
    -- The transaction's tenant, the one row-level security is keyed by; none: no term.
    tenant uuid := NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid;
BEGIN
    -- One static query per field (the trigram index is partial on the field's literal), each
    -- planned once per session.
    IF field = 'user_email' THEN
        RETURN QUERY
        SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
        FROM lcm.enrollment_search_term AS t
        WHERE t.enterprise_customer_uuid = tenant AND t.field = 'user_email' AND t.folded LIKE pattern;
    ELSIF field = 'course_title' THEN
        RETURN QUERY
        SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
        FROM lcm.enrollment_search_term AS t
        WHERE t.enterprise_customer_uuid = tenant AND t.field = 'course_title' AND t.folded LIKE pattern;
    ELSIF field = 'all' THEN
        -- Every redemption, per offer (term ''): the count of an unsearched page. No needle.
        RETURN QUERY
        SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
        FROM lcm.enrollment_search_term AS t
        WHERE t.enterprise_customer_uuid = tenant AND t.field = 'all';
    END IF;
END
$$;
