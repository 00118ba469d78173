-- lcm.offer_summary: one row per valid learner-credit offer in scope_offer — its ecommerce
-- attributes, what it spent (gross, refunded, net, from lcm.offer_redemption), its balance raw and
-- as the admin portal shows it (clamped), its balance state, and the drift from ecommerce's own
-- total_discount counter.
--   :low_balance_fraction  — low when net / max_discount is ABOVE this (exactly 0.75 is not low)
--   :no_balance_amount     — depleted when max_discount − net is AT OR BELOW this ($100 is depleted)
--   :data_as_of            — when the landed source data was read
WITH spend AS (
    SELECT
        r.offer_id,
        sum(r.amount) AS amount_spent,
        sum(r.amount_refunded) AS amount_refunded,
        count(*) FILTER (WHERE NOT r.is_refunded) AS enrollment_count,
        count(DISTINCT coalesce(r.lms_user_id::text, 'e' || r.ecommerce_user_id::text))
            FILTER (WHERE NOT r.is_refunded) AS learner_count,
        coalesce(sum(r.course_list_price) FILTER (WHERE NOT r.is_refunded), 0) AS sum_course_price,
        coalesce(sum(r.amount_learner_paid) FILTER (WHERE NOT r.is_refunded), 0)
            AS sum_amount_learner_paid,
        min(r.redeemed_at) AS first_spend_at,
        max(r.redeemed_at) AS last_spend_at
    FROM lcm.offer_redemption AS r
    JOIN scope_offer AS s ON s.offer_id = r.offer_id
    GROUP BY r.offer_id
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
        spend.first_spend_at,
        spend.last_spend_at
    FROM lc_offer AS o
    JOIN scope_offer AS s ON s.offer_id = o.offer_id
    LEFT JOIN spend ON spend.offer_id = o.offer_id
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
    CASE
        WHEN max_discount IS NULL THEN 'uncapped'
        WHEN remaining_balance <= CAST(:no_balance_amount AS numeric) THEN 'depleted'
        WHEN net_spent > CAST(:low_balance_fraction AS numeric) * max_discount THEN 'low'
        ELSE 'ok'
    END AS balance_state,
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
        false
    ) AS is_fcfs_org_wide,
    source_offer,
    CAST(:data_as_of AS timestamptz) AS data_as_of
FROM balance
