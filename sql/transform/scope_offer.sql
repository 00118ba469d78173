-- Offers whose summary must be recomputed, each with the first day whose daily-utilization row
-- may change (start_day: '-infinity' = every day; NULL = the summary only):
--   * offers with changed landed rows (offer, condition, benefit) since :since_run — from the
--     first day when the cap changed (every day's remaining balance moves), otherwise the summary
--     only — and offers that became or stopped being valid (every day);
--   * offers whose redemptions among the orders in scope_order differ between the read model
--     (before this publish) and new_offer_redemption: from the earliest day a changed amount or
--     enrollment date touches, or from the refund day when only the refund changed.
-- (sqlfluff 4.5 cannot parse IS DISTINCT FROM as a CASE condition; the query is checked by
-- running it, in the tests.)
-- noqa: disable=PRS,RF01,AM07
SELECT offer_id, min(start_day) AS start_day
FROM (
    -- ecommerce bumps an offer's counters (total_discount…) on every redemption: only a new cap
    -- changes the remaining balance of every day.
    SELECT
        o.offer_id,
        CASE
            WHEN CAST(:full AS boolean) OR o.max_discount IS DISTINCT FROM s.max_discount
                THEN '-infinity'::date
        END AS start_day
    FROM lc_offer AS o
    LEFT JOIN lcm.offer_summary AS s ON s.offer_id = o.offer_id
    WHERE o.landed_run_id > :since_run
    UNION ALL
    SELECT offer_id, '-infinity'::date
    FROM changed_offer
    UNION ALL
    SELECT
        coalesce(n.offer_id, o.offer_id),
        CASE
            WHEN n.order_line_id IS NULL
                OR o.order_line_id IS NULL
                OR n.offer_id IS DISTINCT FROM o.offer_id
                OR n.amount IS DISTINCT FROM o.amount
                OR n.enrollment_date IS DISTINCT FROM o.enrollment_date
                THEN least(
                    n.enrollment_date, o.enrollment_date,
                    (n.refunded_at AT TIME ZONE 'UTC')::date, (o.refunded_at AT TIME ZONE 'UTC')::date
                )
            WHEN n.amount_refunded IS DISTINCT FROM o.amount_refunded
                OR n.refunded_at IS DISTINCT FROM o.refunded_at
                THEN least(
                    (n.refunded_at AT TIME ZONE 'UTC')::date, (o.refunded_at AT TIME ZONE 'UTC')::date
                )
        END
    FROM old_redemption AS o
    FULL JOIN new_offer_redemption AS n
        ON n.order_discount_id = o.order_discount_id AND n.order_line_id = o.order_line_id
    WHERE NOT CAST(:full AS boolean)
        AND (
            n.offer_id, n.amount, n.amount_refunded, n.is_refunded, n.refunded_at,
            n.enrollment_date, n.redeemed_at, n.lms_user_id, n.ecommerce_user_id,
            n.course_list_price, n.amount_learner_paid
        ) IS DISTINCT FROM (
            o.offer_id, o.amount, o.amount_refunded, o.is_refunded, o.refunded_at,
            o.enrollment_date, o.redeemed_at, o.lms_user_id, o.ecommerce_user_id,
            o.course_list_price, o.amount_learner_paid
        )
) AS touched
GROUP BY offer_id
-- noqa: enable=PRS,RF01,AM07
