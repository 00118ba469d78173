"""The admin portal's enrollment ids (issue 9): lcm.offer_redemption.enterprise_enrollment_id, and
the LMS enterprise course enrollments it comes from.

The enrollments table of the admin portal reads ``enterprise_enrollment_id`` (and sends it in its
tracking events): the LMS ``enterprise_enterprisecourseenrollment`` id of the learner and course
run. It lands in ``lcm_raw.lms_enterprisecourseenrollment`` (read by its ``modified`` mark, like the
other large LMS tables), and a redemption finds it through the learner's
``enterprise_enterprisecustomeruser`` row for the offer's enterprise — hence the (user,
enterprise) index on the landed customer users.

Existing redemptions get the fallback, their ``order_line_id``. The next pass reads the new
landing table from scratch (it has no watermark yet), so every order of a learner with an LMS
enterprise enrollment is in that pass's scope and gets the LMS id.

Revision ID: 0007
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RAW = "lcm_raw"
TABLE = "lms_enterprisecourseenrollment"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enterprise_customer_user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Text(), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "landed_run_id",
            sa.BigInteger(),
            server_default=sa.text("(current_setting('lcm.landing_run_id'::text))::bigint"),
            nullable=False,
        ),
        sa.Column(
            "landed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        prefixes=["UNLOGGED"],
        schema=RAW,
        comment=(
            "One row per LMS enterprise_enterprisecourseenrollment: a learner's enrollment in a "
            "course run through an enterprise (its id is the enrollments' enterprise_enrollment_id)."
        ),
    )
    op.create_index(op.f(f"ix_{TABLE}_landed_run_id"), TABLE, ["landed_run_id"], schema=RAW)
    op.create_index(
        op.f(f"ix_{TABLE}_lookup"), TABLE, ["enterprise_customer_user_id", "course_id"], schema=RAW
    )
    op.create_index(
        op.f("ix_lms_enterprisecustomeruser_user"),
        "lms_enterprisecustomeruser",
        ["user_id", "enterprise_customer_id"],
        schema=RAW,
    )
    op.add_column(
        "offer_redemption",
        sa.Column("enterprise_enrollment_id", sa.BigInteger(), nullable=True),
        schema="lcm",
    )
    op.execute("UPDATE lcm.offer_redemption SET enterprise_enrollment_id = order_line_id")
    op.alter_column("offer_redemption", "enterprise_enrollment_id", nullable=False, schema="lcm")


def downgrade() -> None:
    op.drop_column("offer_redemption", "enterprise_enrollment_id", schema="lcm")
    op.drop_index(
        op.f("ix_lms_enterprisecustomeruser_user"), "lms_enterprisecustomeruser", schema=RAW
    )
    op.drop_table(TABLE, schema=RAW)
