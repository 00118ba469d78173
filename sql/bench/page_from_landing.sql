-- Compute-on-read baseline of `lcm-etl bench` (never used by the product): one row per valid
-- learner-credit offer of ONE enterprise, with the values the learner-credit page shows, computed
-- from the landing tables (lcm_raw) on every request — what the original analytics approach did
-- instead of reading a precomputed read model.
--
-- It applies the transform's rules (sql/transform/stg_*.sql, offer_redemption.sql,
-- offer_summary.sql) restricted to the enterprise: valid offers only; spend = non-duplicate,
-- non-negative discounts of Complete orders whose lines are all valid; a discount shared over its
-- order's lines by their discount (else list price, else equally), cents rounded, the last line
-- taking the remainder; a line refunded by Complete refunds (lines not Denied) gives back its
-- share. The bench checks that the answers equal the API's.
--   :enterprise_hex, :enterprise_dashed — the enterprise customer UUID as 32 lowercase hex
--     digits, and dashed
WITH offer AS (
    SELECT
        o.id::bigint AS offer_id,
        NULLIF(c.enterprise_customer_name, '') AS enterprise_name,
        CASE
            WHEN NULLIF(c.enterprise_customer_name, '') IS NOT NULL AND o.start_datetime IS NOT NULL
                THEN c.enterprise_customer_name || ' - '
                    || upper(to_char(o.start_datetime AT TIME ZONE 'UTC', 'MonYY'))
        END AS display_name,
        o.status,
        o.start_datetime,
        o.end_datetime,
        CASE b.proxy_class
            WHEN 'ecommerce.enterprise.benefits.EnterprisePercentageDiscountBenefit' THEN 'Percentage'
            WHEN 'ecommerce.enterprise.benefits.EnterpriseAbsoluteDiscountBenefit' THEN 'Absolute'
            ELSE NULLIF(b.type, '')
        END AS usage_type,
        b.value AS discount_value,
        o.max_discount,
        o.max_user_discount,
        o.max_user_applications
    FROM lcm_raw.ecommerce_conditionaloffer AS o
    JOIN lcm_raw.ecommerce_condition AS c ON c.id = o.condition_id
    JOIN lcm_raw.ecommerce_benefit AS b ON b.id = o.benefit_id
    WHERE o.offer_type = 'Site'
        -- The two spellings the transform accepts (32 hex digits, or dashed), in any case.
        AND lower(c.enterprise_customer_uuid) IN (:enterprise_hex, :enterprise_dashed)
        AND (o.end_datetime < o.start_datetime) IS NOT TRUE
),

spend AS (
    -- The order's status is the same for all its discounts, so filtering on it first leaves the
    -- duplicate ranks (per order and offer) as the transform computes them.
    SELECT
        d.id AS order_discount_id,
        d.order_id,
        d.offer_id,
        d.amount,
        r.user_id,
        row_number() OVER (PARTITION BY d.order_id, d.offer_id ORDER BY d.id) AS duplicate_rank
    FROM lcm_raw.ecommerce_orderdiscount AS d
    JOIN offer ON offer.offer_id = d.offer_id
    JOIN lcm_raw.ecommerce_order AS r ON r.id = d.order_id
    WHERE r.status = 'Complete' AND r.date_placed IS NOT NULL
),

line AS (
    -- One row per (spent discount, line of its order), with what Complete refunds gave back.
    SELECT
        spend.order_discount_id,
        spend.offer_id,
        spend.amount,
        spend.user_id,
        l.id AS order_line_id,
        greatest(coalesce(l.line_price_before_discounts_excl_tax - l.line_price_excl_tax, 0), 0)
            AS discount_weight,
        greatest(coalesce(l.line_price_before_discounts_excl_tax, 0), 0) AS price_weight,
        (p.id IS NULL OR coalesce(p.course_id, parent.course_id) IS NULL) AS is_invalid,
        least(
            coalesce(
                sum(coalesce(rl.quantity, 1)) FILTER (
                    WHERE f.status = 'Complete' AND rl.status IS DISTINCT FROM 'Denied'
                ),
                0
            )::numeric / greatest(coalesce(l.quantity, 1), 1),
            1
        ) AS refunded_fraction
    FROM spend
    JOIN lcm_raw.ecommerce_line AS l ON l.order_id = spend.order_id
    LEFT JOIN lcm_raw.ecommerce_product AS p ON p.id = l.product_id
    LEFT JOIN lcm_raw.ecommerce_product AS parent ON parent.id = p.parent_id
    LEFT JOIN lcm_raw.ecommerce_refundline AS rl ON rl.order_line_id = l.id
    LEFT JOIN lcm_raw.ecommerce_refund AS f ON f.id = rl.refund_id
    WHERE spend.duplicate_rank = 1 AND spend.amount >= 0
    GROUP BY
        spend.order_discount_id, spend.offer_id, spend.amount, spend.user_id, l.id, p.id,
        parent.course_id
),

