-- lcm.offer_utilization_daily: one row per offer in scope_offer per UTC day with spend or refund
-- activity, from the offer's start_day on — spent and refunded that day, cumulative net spend at
-- the end of the day, and the balance remaining then (NULL for an uncapped offer). Days without
-- activity are omitted. Days before start_day did not change: their last cumulative value is
-- carried into the recomputed range, so an incremental publish rewrites only the recent days.
WITH activity AS (
    SELECT r.offer_id, r.enrollment_date AS day, r.amount AS spent, 0::numeric AS refunded
    FROM lcm.offer_redemption AS r
    JOIN scope_offer AS s ON s.offer_id = r.offer_id AND r.enrollment_date >= s.start_day
    UNION ALL
    -- Each offer's refunds from its start_day on, through the partial refund-day index (one
    -- range per offer in scope, not every refunded redemption of every offer; OFFSET 0 keeps
    -- the planner from flattening the lateral subquery back into a join).
    SELECT s.offer_id, refund.day, 0, refund.amount_refunded
    FROM scope_offer AS s
    CROSS JOIN LATERAL (
        SELECT (r.refunded_at AT TIME ZONE 'UTC')::date AS day, r.amount_refunded
        FROM lcm.offer_redemption AS r
        WHERE r.offer_id = s.offer_id
            AND r.amount_refunded > 0
            AND r.refunded_at IS NOT NULL
            AND (r.refunded_at AT TIME ZONE 'UTC')::date >= s.start_day
        OFFSET 0  -- noqa: AM09
    ) AS refund
),

daily AS (
    SELECT offer_id, day, sum(spent) AS amount_spent, sum(refunded) AS amount_refunded
    FROM activity
    GROUP BY offer_id, day
),

carried AS (
    -- The last day before start_day: one backward step in the primary key per offer, not the
    -- offer's whole history sorted.
    SELECT s.offer_id, last_day.cumulative_net_spent
    FROM scope_offer AS s
    CROSS JOIN LATERAL (
        SELECT d.cumulative_net_spent
        FROM lcm.offer_utilization_daily AS d
        WHERE d.offer_id = s.offer_id AND d.day < s.start_day
        ORDER BY d.day DESC
        LIMIT 1
    ) AS last_day
),

running AS (
    SELECT
        daily.*,
        coalesce(carried.cumulative_net_spent, 0)
        + sum(daily.amount_spent - daily.amount_refunded)
            OVER (PARTITION BY daily.offer_id ORDER BY daily.day) AS cumulative_net_spent
    FROM daily
    LEFT JOIN carried ON carried.offer_id = daily.offer_id
)

SELECT
    running.offer_id,
    running.day,
    o.enterprise_customer_uuid,
    running.amount_spent,
    running.amount_refunded,
    running.cumulative_net_spent,
    o.max_discount - running.cumulative_net_spent AS remaining_balance
FROM running
JOIN lc_offer AS o ON o.offer_id = running.offer_id
WHERE o.reject_reason IS NULL
