-- lcm_raw.ledger_transaction from a subsidy_ledger_transaction event: insert the transaction, or
-- move a landed one forward in the state order created (0) < pending (1) < committed = failed (2)
-- — never backwards, so a duplicate or late event changes nothing. The fulfillment identifier
-- (first carried by the committed event) fills in once. Columns the events lack (email, title,
-- metadata, course start) stay as the database pull landed them.
INSERT INTO lcm_raw.ledger_transaction AS t (
    uuid, created, modified, idempotency_key, quantity, lms_user_id, ledger_id, content_key,
    state, subsidy_access_policy_uuid, fulfillment_identifier, parent_content_key, landed_run_id
)
VALUES (
    :uuid, :created, :modified, :idempotency_key, :quantity, :lms_user_id, :ledger_id,
    :content_key, :state, :policy, :fulfillment_identifier, :parent_content_key, :run
)
ON CONFLICT (uuid) DO UPDATE
SET state = CASE
        WHEN (CASE excluded.state WHEN 'created' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)
            > (CASE t.state WHEN 'created' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)
            THEN excluded.state
        ELSE t.state
    END,
    modified = greatest(t.modified, excluded.modified),
    fulfillment_identifier = coalesce(t.fulfillment_identifier, excluded.fulfillment_identifier),
    landed_run_id = excluded.landed_run_id,
    landed_at = now()
WHERE (CASE excluded.state WHEN 'created' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)
        > (CASE t.state WHEN 'created' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)
    OR (t.fulfillment_identifier IS NULL AND excluded.fulfillment_identifier IS NOT NULL)
