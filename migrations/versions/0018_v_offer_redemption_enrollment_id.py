"""lcm.v_offer_redemption gains ``enterprise_enrollment_id``: the enrollment's id as the admin
portal's enrollments table and the analytics API give it (migration 0007 added the column to
``lcm.offer_redemption``; the analysts' view did not show it, so SQL could not join the portal's
tracking events back to a redemption). The column is appended: ``CREATE OR REPLACE VIEW`` keeps
the existing columns, their order and the grants, but it resets the view's options, so the
invoker's rights are set again. The view's text as of this revision is inlined (frozen).

Revision ID: 0018
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V_OFFER_REDEMPTION = """
CREATE OR REPLACE VIEW lcm.v_offer_redemption AS
SELECT
    r.enterprise_customer_uuid,
    s.enterprise_name,
    r.offer_id,
    s.display_name AS offer_display_name,
    r.order_number,
    r.order_line_id,
    r.lms_user_id,
    r.user_email,
    r.course_key,
    r.courserun_key,
    r.course_title,
    r.course_list_price,
    r.amount,
    r.amount_refunded,
    r.amount - r.amount_refunded AS net_amount,
    r.amount_learner_paid,
    r.redeemed_at,
    r.enrollment_date,
    r.is_refunded,
    r.refunded_at,
    r.enterprise_enrollment_id
FROM lcm.offer_redemption AS r
LEFT JOIN lcm.offer_summary AS s ON s.offer_id = r.offer_id
"""

# The view as migration 0003 created it ends with this column; the downgrade recreates that.
_ADDED = "    r.refunded_at,\n    r.enterprise_enrollment_id\nFROM"
_BEFORE = "    r.refunded_at\nFROM"


def _keep_invoker_rights() -> None:
    # CREATE OR REPLACE VIEW resets the view's options: without this the view would run with its
    # owner's rights again and row-level security would no longer apply to whoever reads it.
    version = op.get_bind().execute(text("SHOW server_version_num")).scalar_one()
    if int(version) >= 150000:
        op.execute("ALTER VIEW lcm.v_offer_redemption SET (security_invoker = true)")


def upgrade() -> None:
    op.execute(V_OFFER_REDEMPTION)
    _keep_invoker_rights()


def downgrade() -> None:
    # A view cannot lose a column through CREATE OR REPLACE; dropping it drops its grant too.
    op.execute("DROP VIEW lcm.v_offer_redemption")
    op.execute(V_OFFER_REDEMPTION.replace(_ADDED, _BEFORE))
    _keep_invoker_rights()
    op.execute("GRANT SELECT ON lcm.v_offer_redemption TO lcm_reader")
