"""The publishes' declared steps (the offers' and the ledger era's) agree with their SQL: every
file exists, each step binds exactly the parameters its file uses, and every relation a step reads
is built before it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lcm_etl import sqlfiles
from lcm_etl.ledger import publish as ledger_publish
from lcm_etl.publish import PHASES, Build, Merge, Phase, Run

STEPS = [step for phase in PHASES for step in phase.steps]
LEDGER_STEPS = [step for phase in ledger_publish.PHASES for step in phase.steps]
PUBLISHES: dict[str, tuple[Phase, ...]] = {"offers": PHASES, "ledger": ledger_publish.PHASES}
# A bound parameter: ``:name``, not a ``::type`` cast.
PARAMETER = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def _uses(sql: str) -> set[str]:
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return set(PARAMETER.findall(code))


@pytest.mark.parametrize(
    "step",
    [s for s in STEPS + LEDGER_STEPS if not isinstance(s, Merge)],
    ids=lambda s: s.file,
)
def test_each_step_binds_exactly_the_parameters_of_its_sql(step: Build | Run) -> None:
    assert _uses(sqlfiles.load(step.file)) == set(step.params)


@pytest.mark.parametrize("publish", sorted(PUBLISHES))
def test_every_relation_is_built_before_a_step_reads_it(publish: str) -> None:
    steps = [step for phase in PUBLISHES[publish] for step in phase.steps]
    built: set[str] = set()
    for step in steps:
        if isinstance(step, Merge):
            assert step.source in built
            continue
        sql = sqlfiles.load(step.file)
        reads = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\b(?!\.)", sql))
        temporary = {
            name for name in reads if name in {s.name for s in steps if isinstance(s, Build)}
        }
        assert temporary <= built | ({step.name} if isinstance(step, Build) else set()), step.file
        if isinstance(step, Build):
            built.add(step.name)


def test_the_outcome_figures_each_come_from_one_step() -> None:
    figures = [
        name
        for step in STEPS
        for name in ((step.count, step.deleted) if isinstance(step, Merge) else (step.count,))
        if name is not None
    ]
    # scope_order is built one way on a full publish and another on an incremental one.
    assert sorted(set(figures)) == sorted(
        [
            "daily_written",
            "eligibility_written",
            "redemptions_deleted",
            "redemptions_written",
            "rejected",
            "scope_offers",
            "scope_orders",
            "summaries_written",
        ]
    )


def test_the_ledger_outcome_figures_are_each_one_steps() -> None:
    figures = [
        name
        for step in LEDGER_STEPS
        for name in ((step.count, step.deleted) if isinstance(step, Merge) else (step.count,))
        if name is not None
    ]
    assert len(figures) == len(set(figures))
    # Every figure the outcome reports comes from a declared step, and no step's goes unused.
    assert sorted(figures) == sorted(
        f.name for f in dataclasses.fields(ledger_publish.LedgerPublishOutcome)
    )


def test_an_incremental_publish_analyzes_the_declared_columns_and_a_full_one_all() -> None:
    line = next(s for s in STEPS if isinstance(s, Build) and s.name == "scoped_line")
    assert line.analyzed(full=False) == ("order_id", "order_line_id", "reject_reason")
    assert line.analyzed(full=True) == ()  # every column
    undeclared = next(s for s in STEPS if isinstance(s, Build) and not s.statistics)
    assert undeclared.analyzed(full=False) == ()
