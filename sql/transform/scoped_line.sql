-- scoped_line: one row per landed order line of an order in scope_order, with the course it
-- bought, its weight in the attribution of its order's discounts, what was refunded of it, and,
-- when the line cannot be attributed, the reason it is rejected.
-- Materialized per publish as the temporary table scoped_line.
WITH scoped_line AS (
    -- Every landed line (:full), or those of the orders in scope: two branches rather than an
    -- OR, so that each plan is the right one (a scan, or index lookups for a few orders).
    SELECT l.* FROM lcm_raw.ecommerce_line AS l WHERE CAST(:full AS boolean)
    UNION ALL
    SELECT l.*
    FROM lcm_raw.ecommerce_line AS l
    JOIN scope_order AS s ON s.order_id = l.order_id
    WHERE NOT CAST(:full AS boolean)
),

scoped_refund AS (
    SELECT f.* FROM lcm_raw.ecommerce_refund AS f WHERE CAST(:full AS boolean)
    UNION ALL
    SELECT f.*
    FROM lcm_raw.ecommerce_refund AS f
    JOIN scope_order AS s ON s.order_id = f.order_id
    WHERE NOT CAST(:full AS boolean)
),

line AS (
    SELECT
        l.id::bigint AS order_line_id,
        l.order_id::bigint AS order_id,
        l.product_id,
        l.quantity,
        l.line_price_excl_tax,
        l.line_price_before_discounts_excl_tax,
        p.id AS known_product_id,
        coalesce(p.course_id, parent.course_id) AS courserun_key
    FROM scoped_line AS l
    LEFT JOIN lcm_raw.ecommerce_product AS p ON p.id = l.product_id
    LEFT JOIN lcm_raw.ecommerce_product AS parent ON parent.id = p.parent_id
),

refunded AS (
    -- Only refunds ecommerce completed count; Open, Denied or failed ones give nothing back.
    SELECT
        rl.order_line_id,
        sum(coalesce(rl.quantity, 1)) AS quantity,
        max(f.modified) AS refunded_at
    FROM lcm_raw.ecommerce_refundline AS rl
    JOIN scoped_refund AS f ON f.id = rl.refund_id
    WHERE f.status = 'Complete' AND rl.status IS DISTINCT FROM 'Denied'
    GROUP BY rl.order_line_id
)

SELECT
    line.order_line_id,
    line.order_id,
    line.courserun_key,
    cr.name AS course_title,
    -- A course run key 'course-v1:Org+Course+Run' (or old 'Org/Course/Run') belongs to course 'Org+Course'.
    CASE
        WHEN line.courserun_key LIKE 'course-v1:%'
            THEN split_part(substr(line.courserun_key, 11), '+', 1) || '+'
                || split_part(substr(line.courserun_key, 11), '+', 2)
        WHEN line.courserun_key LIKE '%/%/%'
            THEN split_part(line.courserun_key, '/', 1) || '+' || split_part(line.courserun_key, '/', 2)
        ELSE line.courserun_key
    END AS course_key,
    round(line.line_price_before_discounts_excl_tax / nullif(line.quantity, 0), 2) AS course_list_price,
    line.line_price_excl_tax AS amount_learner_paid,
    -- Attribution weight: the discount the line received; failing that its list price; else equal.
    greatest(coalesce(line.line_price_before_discounts_excl_tax - line.line_price_excl_tax, 0), 0)
        AS discount_weight,
    greatest(coalesce(line.line_price_before_discounts_excl_tax, 0), 0) AS price_weight,
    least(coalesce(refunded.quantity, 0)::numeric / greatest(coalesce(line.quantity, 1), 1), 1)
        AS refunded_fraction,
    refunded.refunded_at,
    CASE
        WHEN line.product_id IS NULL THEN 'line_missing_product'
        WHEN line.known_product_id IS NULL THEN 'line_unknown_product'
        WHEN line.courserun_key IS NULL THEN 'line_missing_course'
    END AS reject_reason
FROM line
LEFT JOIN refunded ON refunded.order_line_id = line.order_line_id
LEFT JOIN lcm_raw.ecommerce_course AS cr ON cr.id = line.courserun_key
