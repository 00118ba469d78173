-- lcm.enrollment_search_term from every row of lcm.offer_redemption, in one statement: the bulk
-- load of a first full publish, which inserts the redemptions with the term triggers disabled
-- (both tables empty). The terms of a redemption come from lcm.enrollment_search_terms_of, the
-- rule the triggers count with (migration 0014), so this gives the rows the triggers would have.
INSERT INTO lcm.enrollment_search_term (
    enterprise_customer_uuid, field, term, offer_id, folded, redemptions, priced_redemptions
)
SELECT
    r.enterprise_customer_uuid,
    s.field,
    s.term,
    r.offer_id,
    s.folded,
    count(*) AS redemptions,
    sum(s.priced) AS priced_redemptions
FROM lcm.offer_redemption AS r
CROSS JOIN LATERAL lcm.enrollment_search_terms_of(r) AS s
GROUP BY r.enterprise_customer_uuid, s.field, s.term, r.offer_id, s.folded
