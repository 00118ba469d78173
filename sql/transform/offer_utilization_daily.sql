-- lcm.offer_utilization_daily: one row per offer in scope_offer per UTC day with spend or refund
-- activity — spent and refunded that day, cumulative net spend at the end of the day, and the
-- balance remaining then (NULL for an uncapped offer). Days without activity are omitted.
WITH activity AS (
    SELECT r.offer_id, r.enrollment_date AS day, r.amount AS spent, 0::numeric AS refunded
    FROM lcm.offer_redemption AS r
    JOIN scope_offer AS s ON s.offer_id = r.offer_id
    UNION ALL
    SELECT r.offer_id, (r.refunded_at AT TIME ZONE 'UTC')::date, 0, r.amount_refunded
    FROM lcm.offer_redemption AS r
    JOIN scope_offer AS s ON s.offer_id = r.offer_id
    WHERE r.amount_refunded > 0 AND r.refunded_at IS NOT NULL
),

daily AS (
    SELECT offer_id, day, sum(spent) AS amount_spent, sum(refunded) AS amount_refunded
    FROM activity
    GROUP BY offer_id, day
)

SELECT
    daily.offer_id,
    daily.day,
    o.enterprise_customer_uuid,
    daily.amount_spent,
    daily.amount_refunded,
    sum(daily.amount_spent - daily.amount_refunded)
        OVER (PARTITION BY daily.offer_id ORDER BY daily.day) AS cumulative_net_spent,
    o.max_discount - sum(daily.amount_spent - daily.amount_refunded)
        OVER (PARTITION BY daily.offer_id ORDER BY daily.day) AS remaining_balance
FROM daily
JOIN lc_offer AS o ON o.offer_id = daily.offer_id
WHERE o.reject_reason IS NULL
