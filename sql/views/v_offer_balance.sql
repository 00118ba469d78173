-- v_offer_balance: one row per enterprise learner-credit offer — its budget, spend and balance,
-- raw and as the admin portal shows them (clamped), with is_current evaluated when queried.
-- data_as_of is when the offer's enterprise was last read: the newest of the row's own stamp
-- (the publish that last recomputed it) and the last successful publish that covered the
-- enterprise (every full or incremental one; a targeted one only its enterprises), as the page's
-- lcm.page_data_as_of answers it. A publish no longer stamps every summary.
-- Columns: docs/data-dictionary.md. Declared here; a change ships as a new Alembic revision
-- that inlines the new text (see docs/architecture.md, "Schema changes").
CREATE OR REPLACE VIEW lcm.v_offer_balance AS
SELECT
    s.enterprise_customer_uuid,
    s.enterprise_name,
    s.offer_id,
    s.display_name,
    s.status,
    s.start_datetime,
    s.end_datetime,
    (s.start_datetime IS NULL OR s.start_datetime <= now())
        AND (s.end_datetime IS NULL OR now() <= s.end_datetime) AS is_current,
    s.usage_type,
    s.discount_value,
    s.is_fcfs_org_wide,
    s.max_discount,
    s.amount_spent,
    s.amount_refunded,
    s.amount_of_offer_spent AS net_spent,
    s.remaining_balance,
    s.percent_of_offer_spent,
    s.redeemed_funds,
    s.remaining_funds,
    s.percent_utilized,
    s.balance_state,
    s.enrollment_count,
    s.learner_count,
    s.first_spend_at,
    s.last_spend_at,
    s.total_discount_ecommerce,
    s.ecommerce_drift,
    greatest(s.data_as_of, every_enterprise.data_as_of, targeted.data_as_of) AS data_as_of
FROM lcm.offer_summary AS s
CROSS JOIN (
    SELECT max(r.data_as_of) AS data_as_of
    FROM lcm.pipeline_run AS r
    WHERE r.stage = 'publish' AND r.status = 'succeeded' AND r.mode != 'targeted'
) AS every_enterprise
LEFT JOIN (
    SELECT e.enterprise_customer_uuid, max(r.data_as_of) AS data_as_of
    FROM lcm.pipeline_run AS r
    CROSS JOIN LATERAL unnest(r.enterprise_uuids) AS e (enterprise_customer_uuid)
    WHERE r.stage = 'publish' AND r.status = 'succeeded' AND r.mode = 'targeted'
    GROUP BY e.enterprise_customer_uuid
) AS targeted ON targeted.enterprise_customer_uuid = s.enterprise_customer_uuid;
