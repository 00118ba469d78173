-- The read model's redemptions of the orders in scope_order as they were before this publish
-- (incremental publishes only: a full publish replaces everything and needs no "before").
SELECT r.*
FROM lcm.offer_redemption AS r
JOIN scope_order AS s ON s.order_id = r.order_id
WHERE NOT CAST(:full AS boolean)
