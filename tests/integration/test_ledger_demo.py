"""The demo source's ledger era: a full pass over ``lcm-etl demo-source`` gives the showcase
customer both eras, with every case the ledger-era page must handle."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from lcm_etl import demo, pipeline, queries
from lcm_etl.schema import budget, budget_assignment, budget_transaction, subsidy_balance

SHOWCASE = uuid.UUID(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)


def test_the_showcase_customer_has_offers_and_budgets_of_every_kind(
    make_settings, tmp_path, engine
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    summary = demo.generate(url, seed=7, scale="S", replace=True)
    assert "ledger era:" in summary.describe()
    settings = make_settings(ecommerce_database_url=url, subsidy_database_url=url,
                             access_database_url=url)  # fmt: skip
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"

    page = queries.learner_credit_page(engine, SHOWCASE, settings=settings)
    assert page is not None
    assert page["offers"]
    budgets = page["budgets"]
    assert {b["policy_type"] for b in budgets} == {
        "AssignedLearnerCreditAccessPolicy",
        "PerLearnerSpendCreditAccessPolicy",
        "PerLearnerEnrollmentCreditAccessPolicy",
    }
    statuses = [b["status"] for b in budgets]
    assert "Retired" in statuses
    assert "Expiring" in statuses
    assert statuses[-1] == "Retired"  # the portal lists retired budgets last
    assert any(b["bnr_enabled"] and b["pending"] for b in budgets)
    with engine.connect() as conn:
        mine = budget_transaction.c.enterprise_customer_uuid == SHOWCASE
        states = set(conn.execute(select(budget_transaction.c.state).where(mine)).scalars())
        kinds = set(conn.execute(select(budget_transaction.c.kind).where(mine)).scalars())
        reversed_count = conn.execute(
            select(func.count()).where(mine, budget_transaction.c.reversal_uuid.is_not(None))
        ).scalar_one()
        assignment_states = set(
            conn.execute(
                select(budget_assignment.c.state).where(
                    budget_assignment.c.enterprise_customer_uuid == SHOWCASE
                )
            ).scalars()
        )
        learner_states = set(
            conn.execute(
                select(budget_assignment.c.learner_state).where(
                    budget_assignment.c.enterprise_customer_uuid == SHOWCASE
                )
            ).scalars()
        )
        deposits = conn.execute(
            select(
                subsidy_balance.c.starting_balance_cents, subsidy_balance.c.total_deposits_cents
            ).where(subsidy_balance.c.enterprise_customer_uuid == SHOWCASE)
        ).all()
        budgets_in_model = conn.execute(
            select(func.count())
            .select_from(budget)
            .where(budget.c.enterprise_customer_uuid == SHOWCASE)
        ).scalar_one()
    assert states == {"created", "pending", "committed", "failed"}
    assert kinds == {"redemption", "deposit", "adjustment"}
    assert reversed_count > 0
    assert assignment_states == {
        "allocated", "accepted", "cancelled", "errored", "expired", "reversed"
    }  # fmt: skip
    assert {"notifying", "waiting", "failed", "expired"} <= learner_states
    # The main subsidy: $50,000 start, +$10,000 top-up, -$2,500 adjustment.
    assert (5_000_000, 5_750_000) in deposits
    assert budgets_in_model == 5
