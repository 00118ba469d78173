-- Offers whose validity or enterprise changed since the last publish (few, usually none):
-- every redemption of theirs must be recomputed. Materialized as the temporary table
-- changed_offer so that its (tiny) size is known when scope_order_incremental.sql joins it.
SELECT coalesce(o.offer_id, s.offer_id) AS offer_id
FROM lc_offer AS o
FULL JOIN lcm.offer_summary AS s ON s.offer_id = o.offer_id
WHERE (o.reject_reason IS NULL AND o.offer_id IS NOT NULL) IS DISTINCT FROM (s.offer_id IS NOT NULL)
    OR o.enterprise_customer_uuid IS DISTINCT FROM s.enterprise_customer_uuid
