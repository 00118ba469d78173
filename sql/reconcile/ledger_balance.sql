-- Reconciliation (ledger era), per subsidy in scope: the read model's balance and deposits equal
-- the landed ledger rows summed directly, and its budgets' spent plus the redemptions rejected
-- for naming no budget of the subsidy equals every policy-attributed redemption (net of
-- reversals, failed excluded). Returns the subsidies that do not add up (none: reconciled).
WITH landed AS (
    SELECT
        s.uuid::uuid AS subsidy_uuid,
        coalesce(sum(t.quantity + coalesce(r.quantity, 0))
            FILTER (WHERE t.state <> 'failed'), 0) AS balance,
        coalesce(sum(t.quantity + coalesce(r.quantity, 0))
            FILTER (WHERE t.state = 'committed' AND (
                EXISTS (SELECT 1 FROM lcm_raw.ledger_deposit AS d WHERE d.transaction_id = t.uuid)
                OR EXISTS (
                    SELECT 1 FROM lcm_raw.ledger_adjustment AS a WHERE a.transaction_id = t.uuid
                )
            )), 0) AS deposits,
        -coalesce(sum(t.quantity + coalesce(r.quantity, 0))
            FILTER (WHERE t.state <> 'failed' AND t.subsidy_access_policy_uuid IS NOT NULL), 0)
            AS attributed_spend
    FROM ledger_scope_subsidy AS k
    JOIN lcm_raw.subsidy_subsidy AS s ON s.uuid = k.subsidy_key
    LEFT JOIN lcm_raw.ledger_transaction AS t ON t.ledger_id = s.ledger_id
    LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
    GROUP BY s.uuid
),

budgets AS (
    SELECT b.subsidy_uuid, sum(b.spent_cents) AS spent
    FROM lcm.budget AS b
    WHERE b.subsidy_uuid IN (SELECT subsidy_uuid FROM landed)
    GROUP BY b.subsidy_uuid
),

rejected AS (
    SELECT s.uuid::uuid AS subsidy_uuid, sum(n.amount_cents) AS amount
    FROM new_ledger_rejection AS n
    JOIN lcm_raw.ledger_transaction AS t ON t.uuid = n.natural_key
    JOIN lcm_raw.subsidy_subsidy AS s ON s.ledger_id = t.ledger_id
    GROUP BY s.uuid
)

SELECT
    l.subsidy_uuid,
    l.balance AS landed_balance,
    m.current_balance_cents AS read_model_balance,
    l.deposits AS landed_deposits,
    m.total_deposits_cents AS read_model_deposits,
    l.attributed_spend,
    coalesce(x.amount, 0) AS rejected_spend,
    b.spent AS budgets_spent
FROM landed AS l
LEFT JOIN lcm.subsidy_balance AS m ON m.subsidy_uuid = l.subsidy_uuid
LEFT JOIN budgets AS b ON b.subsidy_uuid = l.subsidy_uuid
LEFT JOIN rejected AS x ON x.subsidy_uuid = l.subsidy_uuid
WHERE m.subsidy_uuid IS NULL
    OR l.balance <> m.current_balance_cents
    OR l.deposits <> m.total_deposits_cents
    OR (CAST(:access_read AS boolean)
        AND l.attributed_spend - coalesce(x.amount, 0) <> coalesce(b.spent, 0))
