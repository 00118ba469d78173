-- lcm.offer_summary: re-derive balance_state with lcm.balance_state where its thresholds (settings)
-- now give another state than the row has, and stamp those rows with this publish's data_as_of.
-- Only such rows are read back and written: the rows' data_as_of is when their values were
-- computed, and readers take the freshness from the publish run (lcm.pipeline_run), so a publish
-- no longer rewrites every summary to move it.
UPDATE lcm.offer_summary AS t
SET
    balance_state = lcm.balance_state(
        t.max_discount,
        t.amount_of_offer_spent,
        CAST(:low_balance_fraction AS numeric),
        CAST(:no_balance_amount AS numeric)
    ),
    data_as_of = :data_as_of
WHERE t.balance_state IS DISTINCT FROM lcm.balance_state(
    t.max_discount,
    t.amount_of_offer_spent,
    CAST(:low_balance_fraction AS numeric),
    CAST(:no_balance_amount AS numeric)
)
