"""The budgets answer (ledger era) against computing it on read, side by side in one process.

For the enterprise with the most ledger transactions in its budgets: the page's ``budgets`` from
the read model (``queries.budgets.page_budgets``) and the same answer computed from the landing
rows on request (``baseline.budgets_from_landing``, as enterprise-access computes them on every
page view), each in its own read-only snapshot, ``REPEATS`` times; medians and their ratio. The
answers must be equal. A benchmark fixture, never part of the product.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from lcm_etl.bench.baseline import budgets_from_landing
from lcm_etl.queries import budgets, enterprise_data_as_of
from lcm_etl.schema import budget

REPEATS = 20


def _timed(engine: Engine, answer: Callable[[Connection], Any]) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(REPEATS):
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                started = time.perf_counter()
                result = answer(conn)
                seconds.append(time.perf_counter() - started)
    return seconds, result


def measure_budgets(engine: Engine) -> dict[str, Any] | None:
    """None when the read model holds no budget."""
    with engine.connect() as conn:
        busiest = conn.execute(
            select(
                budget.c.enterprise_customer_uuid,
                func.sum(budget.c.redemption_count).label("redemptions"),
                func.count().label("budgets"),
            )
            .where(budget.c.active)
            .group_by(budget.c.enterprise_customer_uuid)
            .order_by(func.sum(budget.c.redemption_count).desc())
            .limit(1)
        ).one_or_none()
        if busiest is None:
            return None
        enterprise: uuid.UUID = busiest.enterprise_customer_uuid
        as_of = enterprise_data_as_of(conn, enterprise)
    now = dt.datetime.now(dt.UTC)
    ours, ours_answer = _timed(
        engine, lambda conn: budgets.page_budgets(conn, enterprise, now, as_of)
    )
    theirs, theirs_answer = _timed(
        engine, lambda conn: budgets_from_landing(conn, enterprise, now=now, as_of=as_of)
    )
    read_model, on_read = statistics.median(ours), statistics.median(theirs)
    return {
        "enterprise": str(enterprise),
        "budgets": int(busiest.budgets),
        "redemptions": int(busiest.redemptions),
        "repeats": REPEATS,
        "read_model_ms": round(read_model * 1000, 2),
        "compute_on_read_ms": round(on_read * 1000, 2),
        "compute_on_read_over_read_model": round(on_read / read_model, 1),
        "answers_match": ours_answer == theirs_answer,
    }


__all__ = ["REPEATS", "measure_budgets"]
