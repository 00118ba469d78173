-- lcm.budget_transaction: one row per ledger transaction in ledger_scope_transaction whose ledger
-- belongs to a landed subsidy, with its reversal (at most one). kind: 'deposit' or 'adjustment'
-- when a deposit or adjustment row carries it, else 'redemption'. Amounts are the ledger's signed
-- cents (a redemption is negative, its reversal positive). metadata columns hold the source's
-- JSON text as jsonb (a JSON string when the text is not JSON). external_reference: the ids of
-- its external (GEAG, Exec Ed) order references in id order, empty when it has none.
SELECT
    t.uuid::uuid AS transaction_uuid,
    s.uuid::uuid AS subsidy_uuid,
    s.enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
    t.subsidy_access_policy_uuid::uuid AS policy_uuid,
    CASE
        WHEN d.uuid IS NOT NULL THEN 'deposit'
        WHEN a.uuid IS NOT NULL THEN 'adjustment'
        ELSE 'redemption'
    END AS kind,
    t.state,
    t.quantity AS quantity_cents,
    s.unit,
    t.idempotency_key,
    lcm.jsonb_or_text(t.metadata) AS metadata,
    t.lms_user_id,
    t.lms_user_email,
    t.content_key,
    t.parent_content_key,
    t.content_title,
    t.course_run_start_date,
    t.fulfillment_identifier,
    t.created,
    t.modified,
    r.uuid::uuid AS reversal_uuid,
    r.state AS reversal_state,
    r.quantity AS reversal_quantity_cents,
    r.idempotency_key AS reversal_idempotency_key,
    lcm.jsonb_or_text(r.metadata) AS reversal_metadata,
    r.created AS reversal_created,
    r.modified AS reversal_modified,
    coalesce(e.reference_ids, ARRAY[]::text[]) AS external_reference
FROM ledger_scope_transaction AS k
JOIN lcm_raw.ledger_transaction AS t ON t.uuid = k.transaction_key
JOIN lcm_raw.subsidy_subsidy AS s ON s.ledger_id = t.ledger_id
LEFT JOIN lcm_raw.ledger_reversal AS r ON r.transaction_id = t.uuid
LEFT JOIN lcm_raw.ledger_deposit AS d ON d.transaction_id = t.uuid
LEFT JOIN lcm_raw.ledger_adjustment AS a ON a.transaction_id = t.uuid
LEFT JOIN LATERAL (
    SELECT array_agg(x.external_reference_id ORDER BY x.external_reference_id) AS reference_ids
    FROM lcm_raw.ledger_externaltransactionreference AS x
    WHERE x.transaction_id = t.uuid
) AS e ON TRUE
