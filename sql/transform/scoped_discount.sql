-- scoped_discount: one row per landed order discount of an order in scope_order, with its
-- order, its offer's enterprise, whether it counts as spend, and, when it cannot be counted,
-- the reason it is rejected. Materialized per publish as the temporary table scoped_discount.
WITH discount AS (
    SELECT
        d.id::bigint AS order_discount_id,
        d.order_id::bigint AS order_id,
        d.offer_id,
        d.amount,
        d.landed_run_id,
        -- ecommerce keeps one discount per (order, offer); a second one is a conflicting duplicate.
        row_number() OVER (PARTITION BY d.order_id, d.offer_id ORDER BY d.id) AS duplicate_rank
    FROM (
        -- Every landed discount (:full), or those of the orders in scope (see scoped_line)
        SELECT x.* FROM lcm_raw.ecommerce_orderdiscount AS x WHERE CAST(:full AS boolean)
        UNION ALL
        SELECT x.*
        FROM lcm_raw.ecommerce_orderdiscount AS x
        JOIN scope_order AS s ON s.order_id = x.order_id
        WHERE NOT CAST(:full AS boolean)
    ) AS d
),

line_state AS (
    SELECT
        order_id,
        count(*) AS line_count,
        count(*) FILTER (WHERE reject_reason IS NOT NULL) AS bad_line_count
    FROM scoped_line
    GROUP BY order_id
)

SELECT
    discount.order_discount_id,
    discount.order_id,
    discount.offer_id,
    discount.amount,
    o.enterprise_customer_uuid,
    r.number AS order_number,
    r.status AS order_status,
    r.date_placed,
    r.user_id,
    r.status = 'Complete' AS is_spend,
    CASE
        WHEN r.id IS NULL THEN 'discount_order_missing'
        WHEN o.offer_id IS NULL THEN 'discount_unknown_offer'
        WHEN o.reject_reason IS NOT NULL THEN 'discount_offer_rejected'
        WHEN discount.amount IS NULL THEN 'discount_amount_null'
        WHEN discount.amount < 0 THEN 'discount_amount_negative'
        WHEN discount.duplicate_rank > 1 THEN 'conflicting_duplicate'
        WHEN coalesce(line_state.line_count, 0) = 0 THEN 'order_without_lines'
        WHEN line_state.bad_line_count > 0 THEN 'order_has_invalid_line'
        WHEN r.date_placed IS NULL THEN 'order_missing_date'
    END AS reject_reason
FROM discount
LEFT JOIN lcm_raw.ecommerce_order AS r ON r.id = discount.order_id
LEFT JOIN lc_offer AS o ON o.offer_id = discount.offer_id
LEFT JOIN line_state ON line_state.order_id = discount.order_id
