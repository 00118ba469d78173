-- The enterprises a publish reconciles: all of them after a full publish, otherwise those of the
-- offers and discounts in scope.
SELECT enterprise_customer_uuid
FROM lc_offer
WHERE enterprise_customer_uuid IS NOT NULL
    AND (CAST(:full AS boolean) OR offer_id IN (SELECT offer_id FROM scope_offer))
UNION
SELECT enterprise_customer_uuid
FROM scoped_discount
WHERE enterprise_customer_uuid IS NOT NULL
UNION
SELECT enterprise_customer_uuid
FROM lcm.offer_summary
WHERE CAST(:full AS boolean)
