-- lcm.offer_summary: one row per valid learner-credit offer in scope_offer — its ecommerce
-- attributes, what it spent (gross, refunded, net, from lcm.offer_redemption), its balance raw and
-- as the admin portal shows it (clamped), its balance state, and the drift from ecommerce's own
-- total_discount counter.
--   :full                  — aggregate every redemption of the offers in scope (a full publish);
--                            otherwise the offer's previous totals are moved by the difference
--                            between its old (old_redemption) and new (new_offer_redemption)
--                            redemptions, so the cost follows the change, not the offer's history
--   :low_balance_fraction, :no_balance_amount — the thresholds of lcm.balance_state (migration
--                            0006): low above the fraction of the cap, depleted at or below the
--                            amount remaining
--   :data_as_of            — when the landed source data was read
-- A learner is an LMS user id, or for the few orders without one, the (negated) ecommerce user id.
WITH aggregated AS (
    SELECT
        r.offer_id,
        sum(r.amount) AS amount_spent,
        sum(r.amount_refunded) AS amount_refunded,
        count(*) FILTER (WHERE NOT r.is_refunded) AS enrollment_count,
        count(DISTINCT coalesce(r.lms_user_id, -r.ecommerce_user_id))
            FILTER (WHERE NOT r.is_refunded) AS learner_count,
        coalesce(sum(r.course_list_price) FILTER (WHERE NOT r.is_refunded), 0) AS sum_course_price,
        coalesce(sum(r.amount_learner_paid) FILTER (WHERE NOT r.is_refunded), 0)
            AS sum_amount_learner_paid
    FROM lcm.offer_redemption AS r
    JOIN scope_offer AS s ON s.offer_id = r.offer_id
    WHERE CAST(:full AS boolean)
    GROUP BY r.offer_id
),

changed_rows AS (
    SELECT 1 AS sign, n.* FROM new_offer_redemption AS n WHERE NOT CAST(:full AS boolean)
    UNION ALL
    SELECT -1, o.* FROM old_redemption AS o WHERE NOT CAST(:full AS boolean)
),

moved AS (
    SELECT
        offer_id,
        sum(sign * amount) AS amount_spent,
        sum(sign * amount_refunded) AS amount_refunded,
        coalesce(sum(sign) FILTER (WHERE NOT is_refunded), 0) AS enrollment_count,
        coalesce(sum(sign * course_list_price) FILTER (WHERE NOT is_refunded), 0)
            AS sum_course_price,
        coalesce(sum(sign * amount_learner_paid) FILTER (WHERE NOT is_refunded), 0)
            AS sum_amount_learner_paid
    FROM changed_rows
    GROUP BY offer_id
),

touched_learner AS (
    -- Each learner the change touched, and whether they had a live (not refunded) redemption of
    -- the offer among the changed rows before and after.
    SELECT
        offer_id,
        coalesce(lms_user_id, -ecommerce_user_id) AS learner,
        coalesce(bool_or(NOT is_refunded) FILTER (WHERE sign = 1), FALSE) AS live_after,
        coalesce(bool_or(NOT is_refunded) FILTER (WHERE sign = -1), FALSE) AS live_before
    FROM changed_rows
    WHERE coalesce(lms_user_id, -ecommerce_user_id) IS NOT NULL
    GROUP BY offer_id, coalesce(lms_user_id, -ecommerce_user_id)
),

learner_moved AS (
    -- A learner counts while they have a live redemption of the offer: in after, minus in
    -- before; their rows outside the change ("kept", found through the (offer, learner) index)
    -- count for both.
    SELECT
        t.offer_id,
        sum((kept.live OR t.live_after)::int - (kept.live OR t.live_before)::int) AS learner_count
    FROM touched_learner AS t
    CROSS JOIN LATERAL (
        SELECT EXISTS (
            SELECT 1
            FROM lcm.offer_redemption AS r
            WHERE r.offer_id = t.offer_id
                AND coalesce(r.lms_user_id, -r.ecommerce_user_id) = t.learner
                AND NOT r.is_refunded
                AND NOT EXISTS (SELECT 1 FROM scope_order AS so WHERE so.order_id = r.order_id)
        ) AS live
    ) AS kept
    GROUP BY t.offer_id
),

delta AS (
    SELECT
        s.offer_id,
        coalesce(p.amount_spent, 0) + coalesce(m.amount_spent, 0) AS amount_spent,
        coalesce(p.amount_refunded, 0) + coalesce(m.amount_refunded, 0) AS amount_refunded,
        coalesce(p.enrollment_count, 0) + coalesce(m.enrollment_count, 0) AS enrollment_count,
        coalesce(p.learner_count, 0) + coalesce(lm.learner_count, 0) AS learner_count,
        coalesce(p.sum_course_price, 0) + coalesce(m.sum_course_price, 0) AS sum_course_price,
        coalesce(p.sum_amount_learner_paid, 0) + coalesce(m.sum_amount_learner_paid, 0)
            AS sum_amount_learner_paid
    FROM scope_offer AS s
    LEFT JOIN lcm.offer_summary AS p ON p.offer_id = s.offer_id
    LEFT JOIN moved AS m ON m.offer_id = s.offer_id
    LEFT JOIN learner_moved AS lm ON lm.offer_id = s.offer_id
    WHERE NOT CAST(:full AS boolean)
),

