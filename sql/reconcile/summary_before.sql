-- Per enterprise, the spend the summaries of the offers in scope_offer showed before this
-- publish rewrote them (the "before" of the incremental reconciliation).
SELECT s.enterprise_customer_uuid, sum(s.amount_spent) AS gross, sum(s.amount_refunded) AS refunded
FROM lcm.offer_summary AS s
JOIN scope_offer AS o ON o.offer_id = s.offer_id
GROUP BY s.enterprise_customer_uuid
