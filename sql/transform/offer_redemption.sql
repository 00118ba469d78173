-- lcm.offer_redemption: one row per enrollment paid by an offer — an order line of a Complete
-- order times a learner-credit discount of that order — for the orders in scope_order.
--
-- A discount is attributed to its order's lines in proportion to each line's own discount (else
-- its list price, else equally). Shares are rounded to cents and the last line takes the
-- remainder, so the shares of a discount always add up to its amount exactly. A refunded line
-- gives back its share (a partial refund of a multi-line order gives back only its lines).
WITH spend AS (
    SELECT *
    FROM scoped_discount
    WHERE is_spend AND reject_reason IS NULL
),

weighted AS (
    SELECT
        line.*,
        sum(line.discount_weight) OVER (PARTITION BY line.order_id) AS order_discount_weight,
        sum(line.price_weight) OVER (PARTITION BY line.order_id) AS order_price_weight,
        count(*) OVER (PARTITION BY line.order_id) AS order_line_count,
        row_number() OVER (PARTITION BY line.order_id ORDER BY line.order_line_id DESC) = 1 AS is_last
    FROM scoped_line AS line
),

fraction AS (
    SELECT
        weighted.*,
        CASE
            WHEN order_discount_weight > 0 THEN discount_weight / order_discount_weight
            WHEN order_price_weight > 0 THEN price_weight / order_price_weight
            ELSE 1.0 / order_line_count
        END AS share
    FROM weighted
),

attributed AS (
    SELECT
        spend.*,
        fraction.order_line_id,
        fraction.courserun_key,
        fraction.course_key,
        fraction.course_title,
        fraction.course_list_price,
        fraction.amount_learner_paid,
        fraction.refunded_fraction,
        fraction.refunded_at,
        fraction.is_last,
        round(spend.amount * fraction.share, 2) AS rounded_share
    FROM spend
    JOIN fraction ON fraction.order_id = spend.order_id
),

shared AS (
    SELECT
        attributed.*,
        CASE
            WHEN is_last
                THEN amount - (sum(rounded_share) OVER (PARTITION BY order_discount_id) - rounded_share)
            ELSE rounded_share
        END AS line_amount
    FROM attributed
)

SELECT
    shared.order_discount_id,
    shared.order_line_id,
    shared.offer_id::bigint AS offer_id,
    shared.enterprise_customer_uuid,
    shared.order_id,
    shared.order_number,
    shared.user_id::bigint AS ecommerce_user_id,
    u.lms_user_id,
    -- Data-sharing consent (email_policy.sql): where the customer requests consent,
    -- the email only shows with the learner's granted consent for this course (key or run).
    -- (granted_consent.sql: joined, not probed per row, so a full publish hashes it once.)
    CASE
        WHEN ep.email_visibility IN ('shown', 'shown_consent_unknown') THEN NULLIF(u.email, '')
        WHEN ep.email_visibility = 'consent_required'
            AND (course_consent.username IS NOT NULL OR run_consent.username IS NOT NULL)
            THEN NULLIF(u.email, '')
    END AS user_email,
    shared.course_key,
    shared.courserun_key,
    shared.course_title,
    shared.course_list_price,
    shared.line_amount AS amount,
    shared.amount_learner_paid,
    shared.date_placed AS redeemed_at,
    (shared.date_placed AT TIME ZONE 'UTC')::date AS enrollment_date,
    shared.refunded_fraction >= 1 AS is_refunded,
    CASE
        WHEN shared.refunded_fraction >= 1 THEN shared.line_amount
        ELSE round(shared.line_amount * shared.refunded_fraction, 2)
    END AS amount_refunded,
    CASE WHEN shared.refunded_fraction > 0 THEN shared.refunded_at END AS refunded_at,
    -- The admin portal's row id (issue 9): the LMS enterprise course enrollment of this learner,
    -- enterprise and course run when the LMS has one (unique there), else the order line (the
    -- seat bought). Both are fixed source ids, so a re-run never changes the value.
    -- (enterprise_enrollment.sql: the lowest such enrollment id.)
    coalesce(ee.enterprise_enrollment_id, shared.order_line_id) AS enterprise_enrollment_id
FROM shared
LEFT JOIN lcm_raw.ecommerce_user AS u ON u.id = shared.user_id
LEFT JOIN email_policy AS ep ON ep.enterprise_customer_uuid = shared.enterprise_customer_uuid
-- Each of these has at most one row per join key, so no redemption is repeated.
LEFT JOIN granted_consent AS course_consent
    ON course_consent.enterprise_customer_id = replace(shared.enterprise_customer_uuid::text, '-', '')
    AND course_consent.username = u.username
    AND course_consent.course_id = shared.course_key
LEFT JOIN granted_consent AS run_consent
    ON run_consent.enterprise_customer_id = replace(shared.enterprise_customer_uuid::text, '-', '')
    AND run_consent.username = u.username
    AND run_consent.course_id = shared.courserun_key
LEFT JOIN enterprise_enrollment AS ee
    ON ee.user_id = u.lms_user_id
    AND ee.enterprise_customer_id = replace(shared.enterprise_customer_uuid::text, '-', '')
    AND ee.course_id = shared.courserun_key
