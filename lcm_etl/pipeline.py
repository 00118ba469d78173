"""A pipeline pass: ingest (extract + land) then publish (transform + reconcile + publish).

These are the functions the CLI and the Airflow DAGs call; they say the order of the stages and
nothing else. Each stage:
- holds the pipeline advisory lock (``db.pipeline_lock``) for its whole duration, so passes never
  interleave, whoever starts them;
- records itself in ``lcm.pipeline_run`` (:mod:`lcm_etl.runlog`: a ``running`` row first, on its
  own connection, so a failed or killed stage leaves a trace);
- writes all of its effects in ONE transaction: a killed ingest leaves the previous landing and
  watermarks (:mod:`lcm_etl.ingest`); a killed publish leaves the previous read model
  (:mod:`lcm_etl.publish`), which readers keep seeing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from sqlalchemy import Engine, func, select

from lcm_etl import runlog
from lcm_etl.db import pipeline_engine, pipeline_lock
from lcm_etl.ingest.stage import ingest_sources
from lcm_etl.ledger.publish import publish_ledger
from lcm_etl.modes import Mode, Trigger
from lcm_etl.progress import NullProgress, ProgressReporter, TimedProgress, timed
from lcm_etl.publish import configure_session, publish_read_model, vacuum_read_model
from lcm_etl.runlog import PassFailed, PassResult, StageResult
from lcm_etl.settings import Settings

__all__ = ["PassFailed", "PassResult", "StageResult", "ingest", "publish", "run_pass"]


def ingest(
    settings: Settings,
    *,
    mode: Mode,
    trigger: Trigger,
    enterprise_uuids: Sequence[uuid.UUID] = (),
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> StageResult:
    """Extract from the sources and land in ``lcm_raw``, in one transaction under the lock.

    ``engine``: a :func:`~lcm_etl.db.pipeline_engine` to reuse (the caller disposes of it);
    otherwise one is made for this stage."""
    if mode == "targeted" and not enterprise_uuids:
        raise ValueError("a targeted ingest needs at least one enterprise UUID")
    progress = progress or NullProgress()
    owned = engine is None
    engine = engine or pipeline_engine(settings)
    started = time.perf_counter()
    try:
        with (
            pipeline_lock(engine, settings.lock_timeout_seconds),
            runlog.stage_run(
                engine, stage="ingest", mode=mode, trigger=trigger, targets=enterprise_uuids
            ) as run_id,
            engine.begin() as conn,
        ):
            timings: dict[str, float] = {}
            data_as_of = conn.execute(select(func.now())).scalar_one()
            outcome = ingest_sources(
                conn,
                settings=settings,
                run_id=run_id,
                mode=mode,
                targets=enterprise_uuids,
                progress=TimedProgress(progress, timings),
                timings=timings,
            )
            runlog.finish(
                conn,
                run_id,
                data_as_of=data_as_of,
                counts=outcome.counts,
                timings=timings,
                watermarks=outcome.watermarks,
                sources=outcome.sources,
            )
        return runlog.result(engine, run_id, time.perf_counter() - started)
    finally:
        if owned:
            engine.dispose()


def publish(
    settings: Settings,
    *,
    trigger: Trigger,
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> StageResult:
    """Transform what was landed since the last publish, reconcile, and publish atomically.
    (``engine``: as for :func:`ingest`.)"""
    progress = progress or NullProgress()
    owned = engine is None
    engine = engine or pipeline_engine(settings)
    started = time.perf_counter()
    try:
        with pipeline_lock(engine, settings.lock_timeout_seconds):
            with engine.connect() as conn:
                plan = runlog.publish_plan(conn)
            with (
                runlog.stage_run(
                    engine, stage="publish", mode=plan.mode, trigger=trigger, targets=plan.targets
                ) as run_id,
                engine.begin() as conn,
            ):
                timings: dict[str, float] = {}
                configure_session(conn, settings)
                data_as_of = plan.data_as_of or conn.execute(select(func.now())).scalar_one()
                with timed(timings, "transform_and_publish"):
                    outcome = publish_read_model(
                        conn,
                        settings=settings,
                        full=plan.mode == "full",
                        since_landing_run=plan.since_landing_run,
                        run_id=run_id,
                        data_as_of=data_as_of,
                        progress=TimedProgress(progress, timings),
                    )
                with timed(timings, "ledger_publish"):  # issue 14: budgets
                    ledger = publish_ledger(
                        conn,
                        full=plan.mode == "full",
                        since_landing_run=plan.since_landing_run,
                        run_id=run_id,
                        data_as_of=data_as_of,
                        progress=TimedProgress(progress, timings),
                    )
                runlog.finish(
                    conn,
                    run_id,
                    landing_run_id=plan.through_landing_run,
                    data_as_of=data_as_of,
                    counts={**outcome.counts(), **ledger.counts()},
                    timings=timings,
                )
            if plan.mode == "full":
                with progress.step("vacuum the read model"), engine.connect() as conn:
                    vacuum_read_model(conn.execution_options(isolation_level="AUTOCOMMIT"))
        return runlog.result(engine, run_id, time.perf_counter() - started)
    finally:
        if owned:
            engine.dispose()


def run_pass(
    settings: Settings,
    *,
    mode: Mode,
    trigger: Trigger,
    enterprise_uuids: Sequence[uuid.UUID] = (),
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> PassResult:
    """One pass: ingest, then publish what it landed, over one engine (``engine``, or one made
    for the pass)."""
    owned = engine is None
    engine = engine or pipeline_engine(settings)
    try:
        ingested = ingest(
            settings,
            mode=mode,
            trigger=trigger,
            enterprise_uuids=enterprise_uuids,
            progress=progress,
            engine=engine,
        )
        published = publish(settings, trigger=trigger, progress=progress, engine=engine)
    finally:
        if owned:
            engine.dispose()
    return PassResult(ingest=ingested, publish=published)
