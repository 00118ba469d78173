-- lcm_raw.rejected_record: a transform rejection this publish checked again and did not
-- reproduce is resolved (fixed at the source, or superseded). A full publish checks everything;
-- otherwise offers are re-checked whole and discounts and lines only for the orders in scope.
UPDATE lcm_raw.rejected_record AS t
SET resolved_at = now()
WHERE t.source = 'ecommerce'
    AND t.stage = 'transform'
    AND t.resolved_at IS NULL
    AND (
        CAST(:full AS boolean)
        OR t.source_table = 'offer_conditionaloffer'
        -- (scoped_discount and scoped_line hold every landed discount and line of the orders
        -- in scope: read there, not looked up again in the landing tables' order indexes)
        OR (t.source_table = 'order_orderdiscount' AND t.natural_key IN (
            SELECT d.order_discount_id::text FROM scoped_discount AS d
        ))
        OR (t.source_table = 'order_line' AND t.natural_key IN (
            SELECT l.order_line_id::text FROM scoped_line AS l
        ))
    )
    AND NOT EXISTS (
        SELECT 1
        FROM new_rejection AS n
        WHERE n.source_table = t.source_table
            AND n.natural_key = t.natural_key
            AND n.reason = t.reason
    )
