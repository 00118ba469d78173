-- Benchmark baseline (compute-on-read): one enterprise's active budgets computed from the
-- landing rows on request, the way enterprise-access computes them on every page view (the
-- subsidy's balance, the policy's redeemed and allocated totals), with the columns of
-- lcm.budget the page renders and the net spend of the forecast window (from :window_start).
-- Never part of the product: the read model precomputes all of it (sql/transform/budget.sql).
WITH p AS (
    SELECT *
    FROM lcm_raw.access_subsidyaccesspolicy
    WHERE enterprise_customer_uuid = :enterprise_hex AND active
),

s AS (
    SELECT *
    FROM lcm_raw.subsidy_subsidy
    WHERE uuid IN (SELECT subsidy_uuid FROM p)
),

balance AS (
    SELECT
        s.uuid,
        coalesce(sum(t.quantity + coalesce(r.quantity, 0)) FILTER (WHERE t.state <> 'failed'), 0)
            AS balance
    FROM s
    LEFT JOIN lcm_raw.ledger_transaction AS t ON t.ledger_id = s.ledger_id
    LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
    GROUP BY s.uuid
),

counted AS (
    SELECT p.uuid AS policy_key, t.uuid AS transaction_key, t.quantity, t.created, r.quantity
        AS reversal_quantity, r.created AS reversal_created
    FROM p
    JOIN s ON s.uuid = p.subsidy_uuid
    JOIN lcm_raw.ledger_transaction AS t
        ON t.ledger_id = s.ledger_id
        AND t.subsidy_access_policy_uuid = p.uuid
        AND t.state IN ('created', 'pending', 'committed')
    LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
),

redeemed AS (
    SELECT
        policy_key,
        -sum(quantity + coalesce(reversal_quantity, 0)) AS spent,
        -coalesce(sum(quantity) FILTER (WHERE (created AT TIME ZONE 'UTC')::date >= :window_start), 0)
            - coalesce(sum(reversal_quantity)
                FILTER (WHERE (reversal_created AT TIME ZONE 'UTC')::date >= :window_start), 0) AS window_net
    FROM counted
    GROUP BY policy_key
),

allocated AS (
    SELECT p.uuid AS policy_key, -sum(a.content_quantity) AS allocated
    FROM p
    JOIN lcm_raw.access_learnercontentassignment AS a
        ON a.assignment_configuration_id = p.assignment_configuration_id
        AND a.state = 'allocated'
    GROUP BY p.uuid
),

facts AS (
    SELECT
        p.*,
        coalesce(q.active, FALSE) AND p.learner_credit_request_config_id IS NOT NULL
            AS bnr_enabled,
        s.uuid IS NOT NULL AND NOT s.is_soft_deleted AS subsidy_available,
        s.active_datetime,
        s.expiration_datetime,
        b.balance,
        coalesce(rd.spent, 0) AS spent,
        coalesce(rd.window_net, 0) AS window_net,
        coalesce(al.allocated, 0) AS allocated_all
    FROM p
    LEFT JOIN lcm_raw.access_learnercreditrequestconfiguration AS q
        ON q.uuid = p.learner_credit_request_config_id
    LEFT JOIN s ON s.uuid = p.subsidy_uuid
    LEFT JOIN balance AS b ON b.uuid = s.uuid
    LEFT JOIN redeemed AS rd ON rd.policy_key = p.uuid
    LEFT JOIN allocated AS al ON al.policy_key = p.uuid
),

shaped AS (
    SELECT
        f.*,
        f.policy_type = 'AssignedLearnerCreditAccessPolicy'
            OR (f.policy_type = 'PerLearnerSpendCreditAccessPolicy' AND f.bnr_enabled)
            AS allocating,
        CASE
            WHEN f.spend_limit IS NULL THEN f.balance
            ELSE least(greatest(0, f.spend_limit - f.spent), f.balance)
        END AS available_base
    FROM facts AS f
)

SELECT
    uuid::uuid AS policy_uuid,
    subsidy_uuid::uuid AS subsidy_uuid,
    policy_type,
    display_name,
    retired,
    retired_at,
    assignment_configuration_id::uuid AS assignment_configuration_uuid,
    bnr_enabled,
    subsidy_available,
    CASE WHEN subsidy_available THEN active_datetime END AS subsidy_active_datetime,
    CASE WHEN subsidy_available THEN expiration_datetime END AS subsidy_expiration_datetime,
    spend_limit::bigint AS spend_limit_cents,
    spent::bigint AS spent_cents,
    (CASE WHEN allocating THEN allocated_all ELSE 0 END)::bigint AS allocated_cents,
    (CASE
        WHEN NOT subsidy_available THEN NULL
        WHEN allocating THEN greatest(0, available_base - allocated_all)
        ELSE available_base
    END)::bigint AS spend_available_cents,
    window_net::bigint AS window_net_cents
FROM shaped
