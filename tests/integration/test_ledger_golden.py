"""Golden budgets: hand-made ledger-era sources whose numbers were worked out by hand with the
services' own rules (docs/ledger.md), checked cent for cent after a full pass."""

from __future__ import annotations

from typing import Any

import pytest
from ledger_builder import LedgerBuilder, hex_uuid
from sqlalchemy import Engine, select

from lcm_etl import pipeline, sqlfiles
from lcm_etl.schema import budget, rejected_record, subsidy_balance

from sourcebuilder import SourceBuilder

SPEND = "PerLearnerSpendCreditAccessPolicy"
ENROLL = "PerLearnerEnrollmentCreditAccessPolicy"
ASSIGNED = "AssignedLearnerCreditAccessPolicy"


def build_golden(builder: LedgerBuilder) -> None:
    """Subsidy S1 ($1,000 start, +$500 top-up, -$200 adjustment) carrying five budgets; S2
    soft-deleted with one budget."""
    b = builder
    b.subsidy("S1", "acme", starting_balance=100_000)
    b.deposit("S1", 50_000, "S1:top-up")
    b.adjustment("S1", -20_000, "S1:negative-adjustment")
    # P1: learner-led spend budget. created/pending/committed count, failed does not, a
    # reversal gives back.
    b.policy("P1", "acme", "S1", SPEND, spend_limit=60_000)
    b.redemption("S1", "P1", "p1-committed", 10_000, lms_user_id=1)
    b.redemption("S1", "P1", "p1-pending", 5_000, state="pending", lms_user_id=2)
    b.redemption("S1", "P1", "p1-created", 2_000, state="created", lms_user_id=3)
    b.redemption("S1", "P1", "p1-failed", 7_000, state="failed", lms_user_id=4)
    b.redemption("S1", "P1", "p1-refunded", 8_000, lms_user_id=5)
    b.reversal("p1-refunded", 8_000)
    # P2: assigned budget whose own limit exceeds what the subsidy holds: capped by the balance.
    b.policy("P2", "acme", "S1", ASSIGNED, spend_limit=150_000, assignable=True)
    b.redemption("S1", "P2", "p2-committed", 30_000, lms_user_id=6)
    b.assignment("P2", "p2-allocated-a", 4_000)
    b.assignment("P2", "p2-allocated-b", 6_000)
    b.assignment("P2", "p2-accepted", 30_000, state="accepted")
    b.assignment("P2", "p2-cancelled", 1_000, state="cancelled")
    # P3: spend budget with Browse & Request on: its allocated assignments count.
    b.policy("P3", "acme", "S1", SPEND, spend_limit=20_000, bnr=True)
    b.assignment("P3", "p3-approved", 3_000)
    # P4: enrollment-capped budget without a spend limit: available is the subsidy balance.
    b.policy("P4", "acme", "S1", ENROLL, spend_limit=None, per_learner_enrollment_limit=3)
    b.redemption("S1", "P4", "p4-committed", 1_000, lms_user_id=7)
    # P5: spend budget whose Browse & Request configuration is off: allocated does not count.
    b.policy("P5", "acme", "S1", SPEND, spend_limit=10_000, bnr=False)
    b.assignment("P5", "p5-allocated", 2_500)
    # A redemption naming a budget enterprise-access does not know.
    b.redemption("S1", None, "orphan", 500, policy_key=hex_uuid("policy:nobody"))
    # S2 is soft-deleted: its budget's amounts are unknown to the services (null).
    b.subsidy("S2", "acme", starting_balance=5_000, soft_deleted=True)
    b.policy("P6", "acme", "S2", SPEND, spend_limit=5_000)


# Worked by hand. S1 balance: 100,000 + 50,000 - 20,000 (deposits and adjustment)
# - 10,000 - 5,000 - 2,000 (P1; failed excluded; the refunded one nets 0) - 30,000 (P2)
# - 1,000 (P4) - 500 (orphan) = 81,500. Total deposits: 130,000.
EXPECTED_SUBSIDY = {"current_balance_cents": 81_500, "total_deposits_cents": 130_000}
EXPECTED_BUDGETS: dict[str, dict[str, Any]] = {
    # spent, allocated, available
    "P1": {"spent_cents": 17_000, "allocated_cents": 0, "spend_available_cents": 43_000},
    # min(max(0, 150,000 - 30,000), 81,500) = 81,500 (capped by the subsidy), - 10,000 allocated
    "P2": {"spent_cents": 30_000, "allocated_cents": 10_000, "spend_available_cents": 71_500},
    "P3": {"spent_cents": 0, "allocated_cents": 3_000, "spend_available_cents": 17_000},
    "P4": {"spent_cents": 1_000, "allocated_cents": 0, "spend_available_cents": 81_500},
    "P5": {"spent_cents": 0, "allocated_cents": 0, "spend_available_cents": 10_000},
    "P6": {"spent_cents": 0, "allocated_cents": 0, "spend_available_cents": None},
}


