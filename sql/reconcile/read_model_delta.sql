-- Reconciliation of an incremental publish, per enterprise it touched: what it recomputed must
-- add up, without re-reading the enterprise's whole history (a full publish checks everything,
-- with read_model.sql).
--   1. the landed discounts of Complete orders of the orders in scope, minus those rejected, equal
--      the gross spend of their new redemptions;
--   2. the summaries moved by exactly what the redemptions moved: Σ summary gross (and refunded)
--      after − before = Σ new − Σ old redemption gross (and refunded) — a redemption of an offer
--      left out of scope, or a stale row kept by the merge, breaks this;
--   3. every summary in scope has net = gross − refunded.
-- Returns one row per enterprise that breaks any of these (none when the publish is sound).
WITH landed AS (
    SELECT d.enterprise_customer_uuid, sum(d.amount) AS amount
    FROM scoped_discount AS d
    WHERE d.is_spend AND d.amount IS NOT NULL AND d.enterprise_customer_uuid IS NOT NULL
    GROUP BY d.enterprise_customer_uuid
),

rejected AS (
    SELECT n.enterprise_customer_uuid, sum(n.amount) AS amount
    FROM new_rejection AS n
    WHERE n.source_table = 'order_orderdiscount'
        AND n.amount IS NOT NULL
        AND n.enterprise_customer_uuid IS NOT NULL
    GROUP BY n.enterprise_customer_uuid
),

redeemed_new AS (
    SELECT enterprise_customer_uuid, sum(amount) AS gross, sum(amount_refunded) AS refunded
    FROM new_offer_redemption
    GROUP BY enterprise_customer_uuid
),

redeemed_old AS (
    SELECT enterprise_customer_uuid, sum(amount) AS gross, sum(amount_refunded) AS refunded
    FROM old_redemption
    GROUP BY enterprise_customer_uuid
),

summary_after AS (
    SELECT s.enterprise_customer_uuid, sum(s.amount_spent) AS gross, sum(s.amount_refunded) AS refunded
    FROM lcm.offer_summary AS s
    JOIN scope_offer AS o ON o.offer_id = s.offer_id
    GROUP BY s.enterprise_customer_uuid
),

unbalanced AS (
    SELECT DISTINCT s.enterprise_customer_uuid
    FROM lcm.offer_summary AS s
    JOIN scope_offer AS o ON o.offer_id = s.offer_id
    WHERE s.amount_of_offer_spent <> s.amount_spent - s.amount_refunded
),

enterprises AS (
    SELECT enterprise_customer_uuid FROM landed
    UNION SELECT enterprise_customer_uuid FROM redeemed_new
    UNION SELECT enterprise_customer_uuid FROM redeemed_old
    UNION SELECT enterprise_customer_uuid FROM summary_after
    UNION SELECT enterprise_customer_uuid FROM summary_before
),

compared AS (
    SELECT
        e.enterprise_customer_uuid,
        coalesce(landed.amount, 0) AS landed_spend,
        coalesce(rejected.amount, 0) AS rejected_spend,
        coalesce(redeemed_new.gross, 0) AS redeemed_gross,
        coalesce(redeemed_new.refunded, 0) AS redeemed_refunded,
        coalesce(summary_after.gross, 0) - coalesce(summary_before.gross, 0) AS summary_gross,
        coalesce(summary_after.refunded, 0) - coalesce(summary_before.refunded, 0)
            AS summary_refunded,
        coalesce(redeemed_new.gross, 0) - coalesce(redeemed_old.gross, 0) AS moved_gross,
        coalesce(redeemed_new.refunded, 0) - coalesce(redeemed_old.refunded, 0) AS moved_refunded,
        unbalanced.enterprise_customer_uuid IS NOT NULL AS unbalanced
    FROM enterprises AS e
    LEFT JOIN landed ON landed.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN rejected ON rejected.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN redeemed_new ON redeemed_new.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN redeemed_old ON redeemed_old.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN summary_after ON summary_after.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN summary_before ON summary_before.enterprise_customer_uuid = e.enterprise_customer_uuid
    LEFT JOIN unbalanced ON unbalanced.enterprise_customer_uuid = e.enterprise_customer_uuid
)

SELECT
    enterprise_customer_uuid,
    landed_spend,
    rejected_spend,
    redeemed_gross,
    redeemed_refunded,
    summary_gross,
    summary_refunded,
    summary_gross - summary_refunded AS summary_net
FROM compared
WHERE landed_spend - rejected_spend <> redeemed_gross
    OR summary_gross <> moved_gross
    OR summary_refunded <> moved_refunded
    OR unbalanced
ORDER BY enterprise_customer_uuid
