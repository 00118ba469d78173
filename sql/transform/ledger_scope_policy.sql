-- Budgets (by 32-hex key) a publish recomputes: those that changed themselves
-- (ledger_changed_policy) and every budget of a subsidy in scope (ledger_scope_subsidy), since
-- a budget's available amount is capped by its subsidy's shared balance.
SELECT c.policy_key
FROM ledger_changed_policy AS c

UNION

SELECT p.uuid
FROM lcm_raw.access_subsidyaccesspolicy AS p
JOIN ledger_scope_subsidy AS s ON s.subsidy_key = p.subsidy_uuid
