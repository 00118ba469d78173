-- Transform-stage rejections of the ledger era: one row per landed redemption in a subsidy in
-- scope (ledger_scope_subsidy) that names a budget no landed policy of that subsidy is
-- (unknown budget, or a budget funded by another subsidy), while enterprise-access was read
-- (:access_read). Its money counts in the subsidy's balance but in no budget's spend; the
-- reconciliation accounts for it with the amount here (the net it withholds from spend).
SELECT
    'openedx_ledger_transaction' AS source_table,
    t.uuid AS natural_key,
    CASE
        WHEN p.uuid IS NULL THEN 'ledger_unknown_policy'
        ELSE 'ledger_policy_of_another_subsidy'
    END AS reason,
    s.enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
    CASE
        WHEN t.state <> 'failed' THEN -(t.quantity + coalesce(r.quantity, 0))
        ELSE 0
    END AS amount_cents,
    to_jsonb(t) - 'landed_run_id' - 'landed_at' AS payload
FROM ledger_scope_subsidy AS k
JOIN lcm_raw.subsidy_subsidy AS s ON s.uuid = k.subsidy_key
JOIN lcm_raw.ledger_transaction AS t ON t.ledger_id = s.ledger_id
LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
LEFT JOIN lcm_raw.access_subsidyaccesspolicy AS p ON p.uuid = t.subsidy_access_policy_uuid
WHERE CAST(:access_read AS boolean)
    AND t.subsidy_access_policy_uuid IS NOT NULL
    AND (p.uuid IS NULL OR p.subsidy_uuid <> s.uuid)
