-- v_offer_redemption: one row per enrollment paid by an offer (order line × offer discount), with
-- the offer's display name and the amount still charged after refunds.
-- Columns: docs/data-dictionary.md. Declared here; a change ships as a new Alembic revision
-- that inlines the new text (see docs/architecture.md, "Schema changes").
CREATE OR REPLACE VIEW lcm.v_offer_redemption AS
SELECT
    r.enterprise_customer_uuid,
    s.enterprise_name,
    r.offer_id,
    s.display_name AS offer_display_name,
    r.order_number,
    r.order_line_id,
    r.lms_user_id,
    r.user_email,
    r.course_key,
    r.courserun_key,
    r.course_title,
    r.course_list_price,
    r.amount,
    r.amount_refunded,
    r.amount - r.amount_refunded AS net_amount,
    r.amount_learner_paid,
    r.redeemed_at,
    r.enrollment_date,
    r.is_refunded,
    r.refunded_at,
    r.enterprise_enrollment_id
FROM lcm.offer_redemption AS r
LEFT JOIN lcm.offer_summary AS s ON s.offer_id = r.offer_id;
