-- Enterprises (as the source stores their key) with a landed discount whose order was rejected
-- at landing as unreadable: their landed totals may legitimately fall short of the source's.
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
