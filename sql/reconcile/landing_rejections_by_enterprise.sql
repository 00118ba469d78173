-- Enterprises (as the source stores their key) whose landed totals may legitimately fall short of
-- the source's because a row was rejected at landing as unreadable: a landed discount whose order
-- was rejected, an offer rejected (its condition names the enterprise), or a condition rejected
-- (its payload names it).
SELECT DISTINCT c.enterprise_customer_uuid
FROM lcm_raw.rejected_record AS rr
JOIN lcm_raw.ecommerce_orderdiscount AS d ON d.order_id::text = rr.natural_key
JOIN lcm_raw.ecommerce_conditionaloffer AS o ON o.id = d.offer_id
JOIN lcm_raw.ecommerce_condition AS c ON c.id = o.condition_id
WHERE rr.source = 'ecommerce'
    AND rr.source_table = 'order_order'
    AND rr.stage = 'landing'
    AND rr.resolved_at IS NULL
    AND c.enterprise_customer_uuid IS NOT NULL
UNION
SELECT c.enterprise_customer_uuid
FROM lcm_raw.rejected_record AS rr
JOIN lcm_raw.ecommerce_condition AS c ON c.id::text = rr.payload ->> 'condition_id'
WHERE rr.source = 'ecommerce'
    AND rr.source_table = 'offer_conditionaloffer'
    AND rr.stage = 'landing'
    AND rr.resolved_at IS NULL
    AND c.enterprise_customer_uuid IS NOT NULL
UNION
SELECT rr.payload ->> 'enterprise_customer_uuid'
FROM lcm_raw.rejected_record AS rr
WHERE rr.source = 'ecommerce'
    AND rr.source_table = 'offer_condition'
    AND rr.stage = 'landing'
    AND rr.resolved_at IS NULL
    AND rr.payload ->> 'enterprise_customer_uuid' IS NOT NULL
