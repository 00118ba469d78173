-- v_depletion_forecast: one row per enterprise offer and per budget (both eras): when what remains
-- runs out at the trailing 30-day net spend rate, as of the last successful publish's data_as_of
-- (docs/forecast.md). The window is the 30 UTC days ending with that day. status: 'uncapped' (an
-- offer without max_discount), 'unknown' (a budget whose subsidy is unknown or soft-deleted),
-- 'depleted' (nothing left), 'no_recent_spend' (net spend in the window <= 0), 'after_expiry'
-- (the money outlasts the plan's end) or 'projected' (then projected_depletion_date is set).
-- The page computes the same in Python (lcm_etl/forecast.py); a test holds them together.
-- Columns: docs/data-dictionary.md. Created by migration 0012; a change ships in a new revision.
CREATE OR REPLACE VIEW lcm.v_depletion_forecast AS
WITH as_of AS (
    SELECT max(data_as_of) AS at
    FROM lcm.pipeline_run
    WHERE stage = 'publish' AND status = 'succeeded'
),

inputs AS (
    SELECT
        'offer' AS era,
        s.offer_id::text AS subject_id,
        s.enterprise_customer_uuid,
        s.display_name AS subject_name,
        FALSE AS unknown,
        CASE WHEN s.max_discount IS NOT NULL THEN s.remaining_balance END AS remaining_usd,
        s.end_datetime AS expires_at,
        coalesce((
            SELECT sum(d.amount_spent - d.amount_refunded)
            FROM lcm.offer_utilization_daily AS d
            WHERE d.offer_id = s.offer_id
                AND d.day >= (a.at AT TIME ZONE 'UTC')::date - 29
        ), 0) AS net_spend_usd,
        a.at AS as_of
    FROM lcm.offer_summary AS s
    CROSS JOIN as_of AS a
    UNION ALL
    SELECT
        'budget',
        b.policy_uuid::text,
        b.enterprise_customer_uuid,
        coalesce(NULLIF(b.display_name, ''), 'Overview'),
        NOT b.subsidy_available,
        b.spend_available_cents / 100.0,
        b.subsidy_expiration_datetime,
        coalesce((
            SELECT sum(d.spent_cents - d.refunded_cents)
            FROM lcm.budget_utilization_daily AS d
            WHERE d.policy_uuid = b.policy_uuid
                AND d.day >= (a.at AT TIME ZONE 'UTC')::date - 29
        ), 0) / 100.0,
        a.at
    FROM lcm.budget AS b
    CROSS JOIN as_of AS a
),

projected AS (
    SELECT
        i.*,
        CASE
            WHEN i.net_spend_usd > 0 AND i.remaining_usd > 0
                THEN ((i.as_of + make_interval(
                    secs => (i.remaining_usd / (i.net_spend_usd / 30) * 86400)::float8
                )) AT TIME ZONE 'UTC')::date
        END AS depletion_date
    FROM inputs AS i
)

SELECT
    p.era,
    p.subject_id,
    p.enterprise_customer_uuid,
    p.subject_name,
    p.as_of,
    30 AS window_days,
    p.remaining_usd,
    p.net_spend_usd AS window_net_spend_usd,
    CASE
        WHEN p.unknown OR p.remaining_usd IS NULL THEN NULL
        WHEN p.net_spend_usd > 0 THEN round(p.net_spend_usd / 30, 2)
    END AS daily_net_spend_usd,
    CASE
        WHEN p.unknown THEN 'unknown'
        WHEN p.remaining_usd IS NULL THEN 'uncapped'
        WHEN p.remaining_usd <= 0 THEN 'depleted'
        WHEN p.net_spend_usd <= 0 THEN 'no_recent_spend'
        WHEN p.expires_at IS NOT NULL
            AND p.depletion_date > (p.expires_at AT TIME ZONE 'UTC')::date THEN 'after_expiry'
        ELSE 'projected'
    END AS status,
    CASE
        WHEN NOT p.unknown AND p.remaining_usd > 0 AND p.net_spend_usd > 0
            AND (p.expires_at IS NULL
                OR p.depletion_date <= (p.expires_at AT TIME ZONE 'UTC')::date)
            THEN p.depletion_date
    END AS projected_depletion_date,
    p.expires_at
FROM projected AS p;
