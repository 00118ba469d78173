-- unreadable_order: one row per order that has a line, a refund or a refund line its source
-- holds but the landing could not read (an open landing rejection), with the last landing run
-- that saw it so. The lines that landed are then not the order's lines: its discounts cannot be
-- attributed (order_has_invalid_line), never spread over the lines that did land.
-- A rejection whose row has landed since (readable again) no longer counts.
-- Materialized per publish as the temporary table unreadable_order.
WITH rejected AS (
    SELECT
        rr.source_table,
        rr.natural_key,
        rr.last_run_id,
        CASE WHEN rr.payload ->> 'order_id' ~ '^[0-9]{1,18}$'
            THEN (rr.payload ->> 'order_id')::bigint END AS order_id,
        CASE WHEN rr.payload ->> 'order_line_id' ~ '^[0-9]{1,18}$'
            THEN (rr.payload ->> 'order_line_id')::bigint END AS order_line_id
    FROM lcm_raw.rejected_record AS rr
    WHERE rr.source = 'ecommerce'
        AND rr.stage = 'landing'
        AND rr.resolved_at IS NULL
        AND rr.source_table IN ('order_line', 'refund_refund', 'refund_refundline')
),

unreadable AS (
    SELECT rejected.order_id, rejected.last_run_id
    FROM rejected
    WHERE rejected.source_table = 'order_line'
        AND NOT EXISTS (
            SELECT 1 FROM lcm_raw.ecommerce_line AS l
            WHERE l.id::text = rejected.natural_key AND l.landed_run_id > rejected.last_run_id
        )
    UNION ALL
    SELECT rejected.order_id, rejected.last_run_id
    FROM rejected
    WHERE rejected.source_table = 'refund_refund'
        AND NOT EXISTS (
            SELECT 1 FROM lcm_raw.ecommerce_refund AS f
            WHERE f.id::text = rejected.natural_key AND f.landed_run_id > rejected.last_run_id
        )
    UNION ALL
    -- A refund line names its order line; the order is that line's (landed or rejected).
    SELECT coalesce(l.order_id, rejected_line.order_id), rejected.last_run_id
    FROM rejected
    LEFT JOIN lcm_raw.ecommerce_line AS l ON l.id = rejected.order_line_id
    LEFT JOIN rejected AS rejected_line
        ON rejected_line.source_table = 'order_line'
        AND rejected_line.natural_key = rejected.order_line_id::text
    WHERE rejected.source_table = 'refund_refundline'
        AND NOT EXISTS (
            SELECT 1 FROM lcm_raw.ecommerce_refundline AS rl
            WHERE rl.id::text = rejected.natural_key AND rl.landed_run_id > rejected.last_run_id
        )
)

SELECT order_id, max(last_run_id) AS last_run_id
FROM unreadable
WHERE order_id IS NOT NULL
GROUP BY order_id
