-- v_offer_utilization_daily: one row per offer per UTC day with spend or refund activity (days
-- without activity are omitted), with the running share of the budget used.
-- Columns: docs/data-dictionary.md. Declared here; a change ships as a new Alembic revision
-- that inlines the new text (see docs/architecture.md, "Schema changes").
CREATE OR REPLACE VIEW lcm.v_offer_utilization_daily AS
SELECT
    d.enterprise_customer_uuid,
    d.offer_id,
    s.display_name AS offer_display_name,
    d.day,
    d.amount_spent,
    d.amount_refunded,
    d.amount_spent - d.amount_refunded AS net_spent,
    d.cumulative_net_spent,
    s.max_discount,
    d.remaining_balance,
    CASE WHEN s.max_discount > 0 THEN d.cumulative_net_spent / s.max_discount END
        AS cumulative_percent_spent
FROM lcm.offer_utilization_daily AS d
LEFT JOIN lcm.offer_summary AS s ON s.offer_id = d.offer_id;
