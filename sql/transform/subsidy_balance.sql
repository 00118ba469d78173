-- lcm.subsidy_balance: one row per subsidy in ledger_scope_subsidy, as enterprise-subsidy computes
-- it (integer USD cents):
--   current_balance = Σ (quantity + reversal quantity) over the ledger's transactions that are
--                     not 'failed' (created and pending count: Ledger.balance());
--   total_deposits  = the same over COMMITTED transactions that carry a deposit or an adjustment
--                     (Ledger.total_deposits(); a negative adjustment lowers it);
--   total_spend_limits = Σ spend_limit of the active budgets the subsidy's own enterprise
--                        customer has on it (as enterprise-access sums them per subsidy AND
--                        customer).
WITH scoped AS (
    SELECT s.*
    FROM lcm_raw.subsidy_subsidy AS s
    JOIN ledger_scope_subsidy AS k ON k.subsidy_key = s.uuid
),

movement AS (
    SELECT
        t.ledger_id,
        t.state,
        t.quantity + coalesce(r.quantity, 0) AS net,
        (d.uuid IS NOT NULL OR a.uuid IS NOT NULL) AS is_deposit
    FROM lcm_raw.ledger_transaction AS t
    LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
    LEFT JOIN lcm_raw.ledger_deposit AS d ON d.transaction_id = t.uuid
    LEFT JOIN lcm_raw.ledger_adjustment AS a ON a.transaction_id = t.uuid
    WHERE t.ledger_id IN (SELECT ledger_id FROM scoped)
),

ledger_total AS (
    SELECT
        ledger_id,
        sum(net) FILTER (WHERE state <> 'failed') AS current_balance,
        sum(net) FILTER (WHERE state = 'committed' AND is_deposit) AS total_deposits,
        count(*) AS transaction_count
    FROM movement
    GROUP BY ledger_id
),

limits AS (
    SELECT p.subsidy_uuid, sum(p.spend_limit) AS total_spend_limits
    FROM lcm_raw.access_subsidyaccesspolicy AS p
    JOIN scoped AS s
        ON s.uuid = p.subsidy_uuid
        AND s.enterprise_customer_uuid = p.enterprise_customer_uuid
    WHERE p.active
    GROUP BY p.subsidy_uuid
)

SELECT
    s.uuid::uuid AS subsidy_uuid,
    s.enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
    s.title,
    s.ledger_id::uuid AS ledger_uuid,
    s.unit,
    s.reference_id,
    s.reference_type,
    s.revenue_category,
    s.active_datetime,
    s.expiration_datetime,
    s.internal_only,
    s.is_soft_deleted,
    s.starting_balance AS starting_balance_cents,
    coalesce(l.total_deposits, 0)::bigint AS total_deposits_cents,
    coalesce(l.current_balance, 0)::bigint AS current_balance_cents,
    coalesce(m.total_spend_limits, 0)::bigint AS total_spend_limits_cents,
    coalesce(l.transaction_count, 0)::bigint AS transaction_count,
    s.created,
    s.modified,
    CAST(:data_as_of AS timestamptz) AS data_as_of
FROM scoped AS s
LEFT JOIN ledger_total AS l ON l.ledger_id = s.ledger_id
LEFT JOIN limits AS m ON m.subsidy_uuid = s.uuid
