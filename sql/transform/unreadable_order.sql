-- unreadable_order: one row per order that has a line, a refund or a refund line its source
-- holds but the landing could not read (an open landing rejection), with the last landing run
-- that saw it so. The lines that landed are then not the order's lines: its discounts cannot be
-- attributed (order_has_invalid_line), never spread over the lines that did land.
-- A rejection whose row has landed since (readable again) no longer counts.
-- Materialized per publish as the temporary table unreadable_order.
WITH rejected AS (
    SELECT
        rr.source_table,
        rr.last_run_id,
        CASE WHEN rr.natural_key ~ '^[0-9]{1,18}$' THEN rr.natural_key::bigint END AS row_id,
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

-- When each rejected row last landed readable (by primary key: a few index lookups).
landed_since AS (
    SELECT r.*, coalesce(l.landed_run_id, f.landed_run_id, rl.landed_run_id) AS landed_run_id
    FROM rejected AS r
    LEFT JOIN lcm_raw.ecommerce_line AS l
        ON r.source_table = 'order_line' AND l.id = r.row_id
    LEFT JOIN lcm_raw.ecommerce_refund AS f
        ON r.source_table = 'refund_refund' AND f.id = r.row_id
    LEFT JOIN lcm_raw.ecommerce_refundline AS rl
        ON r.source_table = 'refund_refundline' AND rl.id = r.row_id
),

still_rejected AS (
    SELECT * FROM landed_since
    WHERE landed_run_id IS NULL OR landed_run_id <= last_run_id
)

-- A refund line names its order line; the order is that line's (landed or rejected).
SELECT
    coalesce(r.order_id, line.order_id, rejected_line.order_id) AS order_id,
    max(r.last_run_id) AS last_run_id
FROM still_rejected AS r
LEFT JOIN lcm_raw.ecommerce_line AS line ON line.id = r.order_line_id
LEFT JOIN rejected AS rejected_line
    ON rejected_line.source_table = 'order_line' AND rejected_line.row_id = r.order_line_id
WHERE coalesce(r.order_id, line.order_id, rejected_line.order_id) IS NOT NULL
GROUP BY 1
