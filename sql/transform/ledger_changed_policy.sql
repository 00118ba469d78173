-- Budgets (enterprise-access policies, by 32-hex key) whose own landed rows changed after landing
-- run :since_run: the policy, its group links, its assignment or Browse-and-Request configuration,
-- or an assignment (or an assignment's action) of that configuration. Every policy when :full.
SELECT p.uuid AS policy_key
FROM lcm_raw.access_subsidyaccesspolicy AS p
WHERE CAST(:full AS boolean) OR p.landed_run_id > :since_run

UNION

SELECT g.subsidy_access_policy_id
FROM lcm_raw.access_policygroupassociation AS g
WHERE g.landed_run_id > :since_run

UNION

SELECT p.uuid
FROM lcm_raw.access_subsidyaccesspolicy AS p
JOIN lcm_raw.access_learnercreditrequestconfiguration AS r
    ON r.uuid = p.learner_credit_request_config_id
WHERE r.landed_run_id > :since_run

UNION

SELECT p.uuid
FROM lcm_raw.access_subsidyaccesspolicy AS p
JOIN (
    SELECT c.uuid AS configuration_key
    FROM lcm_raw.access_assignmentconfiguration AS c
    WHERE c.landed_run_id > :since_run
    UNION
    SELECT a.assignment_configuration_id
    FROM lcm_raw.access_learnercontentassignment AS a
    WHERE a.landed_run_id > :since_run
) AS changed ON changed.configuration_key = p.assignment_configuration_id
