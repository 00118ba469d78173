-- enterprise_enrollment: one row per (LMS user, LMS enterprise customer id, course run) with an
-- LMS enterprise course enrollment, and its lowest id — for the learners of the discounts in
-- scoped_discount (scope_learner.sql), or every one on a full publish. offer_redemption.sql takes it as the
-- redemption's enterprise_enrollment_id (issue 9).
-- Two branches rather than an OR (see scoped_line.sql): a full publish hashes the whole tables,
-- an incremental one looks up each (learner, enterprise) of the scope in the lookup indexes.
SELECT
    ecu.user_id,
    ecu.enterprise_customer_id,
    ece.course_id,
    min(ece.id) AS enterprise_enrollment_id
FROM lcm_raw.lms_enterprisecustomeruser AS ecu
JOIN lcm_raw.lms_enterprisecourseenrollment AS ece ON ece.enterprise_customer_user_id = ecu.id
WHERE CAST(:full AS boolean)
GROUP BY ecu.user_id, ecu.enterprise_customer_id, ece.course_id
UNION ALL
SELECT
    ecu.user_id,
    ecu.enterprise_customer_id,
    ece.course_id,
    min(ece.id) AS enterprise_enrollment_id
FROM scope_learner AS learner
JOIN lcm_raw.lms_enterprisecustomeruser AS ecu
    ON
        ecu.user_id = learner.lms_user_id
        AND ecu.enterprise_customer_id = learner.enterprise_customer_id
JOIN lcm_raw.lms_enterprisecourseenrollment AS ece ON ece.enterprise_customer_user_id = ecu.id
GROUP BY ecu.user_id, ecu.enterprise_customer_id, ece.course_id
