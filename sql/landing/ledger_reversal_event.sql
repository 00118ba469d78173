-- lcm_raw.ledger_reversal from a subsidy_ledger_transaction.reversed event: a reversal is written
-- once and never changes (a single reversal can produce two reversed events).
INSERT INTO lcm_raw.ledger_reversal (
    uuid, created, modified, idempotency_key, quantity, transaction_id, state, landed_run_id
)
VALUES (
    :uuid, :created, :modified, :idempotency_key, :quantity, :transaction_id, :state, :run
)
ON CONFLICT (uuid) DO NOTHING
