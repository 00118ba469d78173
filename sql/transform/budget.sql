-- lcm.budget: one row per budget (enterprise-access policy) in ledger_scope_policy, with the
-- amounts enterprise-access computes on every request, here once per publish (integer USD cents):
--   spent     = -total_redeemed = -Σ (quantity + reversal quantity) over the policy's transactions
--               in the policy's subsidy's ledger whose state is created, pending or committed;
--   allocated = -Σ content_quantity of the 'allocated' assignments of its assignment
--               configuration, for Assigned policies and Browse-and-Request-enabled spend
--               policies only (0 for the others);
--   available (spend_available) = the subsidy balance when there is no spend limit, else
--               min(max(0, spend_limit - spent), subsidy balance); then, where allocated counts,
--               max(0, that - allocated);
--   total spend limits for the subsidy = Σ spend_limit of the ACTIVE budgets of the same
--               subsidy AND the same enterprise customer (enterprise-access's
--               total_spend_limits_for_subsidy; it reads no subsidy record, so it is known even
--               when the subsidy is not).
-- A budget whose subsidy is unknown or soft-deleted has subsidy_available = false: the services
-- then answer null amounts and dates.
WITH scoped AS (
    SELECT p.*
    FROM lcm_raw.access_subsidyaccesspolicy AS p
    JOIN ledger_scope_policy AS k ON k.policy_key = p.uuid
),

subsidy AS (
    SELECT s.uuid, s.ledger_id, s.active_datetime, s.expiration_datetime, s.internal_only,
        s.is_soft_deleted, b.current_balance_cents, b.total_deposits_cents
    FROM lcm_raw.subsidy_subsidy AS s
    JOIN lcm.subsidy_balance AS b ON b.subsidy_uuid = s.uuid::uuid
    WHERE s.uuid IN (SELECT subsidy_uuid FROM scoped)
),

limits AS (
    SELECT p.subsidy_uuid, p.enterprise_customer_uuid, sum(p.spend_limit) AS total_spend_limits
    FROM lcm_raw.access_subsidyaccesspolicy AS p
    WHERE p.active AND p.subsidy_uuid IN (SELECT subsidy_uuid FROM scoped)
    GROUP BY p.subsidy_uuid, p.enterprise_customer_uuid
),

redeemed AS (
    SELECT
        p.uuid AS policy_key,
        sum(t.quantity + coalesce(r.quantity, 0)) AS total_redeemed,
        count(*) FILTER (WHERE r.uuid IS NULL) AS redemption_count,
        count(DISTINCT t.lms_user_id) FILTER (WHERE r.uuid IS NULL) AS learner_count,
        min(t.created) AS first_spend_at,
        max(t.created) AS last_spend_at
    FROM scoped AS p
    JOIN subsidy AS s ON s.uuid = p.subsidy_uuid
    JOIN lcm_raw.ledger_transaction AS t
        ON t.ledger_id = s.ledger_id
        AND t.subsidy_access_policy_uuid = p.uuid
        AND t.state IN ('created', 'pending', 'committed')
    LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
    GROUP BY p.uuid
),

allocated AS (
    SELECT p.uuid AS policy_key, sum(a.content_quantity) AS total_allocated
    FROM scoped AS p
    JOIN lcm_raw.access_learnercontentassignment AS a
        ON a.assignment_configuration_id = p.assignment_configuration_id
        AND a.state = 'allocated'
    GROUP BY p.uuid
),

groups AS (
    SELECT g.subsidy_access_policy_id AS policy_key,
        array_agg(g.enterprise_group_uuid::uuid ORDER BY g.enterprise_group_uuid) AS group_uuids
    FROM lcm_raw.access_policygroupassociation AS g
    WHERE g.subsidy_access_policy_id IN (SELECT uuid FROM scoped)
        AND g.enterprise_group_uuid IS NOT NULL
    GROUP BY g.subsidy_access_policy_id
),

