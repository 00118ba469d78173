-- lcm_raw.rejected_record: add this publish's ledger-era transform rejections (temporary table
-- new_ledger_rejection, built from ledger_rejected_record.sql) or refresh the ones already known,
-- reopening any that were resolved. Amounts are stored in dollars like every rejection's.
INSERT INTO lcm_raw.rejected_record AS t (
    source, source_table, natural_key, reason, enterprise_customer_uuid, amount, payload, stage,
    first_run_id, last_run_id
)
SELECT
    'subsidy', source_table, natural_key, reason, enterprise_customer_uuid,
    amount_cents / 100.0, payload, 'transform', :run_id, :run_id
FROM new_ledger_rejection
ON CONFLICT (source, source_table, natural_key, reason) DO UPDATE
SET enterprise_customer_uuid = excluded.enterprise_customer_uuid,
    amount = excluded.amount,
    payload = excluded.payload,
    last_run_id = excluded.last_run_id,
    last_seen_at = now(),
    resolved_at = NULL
