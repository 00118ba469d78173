"""The compute-on-read baseline: the learner-credit page answer computed from the landing rows on
every request, as the original analytics approach did, served the way the real API serves it.

``python -m lcm_etl.bench.baseline --port N`` runs it: FastAPI under uvicorn like ``lcm-etl
serve`` (one process, sync endpoint in the thread pool, the same engine pool size, no access
log), answering ``GET /api/v1/enterprises/{uuid}/learner-credit`` from ``lcm_raw`` with
``sql/bench/page_from_landing.sql`` in one read-only snapshot, rendered exactly like
``queries.learner_credit_page``. Eligibility facts are the one thing read from the read model
(``lcm.enterprise_eligibility``, a single-row lookup): the baseline is about the spend
aggregation. A benchmark fixture, never part of the product.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Engine, func, select, text

from lcm_etl import queries, sqlfiles
from lcm_etl.db import read_model_engine
from lcm_etl.forecast import window_start
from lcm_etl.queries import budgets
from lcm_etl.schema import pipeline_run
from lcm_etl.settings import Settings, load_settings

PAGE_PATH = "/api/v1/enterprises/{enterprise_uuid}/learner-credit"
FLOOR_PATH = "/ping"


def _last_ingest_as_of(conn: Connection) -> dt.datetime | None:
    value: dt.datetime | None = conn.execute(
        select(func.max(pipeline_run.c.data_as_of)).where(
            pipeline_run.c.stage == "ingest", pipeline_run.c.status == "succeeded"
        )
    ).scalar_one()
    return value


def page_from_landing(
    conn: Connection,
    enterprise_uuid: uuid.UUID,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
) -> dict[str, Any] | None:
    """The page answer of one enterprise computed from ``lcm_raw``; None when it has no offer."""
    now = now or dt.datetime.now(dt.UTC)
    thresholds = queries.Thresholds.from_settings(settings)
    rows = conn.execute(
        text(sqlfiles.load("bench/page_from_landing.sql")),
        {"enterprise_hex": enterprise_uuid.hex, "enterprise_dashed": str(enterprise_uuid)},
    ).all()
    if not rows:
        return None
    facts = queries.load_eligibility_facts(conn, enterprise_uuid)
    data_as_of = _last_ingest_as_of(conn)
    answer = queries.render_page(
        enterprise_uuid,
        rows,
        facts=facts,
        now=now,
        thresholds=thresholds,
        data_as_of=data_as_of,
    )
    answer["budgets"] = budgets_from_landing(conn, enterprise_uuid, now=now, as_of=data_as_of)
    return answer


def budgets_from_landing(
    conn: Connection, enterprise_uuid: uuid.UUID, *, now: dt.datetime, as_of: dt.datetime | None
) -> list[dict[str, Any]]:
    """The page's budgets computed from ``lcm_raw`` on request (as enterprise-access computes
    them on every page view), rendered like the read model's."""
    if as_of is None:
        return []
    rows = conn.execute(
        text(sqlfiles.load("bench/budgets_from_landing.sql")),
        {"enterprise_hex": enterprise_uuid.hex, "window_start": window_start(as_of)},
    ).all()
    spend = {row.policy_uuid: Decimal(row.window_net_cents) / 100 for row in rows}
    return budgets.render_budgets(rows, now=now, as_of=as_of, window_spend=spend)


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only repeatable-read transaction per request, like the API's."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def create_baseline_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    if engine is None:
        engine = read_model_engine(settings, pool_size=10, max_overflow=20)  # as create_app
    bound = engine
    app = FastAPI(title="lcm-etl bench: compute-on-read baseline", docs_url=None)

    @app.get(PAGE_PATH)
    def learner_credit(enterprise_uuid: uuid.UUID) -> JSONResponse:
        with _snapshot(bound) as conn:
            answer = page_from_landing(conn, enterprise_uuid, settings=settings)
        if answer is None:
            return JSONResponse({"detail": f"Enterprise {enterprise_uuid} has no offer."}, 404)
        return JSONResponse(answer)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(FLOOR_PATH)
    async def ping() -> JSONResponse:
        """No database work at all: what the HTTP stack and the client cost by themselves.
        In the event loop (no thread hand-off), like the page endpoint: the floor is the
        cheapest answer FastAPI and uvicorn give."""
        return JSONResponse({"pong": True})

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    app = create_baseline_app(load_settings())
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=True,
        access_log=False,  # as ``lcm-etl serve`` runs by default
    )


if __name__ == "__main__":
    main()
