-- Transform-stage rejections (lcm_raw.rejected_record): one row per landed source row in scope
-- that the read model cannot use, with the reason code, the enterprise when known, and the money
-- it withholds from spend (the discount amount, for discounts of Complete orders only) so the
-- reconciliation can account for it. Offers are checked whole on every publish (they are few);
-- discounts and lines for the orders in scope_order.
SELECT
    'offer_conditionaloffer' AS source_table,
    o.offer_id::text AS natural_key,
    o.reject_reason AS reason,
    o.enterprise_customer_uuid,
    NULL::numeric AS amount,
    (
        SELECT to_jsonb(x) - 'landed_run_id' - 'landed_at'
        FROM lcm_raw.ecommerce_conditionaloffer AS x
        WHERE x.id = o.offer_id
    ) AS payload
FROM lc_offer AS o
WHERE o.reject_reason IS NOT NULL

UNION ALL

SELECT
    'order_orderdiscount',
    d.order_discount_id::text,
    d.reject_reason,
    d.enterprise_customer_uuid,
    CASE WHEN d.is_spend THEN d.amount END,
    to_jsonb(raw) - 'landed_run_id' - 'landed_at'
FROM scoped_discount AS d
JOIN lcm_raw.ecommerce_orderdiscount AS raw ON raw.id = d.order_discount_id
WHERE d.reject_reason IS NOT NULL

UNION ALL

SELECT
    'order_line',
    line.order_line_id::text,
    line.reject_reason,
    NULL::uuid,
    NULL::numeric,
    to_jsonb(raw) - 'landed_run_id' - 'landed_at'
FROM scoped_line AS line
JOIN lcm_raw.ecommerce_line AS raw ON raw.id = line.order_line_id
WHERE line.reject_reason IS NOT NULL
