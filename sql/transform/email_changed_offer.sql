-- Offers of the enterprises whose email visibility (the data-sharing consent policy) changed
-- since the last publish (few, usually none): their learners' emails must be recomputed.
-- Materialized as the temporary table email_changed_offer so that its size is known when
-- scope_order_incremental.sql joins the discounts to it.
SELECT o.offer_id
FROM email_policy AS p
LEFT JOIN lcm.enterprise_eligibility AS e ON e.enterprise_customer_uuid = p.enterprise_customer_uuid
JOIN lc_offer AS o ON o.enterprise_customer_uuid = p.enterprise_customer_uuid
WHERE e.email_visibility IS DISTINCT FROM p.email_visibility