weighted AS (
    -- A discount's rows are exactly its order's lines, so "per discount" is "per order".
    SELECT
        line.*,
        sum(line.discount_weight) OVER per_discount AS order_discount_weight,
        sum(line.price_weight) OVER per_discount AS order_price_weight,
        count(*) OVER per_discount AS order_line_count,
        bool_or(line.is_invalid) OVER per_discount AS order_has_invalid_line,
        row_number() OVER (PARTITION BY line.order_discount_id ORDER BY line.order_line_id DESC) = 1
            AS is_last
    FROM line
    WINDOW per_discount AS (PARTITION BY line.order_discount_id)
),

attributed AS (
    SELECT
        order_discount_id,
        offer_id,
        amount,
        user_id,
        is_last,
        refunded_fraction,
        round(
            amount * CASE
                WHEN order_discount_weight > 0 THEN discount_weight / order_discount_weight
                WHEN order_price_weight > 0 THEN price_weight / order_price_weight
                ELSE 1.0 / order_line_count
            END,
            2
        ) AS rounded_share
    FROM weighted
    WHERE NOT order_has_invalid_line
),

redemption AS (
    SELECT
        offer_id,
        user_id,
        refunded_fraction,
        CASE
            WHEN is_last
                THEN amount - (sum(rounded_share) OVER (PARTITION BY order_discount_id) - rounded_share)
            ELSE rounded_share
        END AS line_amount
    FROM attributed
),

per_offer AS (
    SELECT
        redemption.offer_id,
        sum(redemption.line_amount) AS amount_spent,
        sum(
            CASE
                WHEN redemption.refunded_fraction >= 1 THEN redemption.line_amount
                ELSE round(redemption.line_amount * redemption.refunded_fraction, 2)
            END
        ) AS amount_refunded,
        count(*) FILTER (WHERE redemption.refunded_fraction < 1) AS enrollment_count,
        count(DISTINCT coalesce(u.lms_user_id::text, 'e' || redemption.user_id::text))
            FILTER (WHERE redemption.refunded_fraction < 1) AS learner_count
    FROM redemption
    LEFT JOIN lcm_raw.ecommerce_user AS u ON u.id = redemption.user_id
    GROUP BY redemption.offer_id
),

totals AS (
    SELECT
        offer.*,
        coalesce(per_offer.amount_spent, 0) - coalesce(per_offer.amount_refunded, 0) AS net_spent,
        coalesce(per_offer.amount_refunded, 0) AS amount_refunded,
        coalesce(per_offer.enrollment_count, 0) AS enrollment_count,
        coalesce(per_offer.learner_count, 0) AS learner_count
    FROM offer
    LEFT JOIN per_offer ON per_offer.offer_id = offer.offer_id
)

SELECT
    offer_id,
    enterprise_name,
    display_name,
    status,
    start_datetime,
    end_datetime,
    usage_type,
    discount_value,
    coalesce(
        usage_type = 'Percentage'
        AND discount_value = 100
        AND max_user_applications IS NULL
        AND max_user_discount IS NULL,
        FALSE
    ) AS is_fcfs_org_wide,
    max_discount,
    net_spent AS amount_of_offer_spent,
    max_discount - net_spent AS remaining_balance,
    CASE WHEN max_discount > 0 THEN round(net_spent / max_discount, 6) END AS percent_of_offer_spent,
    amount_refunded,
    enrollment_count,
    learner_count
FROM totals
