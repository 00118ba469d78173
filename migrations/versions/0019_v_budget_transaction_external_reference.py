"""lcm.v_budget_transaction gains ``external_reference``: the ids of the transaction's external
(GEAG, Exec Ed) order references, as the Spent table shows them (migration 0015 added the column
to ``lcm.budget_transaction``; the analysts' view did not show it, so SQL could not match a
transaction with its Exec Ed order). The column is appended: ``CREATE OR REPLACE VIEW`` keeps the
existing columns, their order and the grants, but it resets the view's options, so the invoker's
rights are set again. The view's text as of this revision is inlined (frozen).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V_BUDGET_TRANSACTION = """
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
    t.state IN ('created', 'pending', 'committed') AS counts_as_spent,
    t.external_reference
FROM lcm.budget_transaction AS t
LEFT JOIN lcm.budget AS b ON b.policy_uuid = t.policy_uuid
"""

# The view as migration 0012 created it ends with counts_as_spent; the downgrade recreates that.
_SPENT = "    t.state IN ('created', 'pending', 'committed') AS counts_as_spent"
_ADDED = f"{_SPENT},\n    t.external_reference\nFROM"
_BEFORE = f"{_SPENT}\nFROM"


def _keep_invoker_rights() -> None:
    # CREATE OR REPLACE VIEW resets the view's options: without this the view would run with its
    # owner's rights again and row-level security would no longer apply to whoever reads it.
    version = op.get_bind().execute(text("SHOW server_version_num")).scalar_one()
    if int(version) >= 150000:
        op.execute("ALTER VIEW lcm.v_budget_transaction SET (security_invoker = true)")


def upgrade() -> None:
    op.execute(V_BUDGET_TRANSACTION)
    _keep_invoker_rights()


def downgrade() -> None:
    # A view cannot lose a column through CREATE OR REPLACE; dropping it drops its grant too.
    op.execute("DROP VIEW lcm.v_budget_transaction")
    op.execute(V_BUDGET_TRANSACTION.replace(_ADDED, _BEFORE))
    _keep_invoker_rights()
    op.execute("GRANT SELECT ON lcm.v_budget_transaction TO lcm_reader")
