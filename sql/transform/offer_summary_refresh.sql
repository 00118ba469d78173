-- lcm.offer_summary, every row: re-derive balance_state with lcm.balance_state (its thresholds
-- are settings and may have changed since the row was computed) and stamp the data_as_of of this
-- publish. One row per offer, so this stays cheap; rows already right are not rewritten.
UPDATE lcm.offer_summary AS t
SET balance_state = n.balance_state, data_as_of = :data_as_of
FROM (
    SELECT
        offer_id,
        lcm.balance_state(
            max_discount,
            amount_of_offer_spent,
            CAST(:low_balance_fraction AS numeric),
            CAST(:no_balance_amount AS numeric)
        ) AS balance_state
    FROM lcm.offer_summary
) AS n
WHERE n.offer_id = t.offer_id
    AND (t.balance_state <> n.balance_state OR t.data_as_of <> :data_as_of)
