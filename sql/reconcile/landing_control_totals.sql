-- Landed counterpart of the source's control totals, per enterprise key as the source stores it
-- (32-hex condition uuid): Σ amounts and count of landed discounts of Complete orders of Site
-- offers. A full ingest compares this with the same query run by the source in the snapshot it
-- extracted; any difference means rows were lost or altered on the way.
SELECT
    c.enterprise_customer_uuid AS enterprise_key,
    sum(d.amount) AS discount_amount,
    count(*) AS discount_count
FROM lcm_raw.ecommerce_orderdiscount AS d
JOIN lcm_raw.ecommerce_order AS r ON r.id = d.order_id
JOIN lcm_raw.ecommerce_conditionaloffer AS o ON o.id = d.offer_id
JOIN lcm_raw.ecommerce_condition AS c ON c.id = o.condition_id
WHERE r.status = 'Complete'
    AND o.offer_type = 'Site'
    AND c.enterprise_customer_uuid IS NOT NULL
    AND d.amount IS NOT NULL
GROUP BY c.enterprise_customer_uuid
