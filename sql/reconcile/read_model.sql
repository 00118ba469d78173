-- Reconciliation of the read model, per enterprise in scope_enterprise: the landed discounts of
-- Complete orders, minus those rejected, must equal the gross spend in lcm.offer_redemption; the
-- summaries must add up to the redemptions; and net = gross − refunded. Returns one row per
-- enterprise that breaks any of these (none when the publish is sound).
WITH landed AS (
    SELECT o.enterprise_customer_uuid, sum(d.amount) AS amount
    FROM lcm_raw.ecommerce_orderdiscount AS d
    JOIN lcm_raw.ecommerce_order AS r ON r.id = d.order_id AND r.status = 'Complete'
    JOIN lc_offer AS o ON o.offer_id = d.offer_id
    JOIN scope_enterprise AS e ON e.enterprise_customer_uuid = o.enterprise_customer_uuid
    WHERE d.amount IS NOT NULL
    GROUP BY o.enterprise_customer_uuid
),

rejected AS (
    SELECT rr.enterprise_customer_uuid, sum(rr.amount) AS amount
    FROM lcm_raw.rejected_record AS rr
    JOIN scope_enterprise AS e ON e.enterprise_customer_uuid = rr.enterprise_customer_uuid
    WHERE rr.source = 'ecommerce'
        AND rr.source_table = 'order_orderdiscount'
        AND rr.resolved_at IS NULL
        AND rr.amount IS NOT NULL
    GROUP BY rr.enterprise_customer_uuid
),

redeemed AS (
    SELECT r.enterprise_customer_uuid, sum(r.amount) AS gross, sum(r.amount_refunded) AS refunded
    FROM lcm.offer_redemption AS r
    JOIN scope_enterprise AS e ON e.enterprise_customer_uuid = r.enterprise_customer_uuid
    GROUP BY r.enterprise_customer_uuid
),

summarized AS (
    SELECT
        s.enterprise_customer_uuid,
        sum(s.amount_spent) AS gross,
        sum(s.amount_refunded) AS refunded,
        sum(s.amount_of_offer_spent) AS net
    FROM lcm.offer_summary AS s
    JOIN scope_enterprise AS e ON e.enterprise_customer_uuid = s.enterprise_customer_uuid
    GROUP BY s.enterprise_customer_uuid
),

compared AS (
    SELECT
        e.enterprise_customer_uuid,
        coalesce(landed.amount, 0) AS landed_spend,
        coalesce(rejected.amount, 0) AS rejected_spend,
        coalesce(redeemed.gross, 0) AS redeemed_gross,
        coalesce(redeemed.refunded, 0) AS redeemed_refunded,
        coalesce(summarized.gross, 0) AS summary_gross,
        coalesce(summarized.refunded, 0) AS summary_refunded,
        coalesce(summarized.net, 0) AS summary_net
    FROM scope_enterprise AS e
    LEFT JOIN landed ON landed.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN rejected ON rejected.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN redeemed ON redeemed.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN summarized ON summarized.enterprise_customer_uuid = e.enterprise_customer_uuid
)

SELECT *
FROM compared
WHERE landed_spend - rejected_spend <> redeemed_gross
    OR summary_gross <> redeemed_gross
    OR summary_refunded <> redeemed_refunded
    OR summary_net <> summary_gross - summary_refunded
ORDER BY enterprise_customer_uuid