@pytest.fixture
def golden_pass(make_settings, sqlite_source_url, engine):  # type: ignore[no-untyped-def]
    SourceBuilder(sqlite_source_url).engine.dispose()
    builder = LedgerBuilder(sqlite_source_url)
    build_golden(builder)
    builder.dispose()
    url = sqlite_source_url.render_as_string()
    settings = make_settings(
        ecommerce_database_url=url, subsidy_database_url=url, access_database_url=url
    )
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    return settings, result


def budgets(engine: Engine) -> dict[str, Any]:
    names = {hex_uuid(f"policy:P{i}"): f"P{i}" for i in range(1, 7)}
    with engine.connect() as conn:
        rows = conn.execute(select(budget)).all()
    return {names[row.policy_uuid.hex]: row for row in rows}


def test_subsidy_balance_and_deposits_match_the_ledger_rules(golden_pass, engine) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            select(subsidy_balance).where(subsidy_balance.c.subsidy_uuid == hex_uuid("subsidy:S1"))
        ).one()
    assert row.current_balance_cents == EXPECTED_SUBSIDY["current_balance_cents"]
    assert row.total_deposits_cents == EXPECTED_SUBSIDY["total_deposits_cents"]
    assert row.starting_balance_cents == 100_000
    assert row.total_spend_limits_cents == 60_000 + 150_000 + 20_000 + 10_000


@pytest.mark.parametrize("name", sorted(EXPECTED_BUDGETS))
def test_budget_spent_allocated_available_match_the_services(golden_pass, engine, name) -> None:
    row = budgets(engine)[name]
    got = {key: getattr(row, key) for key in EXPECTED_BUDGETS[name]}
    assert got == EXPECTED_BUDGETS[name]


def test_a_soft_deleted_subsidy_gives_its_budget_no_amounts(golden_pass, engine) -> None:
    row = budgets(engine)["P6"]
    assert row.subsidy_available is False
    assert row.subsidy_balance_cents is None
    assert row.subsidy_expiration_datetime is None


def test_bnr_flag_follows_the_request_configuration(golden_pass, engine) -> None:
    rows = budgets(engine)
    assert rows["P3"].bnr_enabled is True
    assert rows["P5"].bnr_enabled is False
    assert rows["P1"].bnr_enabled is False


def test_a_redemption_of_an_unknown_budget_is_rejected_and_reconciled(golden_pass, engine) -> None:
    _, result = golden_pass
    assert result.publish.status == "succeeded"
    with engine.connect() as conn:
        rows = conn.execute(
            select(rejected_record).where(rejected_record.c.reason == "ledger_unknown_policy")
        ).all()
    assert [(r.natural_key, r.amount) for r in rows] == [(hex_uuid("transaction:orphan"), 5)]


def test_a_budget_spent_that_does_not_add_up_fails_the_pass(
    golden_pass, engine, monkeypatch
) -> None:
    settings, _ = golden_pass
    with engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(select(budget).order_by(budget.c.policy_uuid))]
    # A transform bug: failed redemptions counted as spent. The reconciliation must catch the
    # $70 P1 would gain.
    buggy = sqlfiles.load("transform/budget.sql").replace(
        "AND t.state IN ('created', 'pending', 'committed')", ""
    )
    assert buggy != sqlfiles.load("transform/budget.sql")
    original_load = sqlfiles.load
    monkeypatch.setattr(
        sqlfiles,
        "load",
        lambda name: buggy if name == "transform/budget.sql" else original_load(name),
    )
    with pytest.raises(pipeline.PassFailed, match="ledger reconciliation failed for 1 subsidy"):
        pipeline.run_pass(settings, mode="full", trigger="manual")
    with engine.connect() as conn:
        after = [tuple(r) for r in conn.execute(select(budget).order_by(budget.c.policy_uuid))]
    assert after == before
