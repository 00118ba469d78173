-- lcm.budget_utilization_daily: one row per budget in ledger_scope_policy per UTC day with
-- activity: spent = -Σ quantity of its non-failed redemptions created that day (in its subsidy's
-- ledger), refunded = Σ quantity of the reversals of its transactions created that day.
WITH scoped AS (
    SELECT p.uuid, p.enterprise_customer_uuid, s.ledger_id
    FROM lcm_raw.access_subsidyaccesspolicy AS p
    JOIN ledger_scope_policy AS k ON k.policy_key = p.uuid
    JOIN lcm_raw.subsidy_subsidy AS s ON s.uuid = p.subsidy_uuid
),

counted AS (
    SELECT p.uuid, p.enterprise_customer_uuid, t.uuid AS transaction_key, t.quantity, t.created
    FROM scoped AS p
    JOIN lcm_raw.ledger_transaction AS t
        ON t.ledger_id = p.ledger_id
        AND t.subsidy_access_policy_uuid = p.uuid
        AND t.state IN ('created', 'pending', 'committed')
),

activity AS (
    SELECT uuid, enterprise_customer_uuid, (created AT TIME ZONE 'UTC')::date AS day,
        -quantity AS spent, 0::bigint AS refunded
    FROM counted
    UNION ALL
    SELECT c.uuid, c.enterprise_customer_uuid, (r.created AT TIME ZONE 'UTC')::date,
        0::bigint, r.quantity
    FROM counted AS c
    JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = c.transaction_key
)

SELECT
    uuid::uuid AS policy_uuid,
    day,
    enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
    sum(spent)::bigint AS spent_cents,
    sum(refunded)::bigint AS refunded_cents
FROM activity
GROUP BY uuid, day, enterprise_customer_uuid
