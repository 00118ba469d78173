-- Orders whose redemptions may have changed since landing run :since_run — any of their landed
-- rows changed, or their offer became valid/invalid or changed enterprise since the last publish.
SELECT id AS order_id FROM lcm_raw.ecommerce_order WHERE landed_run_id > :since_run
UNION
SELECT order_id FROM lcm_raw.ecommerce_orderdiscount WHERE landed_run_id > :since_run
UNION
SELECT order_id FROM lcm_raw.ecommerce_line WHERE landed_run_id > :since_run
UNION
SELECT order_id FROM lcm_raw.ecommerce_refund WHERE landed_run_id > :since_run
UNION
SELECT l.order_id
FROM lcm_raw.ecommerce_refundline AS rl
JOIN lcm_raw.ecommerce_line AS l ON l.id = rl.order_line_id
WHERE rl.landed_run_id > :since_run
UNION
SELECT r.id
FROM lcm_raw.ecommerce_user AS u
JOIN lcm_raw.ecommerce_order AS r ON r.user_id = u.id
WHERE u.landed_run_id > :since_run
UNION
SELECT l.order_id
FROM lcm_raw.ecommerce_product AS p
JOIN lcm_raw.ecommerce_line AS l ON l.product_id = p.id
WHERE p.landed_run_id > :since_run
UNION
SELECT l.order_id
FROM lcm_raw.ecommerce_product AS parent
JOIN lcm_raw.ecommerce_product AS p ON p.parent_id = parent.id
JOIN lcm_raw.ecommerce_line AS l ON l.product_id = p.id
WHERE parent.landed_run_id > :since_run
UNION
SELECT l.order_id
FROM lcm_raw.ecommerce_course AS cr
JOIN lcm_raw.ecommerce_product AS p ON p.course_id = cr.id
JOIN lcm_raw.ecommerce_line AS l ON l.product_id = p.id
WHERE cr.landed_run_id > :since_run
UNION
SELECT d.order_id
FROM changed_offer AS c
JOIN lcm_raw.ecommerce_orderdiscount AS d ON d.offer_id = c.offer_id
-- Data-sharing consent: a learner's data-sharing consent changed (their orders; consent is keyed by username),
-- or an enterprise's email visibility changed since the last publish (all its orders).
UNION
SELECT r.id
FROM lcm_raw.lms_datasharingconsent AS dsc
JOIN lcm_raw.ecommerce_user AS u ON u.username = dsc.username
JOIN lcm_raw.ecommerce_order AS r ON r.user_id = u.id
WHERE dsc.landed_run_id > :since_run
UNION
SELECT d.order_id
FROM email_changed_offer AS c
JOIN lcm_raw.ecommerce_orderdiscount AS d ON d.offer_id = c.offer_id
-- Issue 9: a learner's LMS enterprise course enrollment (or the customer-user row it hangs on)
-- landed: their orders take its id as enterprise_enrollment_id.
UNION
SELECT r.id
FROM lcm_raw.lms_enterprisecourseenrollment AS ece
JOIN lcm_raw.lms_enterprisecustomeruser AS ecu ON ecu.id = ece.enterprise_customer_user_id
JOIN lcm_raw.ecommerce_user AS u ON u.lms_user_id = ecu.user_id
JOIN lcm_raw.ecommerce_order AS r ON r.user_id = u.id
WHERE ece.landed_run_id > :since_run
UNION
SELECT r.id
FROM lcm_raw.lms_enterprisecustomeruser AS ecu
JOIN lcm_raw.lms_enterprisecourseenrollment AS ece ON ece.enterprise_customer_user_id = ecu.id
JOIN lcm_raw.ecommerce_user AS u ON u.lms_user_id = ecu.user_id
JOIN lcm_raw.ecommerce_order AS r ON r.user_id = u.id
WHERE ecu.landed_run_id > :since_run
