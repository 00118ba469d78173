-- v_budget_transaction: one row per ledger transaction of a landed subsidy (redemptions,
-- deposits, adjustments), with the budget's name, the amount in dollars with the sign the admin
-- portal shows (a redemption is spend, positive), its refund and its external order ids.
-- Columns: docs/data-dictionary.md. Created by migration 0012, external_reference added by 0019;
-- a change ships in a new revision.
CREATE OR REPLACE VIEW lcm.v_budget_transaction AS
SELECT
    t.enterprise_customer_uuid,
    t.subsidy_uuid,
    t.policy_uuid,
    coalesce(NULLIF(b.display_name, ''), 'Overview') AS budget_name,
    t.transaction_uuid,
    t.kind,
    t.state,
    t.quantity_cents,
    -t.quantity_cents / 100.0 AS amount_usd,
    t.lms_user_id,
    t.lms_user_email,
    t.content_key,
    t.parent_content_key,
    t.content_title,
    t.course_run_start_date,
    t.fulfillment_identifier,
    t.created AS transaction_at,
    t.reversal_uuid IS NOT NULL AS is_reversed,
    t.reversal_quantity_cents / 100.0 AS refunded_usd,
    t.reversal_created AS reversed_at,
    t.state IN ('created', 'pending', 'committed') AS counts_as_spent,
    t.external_reference
FROM lcm.budget_transaction AS t
LEFT JOIN lcm.budget AS b ON b.policy_uuid = t.policy_uuid;
