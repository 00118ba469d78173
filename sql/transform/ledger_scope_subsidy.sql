-- Subsidies (by 32-hex key) whose balances a publish recomputes: every one when :full; else
-- those whose own row, or a row of their ledger (transaction, reversal, deposit, adjustment),
-- landed after :since_run, and those of the budgets that changed (ledger_changed_policy), whose
-- spend limits add up per subsidy.
SELECT s.uuid AS subsidy_key
FROM lcm_raw.subsidy_subsidy AS s
WHERE CAST(:full AS boolean) OR s.landed_run_id > :since_run

UNION

SELECT s.uuid
FROM lcm_raw.subsidy_subsidy AS s
JOIN (
    SELECT t.ledger_id
    FROM lcm_raw.ledger_transaction AS t
    WHERE t.landed_run_id > :since_run
    UNION
    SELECT t.ledger_id
    FROM lcm_raw.ledger_reversal AS r
    JOIN lcm_raw.ledger_transaction AS t ON t.uuid = r.transaction_id
    WHERE r.landed_run_id > :since_run
    UNION
    SELECT d.ledger_id FROM lcm_raw.ledger_deposit AS d WHERE d.landed_run_id > :since_run
    UNION
    SELECT a.ledger_id FROM lcm_raw.ledger_adjustment AS a WHERE a.landed_run_id > :since_run
) AS changed ON changed.ledger_id = s.ledger_id

UNION

SELECT p.subsidy_uuid
FROM lcm_raw.access_subsidyaccesspolicy AS p
JOIN ledger_changed_policy AS c ON c.policy_key = p.uuid
