-- lcm.budget_assignment: one row per learner content assignment in scope — every one when
-- :full, else those whose own row or one of whose actions landed after :since_run, and those of
-- the budgets in ledger_scope_policy (the subsidy's expiration bounds the earliest expiration).
-- Derived as enterprise-access derives them for its admin table:
--   learner_state: allocated → 'failed' when an action errored and none notified successfully,
--                  'waiting' once notified, else 'notifying'; errored → 'failed'; expired →
--                  'expired'; accepted, cancelled, reversed → NULL;
--   recent_action: 'reminded' at the latest successful reminder, else 'assigned' at creation;
--   error_reason: for errored assignments, the latest action with an error;
--   earliest_possible_expiration: allocated_at + 90 days, or the subsidy's expiration if sooner.
-- Date-times inside the jsonb columns are naive UTC ISO strings (the API renders them).
WITH scope AS (
    SELECT a.uuid
    FROM lcm_raw.access_learnercontentassignment AS a
    WHERE CAST(:full AS boolean) OR a.landed_run_id > :since_run
    UNION
    SELECT x.assignment_id
    FROM lcm_raw.access_learnercontentassignmentaction AS x
    WHERE x.landed_run_id > :since_run
    UNION
    SELECT a.uuid
    FROM ledger_scope_policy AS k
    JOIN lcm_raw.access_subsidyaccesspolicy AS p ON p.uuid = k.policy_key
    JOIN lcm_raw.access_learnercontentassignment AS a
        ON a.assignment_configuration_id = p.assignment_configuration_id
),

action AS (
    SELECT
        x.assignment_id,
        bool_or(x.action_type = 'notified' AND x.error_reason IS NULL
            AND x.completed_at IS NOT NULL) AS notified,
        bool_or(x.error_reason IS NOT NULL) AS errored,
        bool_or(x.action_type = 'reminded' AND x.error_reason IS NULL
            AND x.completed_at IS NOT NULL) AS reminded,
        max(x.completed_at) FILTER (WHERE x.action_type = 'reminded') AS last_reminded_at,
        (array_agg(jsonb_build_object('action_type', x.action_type,
            'error_reason', x.error_reason) ORDER BY x.created DESC, x.uuid DESC)
            FILTER (WHERE x.error_reason IS NOT NULL))[1] AS last_error,
        jsonb_agg(jsonb_build_object(
            'created', x.created AT TIME ZONE 'UTC',
            'modified', x.modified AT TIME ZONE 'UTC',
            'uuid', x.uuid::uuid,
            'action_type', x.action_type,
            'completed_at', x.completed_at AT TIME ZONE 'UTC',
            'error_reason', x.error_reason
        ) ORDER BY x.created, x.uuid) AS actions
    FROM lcm_raw.access_learnercontentassignmentaction AS x
    WHERE x.assignment_id IN (SELECT uuid FROM scope)
    GROUP BY x.assignment_id
),

derived AS (
    SELECT
        a.*,
        c.enterprise_customer_uuid AS configuration_enterprise,
        p.uuid AS policy_key,
        s.expiration_datetime AS subsidy_expiration,
        CASE
            WHEN a.state = 'allocated' AND coalesce(x.errored, FALSE)
                AND NOT coalesce(x.notified, FALSE) THEN 'failed'
            WHEN a.state = 'allocated' AND coalesce(x.notified, FALSE) THEN 'waiting'
            WHEN a.state = 'allocated' THEN 'notifying'
            WHEN a.state = 'errored' THEN 'failed'
            WHEN a.state = 'expired' THEN 'expired'
        END AS learner_state,
        coalesce(x.reminded, FALSE) AS reminded,
        x.last_reminded_at,
        x.last_error,
        coalesce(x.actions, '[]'::jsonb) AS actions
    FROM scope AS k
    JOIN lcm_raw.access_learnercontentassignment AS a ON a.uuid = k.uuid
    JOIN lcm_raw.access_assignmentconfiguration AS c ON c.uuid = a.assignment_configuration_id
    LEFT JOIN lcm_raw.access_subsidyaccesspolicy AS p
        ON p.assignment_configuration_id = a.assignment_configuration_id
    LEFT JOIN lcm_raw.subsidy_subsidy AS s ON s.uuid = p.subsidy_uuid AND NOT s.is_soft_deleted
    LEFT JOIN action AS x ON x.assignment_id = a.uuid
)

SELECT
    d.uuid::uuid AS assignment_uuid,
    d.configuration_enterprise::uuid AS enterprise_customer_uuid,
    d.assignment_configuration_id::uuid AS assignment_configuration_uuid,
    d.policy_key::uuid AS policy_uuid,
    d.learner_email,
    d.lms_user_id,
    d.content_key,
    d.parent_content_key,
    d.is_assigned_course_run,
    d.content_title,
    d.content_quantity AS content_quantity_cents,
    d.state,
    d.transaction_uuid::uuid AS transaction_uuid,
    d.allocated_at,
    d.learner_state,
    CASE d.learner_state
        WHEN 'notifying' THEN 0
        WHEN 'waiting' THEN 1
        WHEN 'failed' THEN 2
        WHEN 'expired' THEN 3
        ELSE 999
    END AS learner_state_sort_order,
    CASE WHEN d.reminded THEN 'reminded' ELSE 'assigned' END AS recent_action,
    coalesce(d.last_reminded_at, d.created) AS recent_action_time,
    CASE WHEN d.state = 'errored' THEN d.last_error END AS error_reason,
    d.actions,
    jsonb_build_object(
        'date',
        (CASE
            WHEN d.subsidy_expiration IS NOT NULL
                AND d.subsidy_expiration < d.allocated_at + interval '90 days'
                THEN d.subsidy_expiration
            ELSE d.allocated_at + interval '90 days'
        END) AT TIME ZONE 'UTC',
        'reason',
        CASE
            WHEN d.subsidy_expiration IS NOT NULL
                AND d.subsidy_expiration < d.allocated_at + interval '90 days'
                THEN 'SUBSIDY_EXPIRED'
            ELSE 'NINETY_DAYS_PASSED'
        END
    ) AS earliest_possible_expiration,
    d.created,
    d.modified
FROM derived AS d
