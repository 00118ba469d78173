-- Offers whose summary and daily utilization must be recomputed: those with changed landed
-- rows (offer, condition, benefit) since :since_run, those with redemptions among the orders in
-- scope_order (before or after this publish), and summarized offers that are no longer valid.
SELECT offer_id FROM lc_offer WHERE landed_run_id > :since_run
UNION
SELECT d.offer_id FROM scoped_discount AS d WHERE d.offer_id IS NOT NULL
UNION
SELECT r.offer_id
FROM lcm.offer_redemption AS r
JOIN scope_order AS s ON s.order_id = r.order_id
UNION
SELECT s.offer_id
FROM lcm.offer_summary AS s
LEFT JOIN lc_offer AS o ON o.offer_id = s.offer_id
WHERE o.offer_id IS NULL OR o.reject_reason IS NOT NULL
