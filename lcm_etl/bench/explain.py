"""EXPLAIN ANALYZE of the statements behind the measured answers, so each run carries its plans.

The answer is computed once as the API computes it (same query-module calls, in the API's tenant
transaction: role ``lcm_portal``, row-level security on the enterprise), with every statement
captured; each SELECT is then run again under ``EXPLAIN (ANALYZE, BUFFERS)`` in that same
transaction. The compute-on-read query is explained the same way, as the table owner.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event, text

from lcm_etl import queries, sqlfiles
from lcm_etl.settings import Settings

_EXECUTION_TIME = re.compile(r"Execution Time: ([0-9.]+) ms")
_PLANNING_TIME = re.compile(r"Planning Time: ([0-9.]+) ms")


def _explain(conn: Connection, statement: str, parameters: Any) -> dict[str, Any]:
    lines = [
        str(line)
        for line in conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        ).scalars()
    ]
    plan = "\n".join(lines)
    execution = _EXECUTION_TIME.search(plan)
    planning = _PLANNING_TIME.search(plan)
    code = (line for line in statement.splitlines() if not line.lstrip().startswith("--"))
    return {
        "statement": " ".join(" ".join(code).split()),
        "execution_ms": float(execution.group(1)) if execution else None,
        "planning_ms": float(planning.group(1)) if planning else None,
        "plan": lines,
    }


def _explain_answer(
    engine: Engine, enterprise: uuid.UUID, answer: Callable[[Connection], object]
) -> list[dict[str, Any]]:
    captured: list[tuple[str, Any]] = []

    def capture(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        # SELECTs and the enrollments page's one statement (WITH …).
        starts = statement.lstrip().upper()
        if starts.startswith(("SELECT", "WITH")) and "set_config(" not in statement:
            captured.append((statement, parameters))

    with queries.tenant_transaction(engine, enterprise) as conn:
        event.listen(conn, "before_cursor_execute", capture)
        try:
            answer(conn)
        finally:
            event.remove(conn, "before_cursor_execute", capture)
        return [_explain(conn, statement, parameters) for statement, parameters in captured]


def explain_page(engine: Engine, settings: Settings, enterprise: uuid.UUID) -> list[dict[str, Any]]:
    """The statements of ``GET /api/v1/enterprises/{uuid}/learner-credit``."""
    return _explain_answer(
        engine,
        enterprise,
        lambda conn: queries.learner_credit_page(conn, enterprise, settings=settings),
    )


def explain_enrollments(
    engine: Engine, enterprise: uuid.UUID, search: str, page_size: int
) -> list[dict[str, Any]]:
    """The statements of the enrollments list (first page, newest first, searched)."""

    def answer(conn: Connection) -> object:
        data_as_of = queries.enterprise_data_as_of(conn, enterprise)
        return queries.enrollments_page(
            conn,
            enterprise,
            queries.PageRequest(1, page_size),
            where=queries.EnrollmentFilter(search=search),
            ordering="-enrollment_date",
            data_as_of=data_as_of,
        )

    return _explain_answer(engine, enterprise, answer)


def explain_compute_on_read(engine: Engine, enterprise: uuid.UUID) -> list[dict[str, Any]]:
    """The compute-on-read baseline's aggregation over ``lcm_raw``."""
    statement = text(sqlfiles.load("bench/page_from_landing.sql"))
    with engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        parameters = compiled.construct_params(
            {"enterprise_hex": enterprise.hex, "enterprise_dashed": str(enterprise)}
        )
        return [_explain(conn, str(compiled), parameters)]
