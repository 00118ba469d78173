"""Ledger era (issue 14): the analysts' views of budgets, their transactions and the depletion
forecast of both eras (declared in ``sql/views/*.sql``; their text as of this revision is inlined
here, frozen), readable by ``lcm_reader`` with the invoker's rights where the server supports it
(PostgreSQL >= 15), like migration 0003's views.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The views as this revision creates them (frozen: later changes ship as new revisions).
VIEWS = {
    "v_budget": """
CREATE OR REPLACE VIEW lcm.v_budget AS
SELECT
    b.enterprise_customer_uuid,
    b.policy_uuid,
    COALESCE(NULLIF(b.display_name, ''), 'Overview') AS budget_name,
    b.policy_type,
    b.active,
    b.retired,
    b.retired_at,
    CASE
        WHEN b.retired THEN 'Retired'
        WHEN now() < COALESCE(b.subsidy_active_datetime, 'epoch'::timestamptz) THEN 'Scheduled'
        WHEN COALESCE(b.subsidy_expiration_datetime, 'epoch'::timestamptz) > now()
            AND COALESCE(b.subsidy_expiration_datetime, 'epoch'::timestamptz)
                <= now() + interval '120 days' THEN 'Expiring'
        WHEN COALESCE(b.subsidy_active_datetime, 'epoch'::timestamptz) <= now()
            AND now() <= COALESCE(b.subsidy_expiration_datetime, 'epoch'::timestamptz)
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
""",
    "v_budget_transaction": """
CREATE OR REPLACE VIEW lcm.v_budget_transaction AS
SELECT
    t.enterprise_customer_uuid,
    t.subsidy_uuid,
    t.policy_uuid,
    COALESCE(NULLIF(b.display_name, ''), 'Overview') AS budget_name,
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
    t.state IN ('created', 'pending', 'committed') AS counts_as_spent
FROM lcm.budget_transaction AS t
LEFT JOIN lcm.budget AS b ON b.policy_uuid = t.policy_uuid;
""",
    "v_depletion_forecast": """
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
        false AS unknown,
        CASE WHEN s.max_discount IS NOT NULL THEN s.remaining_balance END AS remaining_usd,
        s.end_datetime AS expires_at,
        COALESCE((
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
        COALESCE(NULLIF(b.display_name, ''), 'Overview'),
        NOT b.subsidy_available,
        b.spend_available_cents / 100.0,
        b.subsidy_expiration_datetime,
        COALESCE((
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
""",
}


def upgrade() -> None:
    server = int(op.get_bind().execute(text("SHOW server_version_num")).scalar_one())
    for view, create in VIEWS.items():
        op.execute(create)
        if server >= 150000:
            op.execute(f"ALTER VIEW lcm.{view} SET (security_invoker = true)")
        op.execute(f"GRANT SELECT ON lcm.{view} TO lcm_reader")


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS lcm.{view}")
