-- v_budget: one row per budget (enterprise-access subsidy access policy) with its amounts in
-- dollars as the services render them (cents / 100) and the admin portal's status evaluated when
-- queried (Retired; Scheduled before the subsidy starts; Expiring within 120 days of its end;
-- Active; else Expired — a budget without dates is Expired, as in the portal).
-- Columns: docs/data-dictionary.md. Created by migration 0012; a change ships in a new revision.
CREATE OR REPLACE VIEW lcm.v_budget AS
SELECT
    b.enterprise_customer_uuid,
    b.policy_uuid,
    coalesce(NULLIF(b.display_name, ''), 'Overview') AS budget_name,
    b.policy_type,
    b.active,
    b.retired,
    b.retired_at,
    CASE
        WHEN b.retired THEN 'Retired'
        WHEN now() < coalesce(b.subsidy_active_datetime, 'epoch'::timestamptz) THEN 'Scheduled'
        WHEN coalesce(b.subsidy_expiration_datetime, 'epoch'::timestamptz) > now()
            AND coalesce(b.subsidy_expiration_datetime, 'epoch'::timestamptz)
                <= now() + interval '120 days' THEN 'Expiring'
        WHEN coalesce(b.subsidy_active_datetime, 'epoch'::timestamptz) <= now()
            AND now() <= coalesce(b.subsidy_expiration_datetime, 'epoch'::timestamptz)
            THEN 'Active'
        ELSE 'Expired'
    END AS status,
    b.subsidy_uuid,
    b.subsidy_active_datetime AS start_datetime,
    b.subsidy_expiration_datetime AS end_datetime,
    b.subsidy_available,
    b.subsidy_internal_only,
    b.bnr_enabled,
    b.assignment_configuration_uuid,
    b.spend_limit_cents / 100.0 AS spend_limit_usd,
    b.per_learner_spend_limit_cents / 100.0 AS per_learner_spend_limit_usd,
    b.per_learner_enrollment_limit,
    b.spent_cents / 100.0 AS spent_usd,
    b.allocated_cents / 100.0 AS allocated_usd,
    b.spend_available_cents / 100.0 AS available_usd,
    b.subsidy_balance_cents / 100.0 AS subsidy_balance_usd,
    b.total_deposits_for_subsidy_cents / 100.0 AS subsidy_total_deposits_usd,
    b.redemption_count,
    b.learner_count,
    b.first_spend_at,
    b.last_spend_at,
    b.data_as_of
FROM lcm.budget AS b;
