-- Ledger transactions (by 32-hex key) whose lcm.budget_transaction row a publish rewrites: every
-- one when :full; else those whose own row, reversal or external reference landed after
-- :since_run, and those of a subsidy whose own row did (it gives the transaction its enterprise
-- and unit).
SELECT t.uuid AS transaction_key
FROM lcm_raw.ledger_transaction AS t
WHERE CAST(:full AS boolean) OR t.landed_run_id > :since_run

UNION

SELECT r.transaction_id
FROM lcm_raw.ledger_reversal AS r
WHERE r.landed_run_id > :since_run AND r.transaction_id IS NOT NULL

UNION

SELECT x.transaction_id
FROM lcm_raw.ledger_externaltransactionreference AS x
WHERE x.landed_run_id > :since_run AND x.transaction_id IS NOT NULL

UNION

SELECT t.uuid
FROM lcm_raw.subsidy_subsidy AS s
JOIN lcm_raw.ledger_transaction AS t ON t.ledger_id = s.ledger_id
WHERE s.landed_run_id > :since_run AND NOT CAST(:full AS boolean)
