"""Golden budgets: hand-made ledger-era sources whose numbers were worked out by hand with the
services' own rules (docs/ledger.md), checked cent for cent after a full pass."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from lcm_etl import pipeline, sqlfiles
from lcm_etl.schema import budget, rejected_record, subsidy_balance

from support.ledger_builder import LedgerBuilder, hex_uuid
from support.ledger_golden_source import EXPECTED_BUDGETS, EXPECTED_SUBSIDY, build_golden
from support.sourcebuilder import SourceBuilder


@pytest.fixture
def golden_pass(make_settings, sqlite_source_url, engine):
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


def test_the_spend_limit_total_is_per_subsidy_and_customer(
    make_settings, sqlite_source_url, engine
) -> None:
    """enterprise-access sums the spend limits of the ACTIVE budgets of the same subsidy AND
    customer (``total_spend_limits_for_subsidy``); a budget of another customer on the same
    subsidy is not counted, an inactive one counts only its active siblings, and the figure needs
    no subsidy record (a soft-deleted subsidy still has it; its deposits render as 0)."""
    SourceBuilder(sqlite_source_url).engine.dispose()
    builder = LedgerBuilder(sqlite_source_url)
    build_golden(builder)
    builder.policy("P7", "globex", "S1", "PerLearnerSpendCreditAccessPolicy", spend_limit=9_000)
    builder.policy(
        "P8", "acme", "S1", "PerLearnerSpendCreditAccessPolicy", spend_limit=50_000, active=False
    )
    builder.dispose()
    url = sqlite_source_url.render_as_string()
    settings = make_settings(
        ecommerce_database_url=url, subsidy_database_url=url, access_database_url=url
    )
    assert pipeline.run_pass(settings, mode="full", trigger="manual").publish.status == (
        "succeeded"
    )
    names = {hex_uuid(f"policy:P{i}"): f"P{i}" for i in range(1, 9)}
    with engine.connect() as conn:
        totals = {
            names[row.policy_uuid.hex]: row.total_spend_limits_for_subsidy_cents
            for row in conn.execute(select(budget))
        }
        subsidy_total = conn.execute(
            select(subsidy_balance.c.total_spend_limits_cents).where(
                subsidy_balance.c.subsidy_uuid == hex_uuid("subsidy:S1")
            )
        ).scalar_one()
    acme = 60_000 + 150_000 + 20_000 + 10_000  # P1, P2, P3, P5 (P4 has no limit)
    assert totals == {
        "P1": acme,
        "P2": acme,
        "P3": acme,
        "P4": acme,
        "P5": acme,
        "P6": 5_000,  # S2 is soft-deleted: the sum needs no subsidy record
        "P7": 9_000,  # globex's own budget on S1
        "P8": acme,  # inactive: its active siblings only
    }
    assert subsidy_total == acme
