-- lcm_raw.rejected_record: a ledger-era transform rejection this publish checked again and did
-- not reproduce is resolved (the budget became known, or the transaction changed). A full
-- publish checks everything; otherwise the transactions of the subsidies in scope.
UPDATE lcm_raw.rejected_record AS t
SET resolved_at = now()
WHERE t.source = 'subsidy'
    AND t.stage = 'transform'
    AND t.resolved_at IS NULL
    AND (
        CAST(:full AS boolean)
        OR t.natural_key IN (
            SELECT x.uuid
            FROM lcm_raw.ledger_transaction AS x
            JOIN lcm_raw.subsidy_subsidy AS s ON s.ledger_id = x.ledger_id
            JOIN ledger_scope_subsidy AS k ON k.subsidy_key = s.uuid
        )
    )
    AND NOT EXISTS (
        SELECT 1
        FROM new_ledger_rejection AS n
        WHERE n.source_table = t.source_table
            AND n.natural_key = t.natural_key
            AND n.reason = t.reason
    )
