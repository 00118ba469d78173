-- granted_consent: one row per (LMS enterprise customer id, username, course id) with a granted
-- data-sharing consent record, for the learners of the discounts in scoped_discount — every
-- granted record on a full publish (scope_learner.sql). offer_redemption.sql joins it to decide whether an email
-- may be shown (email_policy.sql says where consent is required).
-- Two branches rather than an OR (see scoped_line.sql): a full publish hashes the whole table,
-- an incremental one looks up each (enterprise, learner) of the scope in the lookup index.
SELECT DISTINCT
    dsc.enterprise_customer_id,
    dsc.username,
    dsc.course_id
FROM lcm_raw.lms_datasharingconsent AS dsc
WHERE CAST(:full AS boolean) AND dsc.granted
    -- (only where consent is required does it decide anything)
    AND dsc.enterprise_customer_id IN (
        SELECT replace(p.enterprise_customer_uuid::text, '-', '') FROM email_policy AS p
        WHERE p.email_visibility = 'consent_required'
    )
UNION ALL
SELECT DISTINCT
    dsc.enterprise_customer_id,
    dsc.username,
    dsc.course_id
FROM scope_learner AS learner
JOIN email_policy AS p
    ON replace(p.enterprise_customer_uuid::text, '-', '') = learner.enterprise_customer_id
JOIN lcm_raw.lms_datasharingconsent AS dsc
    ON
        dsc.enterprise_customer_id = learner.enterprise_customer_id
        AND dsc.username = learner.username
WHERE p.email_visibility = 'consent_required' AND dsc.granted