spend AS (
    SELECT * FROM aggregated
    UNION ALL
    SELECT * FROM delta
),

spend_times AS (
    -- First and last spend through the (offer_id, enrollment_date) index: the earliest (latest)
    -- redemption lies on the offer's earliest (latest) enrollment day.
    SELECT
        s.offer_id,
        (
            SELECT min(r.redeemed_at)
            FROM lcm.offer_redemption AS r
            WHERE r.offer_id = s.offer_id
                AND r.enrollment_date = (
                    SELECT min(x.enrollment_date)
                    FROM lcm.offer_redemption AS x
                    WHERE x.offer_id = s.offer_id
                )
        ) AS first_spend_at,
        (
            SELECT max(r.redeemed_at)
            FROM lcm.offer_redemption AS r
            WHERE r.offer_id = s.offer_id
                AND r.enrollment_date = (
                    SELECT max(x.enrollment_date)
                    FROM lcm.offer_redemption AS x
                    WHERE x.offer_id = s.offer_id
                )
        ) AS last_spend_at
    FROM scope_offer AS s
),

totals AS (
    SELECT
        o.*,
        coalesce(spend.amount_spent, 0) AS amount_spent,
        coalesce(spend.amount_refunded, 0) AS amount_refunded,
        coalesce(spend.amount_spent, 0) - coalesce(spend.amount_refunded, 0) AS net_spent,
        coalesce(spend.enrollment_count, 0) AS enrollment_count,
        coalesce(spend.learner_count, 0) AS learner_count,
        coalesce(spend.sum_course_price, 0) AS sum_course_price,
        coalesce(spend.sum_amount_learner_paid, 0) AS sum_amount_learner_paid,
        spend_times.first_spend_at,
        spend_times.last_spend_at
    FROM lc_offer AS o
    JOIN scope_offer AS s ON s.offer_id = o.offer_id
    LEFT JOIN spend ON spend.offer_id = o.offer_id
    LEFT JOIN spend_times ON spend_times.offer_id = o.offer_id
    WHERE o.reject_reason IS NULL
),

balance AS (
    SELECT
        totals.*,
        max_discount - net_spent AS remaining_balance,
        -- A fraction (0.75 = 75 %), like the analytics API's; rounded to 6 places for reading.
        -- The balance state compares amounts, never this rounded value.
        CASE WHEN max_discount > 0 THEN round(net_spent / max_discount, 6) END
            AS percent_of_offer_spent
    FROM totals
)

SELECT
    offer_id,
    enterprise_customer_uuid,
    enterprise_name,
    display_name,
    offer_name,
    offer_type,
    status,
    start_datetime,
    end_datetime,
    date_created,
    usage_type,
    discount_value,
    max_discount,
    max_user_discount,
    max_user_applications,
    max_global_applications,
    enterprise_catalog_uuid,
    emails_for_usage_alert,
    amount_spent,
    amount_refunded,
    net_spent AS amount_of_offer_spent,
    remaining_balance,
    percent_of_offer_spent,
    -- The admin portal's clamps (transformOfferSummary): never more than the cap, never below $0,
    -- never over 100 %. (Postgres' greatest/least skip NULLs, hence the explicit NULL cases: an
    -- uncapped offer has neither a remaining balance nor a percentage.)
    CASE WHEN max_discount IS NULL THEN net_spent ELSE least(net_spent, max_discount) END
        AS redeemed_funds,
    CASE WHEN remaining_balance IS NOT NULL THEN greatest(remaining_balance, 0) END
        AS remaining_funds,
    CASE WHEN percent_of_offer_spent IS NOT NULL THEN least(percent_of_offer_spent, 1) END
        AS percent_utilized,
    lcm.balance_state(
        max_discount,
        net_spent,
        CAST(:low_balance_fraction AS numeric),
        CAST(:no_balance_amount AS numeric)
    ) AS balance_state,
    enrollment_count,
    learner_count,
    sum_course_price,
    sum_amount_learner_paid,
    first_spend_at,
    last_spend_at,
    total_discount_ecommerce,
    total_discount_ecommerce - net_spent AS ecommerce_drift,
    num_applications_ecommerce,
    num_orders_ecommerce,
    coalesce(
        usage_type = 'Percentage'
        AND discount_value = 100
        AND max_user_applications IS NULL
        AND max_user_discount IS NULL,
        FALSE
    ) AS is_fcfs_org_wide,
    -- The offer's landed source row, for the ecommerce-compatible API: built for the offers in
    -- scope only (lc_offer, which holds every offer on every publish, stays narrow).
    (
        SELECT to_jsonb(x) - 'landed_run_id' - 'landed_at'
        FROM lcm_raw.ecommerce_conditionaloffer AS x
        WHERE x.id = balance.offer_id
    ) AS source_offer,
    CAST(:data_as_of AS timestamptz) AS data_as_of
FROM balance
