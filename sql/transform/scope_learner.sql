-- scope_learner: one row per (LMS enterprise customer id, ecommerce username, LMS user id) of
-- the learners of the discounts in scoped_discount, on an incremental or targeted publish (none
-- on a full one, which reads every learner): granted_consent.sql and enterprise_enrollment.sql
-- look up only their LMS rows. Materialized per publish as the temporary table scope_learner.
SELECT DISTINCT
    replace(d.enterprise_customer_uuid::text, '-', '') AS enterprise_customer_id,
    u.username,
    u.lms_user_id
FROM scoped_discount AS d
JOIN lcm_raw.ecommerce_user AS u ON u.id = d.user_id
WHERE NOT CAST(:full AS boolean) AND d.enterprise_customer_uuid IS NOT NULL
