"""``lcm_reader`` may execute the page's six functions (migration 0016), so ``lcm-etl page`` calls
them as the API does and the page's SELECTs exist once, in the functions.

``lcm-etl page`` reads as its login, with no role switch: the read model's owner (who may execute
its own functions) or, against a read replica, a login granted ``lcm_reader``, which could not.
The functions are ``SECURITY INVOKER``, so they give a reader what its SELECTs give it (every
tenant, as the analysts' policy allows) and ``lcm_portal`` in a tenant transaction only its
tenant, as before. ``PUBLIC`` still may not execute them.

Revision ID: 0020
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "lcm_reader"
# The signatures as of migration 0016 (frozen).
PAGE_FUNCTIONS = (
    "lcm.page_offers(uuid)",
    "lcm.page_eligibility(uuid)",
    "lcm.page_data_as_of(uuid)",
    "lcm.page_budgets(uuid)",
    "lcm.page_offer_spend(uuid, integer)",
    "lcm.page_budget_spend(uuid, integer)",
)


def upgrade() -> None:
    for signature in PAGE_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {READER}")


def downgrade() -> None:
    for signature in PAGE_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM {READER}")
