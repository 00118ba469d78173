-- lcm_raw.rejected_record: add this publish's rejections (temporary table new_rejection, built
-- from rejected_record.sql) or refresh the ones already known, reopening any that were resolved.
INSERT INTO lcm_raw.rejected_record AS t (
    source, source_table, natural_key, reason, enterprise_customer_uuid, amount, payload, stage,
    first_run_id, last_run_id
)
SELECT
    'ecommerce', source_table, natural_key, reason, enterprise_customer_uuid, amount, payload,
    'transform', :run_id, :run_id
FROM new_rejection
ON CONFLICT (source, source_table, natural_key, reason) DO UPDATE
SET enterprise_customer_uuid = excluded.enterprise_customer_uuid,
    amount = excluded.amount,
    payload = excluded.payload,
    last_run_id = excluded.last_run_id,
    last_seen_at = now(),
    resolved_at = NULL
