"""Publishes stop stamping every ``lcm.offer_summary`` row: ``data_as_of`` of a summary is now when
its values were computed (the publish that last recomputed it, or re-derived its balance state),
and how fresh an enterprise's data is comes from the publish run (``lcm.pipeline_run``), as the
page already reads it (``lcm.page_data_as_of``). Before, each publish rewrote every summary to
move the column, a cost that grew with the number of offers rather than with the change (issue
12, docs/serving.md "Incremental passes").

``lcm.v_offer_balance.data_as_of`` keeps its meaning for analysts: the newest of the row's stamp
and the last successful publish that covered its enterprise (every full or incremental publish;
a targeted one only its enterprises). ``CREATE OR REPLACE VIEW`` keeps the columns and the grants
but resets the view's options, so the invoker's rights are set again. The view's text as of this
revision is inlined (frozen).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V_OFFER_BALANCE = """
CREATE OR REPLACE VIEW lcm.v_offer_balance AS
SELECT
    s.enterprise_customer_uuid,
    s.enterprise_name,
    s.offer_id,
    s.display_name,
    s.status,
    s.start_datetime,
    s.end_datetime,
    (s.start_datetime IS NULL OR s.start_datetime <= now())
        AND (s.end_datetime IS NULL OR now() <= s.end_datetime) AS is_current,
    s.usage_type,
    s.discount_value,
    s.is_fcfs_org_wide,
    s.max_discount,
    s.amount_spent,
    s.amount_refunded,
    s.amount_of_offer_spent AS net_spent,
    s.remaining_balance,
    s.percent_of_offer_spent,
    s.redeemed_funds,
    s.remaining_funds,
    s.percent_utilized,
    s.balance_state,
    s.enrollment_count,
    s.learner_count,
    s.first_spend_at,
    s.last_spend_at,
    s.total_discount_ecommerce,
    s.ecommerce_drift,
    greatest(s.data_as_of, every_enterprise.data_as_of, targeted.data_as_of) AS data_as_of
FROM lcm.offer_summary AS s
CROSS JOIN (
    SELECT max(r.data_as_of) AS data_as_of
    FROM lcm.pipeline_run AS r
    WHERE r.stage = 'publish' AND r.status = 'succeeded' AND r.mode != 'targeted'
) AS every_enterprise
LEFT JOIN (
    SELECT e.enterprise_customer_uuid, max(r.data_as_of) AS data_as_of
    FROM lcm.pipeline_run AS r
    CROSS JOIN LATERAL unnest(r.enterprise_uuids) AS e (enterprise_customer_uuid)
    WHERE r.stage = 'publish' AND r.status = 'succeeded' AND r.mode = 'targeted'
    GROUP BY e.enterprise_customer_uuid
) AS targeted ON targeted.enterprise_customer_uuid = s.enterprise_customer_uuid
"""

# The view as migration 0003 created it: data_as_of straight from the row.
_FROM_THE_RUN = V_OFFER_BALANCE[V_OFFER_BALANCE.index("    greatest(s.data_as_of") :]
V_OFFER_BALANCE_0003 = V_OFFER_BALANCE.replace(
    _FROM_THE_RUN, "    s.data_as_of\nFROM lcm.offer_summary AS s\n"
)


def _keep_invoker_rights() -> None:
    # CREATE OR REPLACE VIEW resets the view's options: without this the view would run with its
    # owner's rights again and row-level security would no longer apply to whoever reads it.
    version = op.get_bind().execute(text("SHOW server_version_num")).scalar_one()
    if int(version) >= 150000:
        op.execute("ALTER VIEW lcm.v_offer_balance SET (security_invoker = true)")


def upgrade() -> None:
    op.execute(V_OFFER_BALANCE)
    _keep_invoker_rights()


def downgrade() -> None:
    op.execute(V_OFFER_BALANCE_0003)
    _keep_invoker_rights()