facts AS (
    SELECT
        p.*,
        c.active AS configuration_active,
        coalesce(q.active, FALSE) AND p.learner_credit_request_config_id IS NOT NULL
            AS bnr_enabled,
        s.uuid IS NOT NULL AND NOT s.is_soft_deleted AS subsidy_available,
        s.active_datetime AS subsidy_active_datetime,
        s.expiration_datetime AS subsidy_expiration_datetime,
        s.internal_only AS subsidy_internal_only,
        s.current_balance_cents,
        s.total_deposits_cents,
        coalesce(lm.total_spend_limits, 0) AS total_spend_limits_cents,
        -coalesce(rd.total_redeemed, 0) AS spent,
        coalesce(rd.redemption_count, 0) AS redemption_count,
        coalesce(rd.learner_count, 0) AS learner_count,
        rd.first_spend_at,
        rd.last_spend_at,
        -coalesce(al.total_allocated, 0) AS allocated_all,
        coalesce(g.group_uuids, ARRAY[]::uuid[]) AS group_uuids
    FROM scoped AS p
    LEFT JOIN lcm_raw.access_assignmentconfiguration AS c
        ON c.uuid = p.assignment_configuration_id
    LEFT JOIN lcm_raw.access_learnercreditrequestconfiguration AS q
        ON q.uuid = p.learner_credit_request_config_id
    LEFT JOIN subsidy AS s ON s.uuid = p.subsidy_uuid
    LEFT JOIN redeemed AS rd ON rd.policy_key = p.uuid
    LEFT JOIN allocated AS al ON al.policy_key = p.uuid
    LEFT JOIN groups AS g ON g.policy_key = p.uuid
    LEFT JOIN limits AS lm
        ON lm.subsidy_uuid = p.subsidy_uuid
        AND lm.enterprise_customer_uuid = p.enterprise_customer_uuid
),

counted AS (
    SELECT
        f.*,
        CASE
            WHEN f.policy_type = 'AssignedLearnerCreditAccessPolicy' THEN f.allocated_all
            WHEN f.policy_type = 'PerLearnerSpendCreditAccessPolicy' AND f.bnr_enabled
                THEN f.allocated_all
            ELSE 0
        END AS allocated,
        CASE
            WHEN f.spend_limit IS NULL THEN f.current_balance_cents
            ELSE least(greatest(0, f.spend_limit - f.spent), f.current_balance_cents)
        END AS available_base
    FROM facts AS f
)

SELECT
    c.uuid::uuid AS policy_uuid,
    c.enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
    c.subsidy_uuid::uuid AS subsidy_uuid,
    c.policy_type,
    c.display_name,
    c.description,
    c.active,
    c.retired,
    c.retired_at,
    c.catalog_uuid::uuid AS catalog_uuid,
    c.access_method,
    c.spend_limit::bigint AS spend_limit_cents,
    c.per_learner_spend_limit::bigint AS per_learner_spend_limit_cents,
    c.per_learner_enrollment_limit::bigint AS per_learner_enrollment_limit,
    c.late_redemption_allowed_until,
    c.assignment_configuration_id::uuid AS assignment_configuration_uuid,
    c.configuration_active AS assignment_configuration_active,
    c.bnr_enabled,
    c.group_uuids,
    c.subsidy_available,
    CASE WHEN c.subsidy_available THEN c.subsidy_active_datetime END AS subsidy_active_datetime,
    CASE WHEN c.subsidy_available THEN c.subsidy_expiration_datetime END
        AS subsidy_expiration_datetime,
    CASE WHEN c.subsidy_available THEN c.subsidy_internal_only END AS subsidy_internal_only,
    c.spent::bigint AS spent_cents,
    c.allocated::bigint AS allocated_cents,
    CASE WHEN c.subsidy_available THEN c.current_balance_cents END AS subsidy_balance_cents,
    CASE
        WHEN NOT c.subsidy_available THEN NULL
        WHEN c.policy_type = 'AssignedLearnerCreditAccessPolicy'
            OR (c.policy_type = 'PerLearnerSpendCreditAccessPolicy' AND c.bnr_enabled)
            THEN greatest(0, c.available_base - c.allocated)
        ELSE c.available_base
    END::bigint AS spend_available_cents,
    CASE WHEN c.subsidy_available THEN c.total_deposits_cents END
        AS total_deposits_for_subsidy_cents,
    c.total_spend_limits_cents::bigint AS total_spend_limits_for_subsidy_cents,
    c.redemption_count::bigint AS redemption_count,
    c.learner_count::bigint AS learner_count,
    c.first_spend_at,
    c.last_spend_at,
    c.created,
    CAST(:data_as_of AS timestamptz) AS data_as_of
FROM counted AS c
