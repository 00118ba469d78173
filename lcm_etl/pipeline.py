"""A pipeline pass: ingest (extract + land) then publish (transform + reconcile + publish).

These are the functions the CLI and the Airflow DAGs call. Each stage:
- holds the pipeline advisory lock (``db.pipeline_lock``) for its whole duration, so passes never
  interleave, whoever starts them;
- records itself in ``lcm.pipeline_run`` (a ``running`` row first, on its own connection, so a
  failed or killed stage leaves a trace);
- writes all of its effects in ONE transaction: a killed ingest leaves the previous landing and
  watermarks; a killed publish leaves the previous read model, which readers keep seeing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, insert, select, text, update

from lcm_etl import sqlfiles
from lcm_etl.db import ecommerce_source_url, pipeline_lock, read_model_engine
from lcm_etl.ecommerce_ingest import ALL_TABLES, ControlTotal, EcommerceIngest, Watermarks
from lcm_etl.eligibility_ingest import ingest_eligibility_sources
from lcm_etl.extract import source_snapshot
from lcm_etl.land import Lander, record_rejections, upsert_watermarks
from lcm_etl.ledger.ingest import ingest_ledger_sources
from lcm_etl.ledger.publish import publish_ledger
from lcm_etl.progress import NullProgress, ProgressReporter, TimedProgress
from lcm_etl.schema import pipeline_run, raw_order, rejected_record, watermark
from lcm_etl.settings import Settings
from lcm_etl.transform import publish_read_model, vacuum_read_model

log = logging.getLogger(__name__)

Mode = Literal["full", "incremental", "targeted"]
Trigger = Literal["schedule", "event", "manual"]
Stage = Literal["ingest", "publish"]


class PassFailed(RuntimeError):
    """A stage failed; the previous committed state stays. The message says why."""


@dataclasses.dataclass(frozen=True)
class StageResult:
    run_id: int
    stage: Stage
    mode: Mode
    status: str
    counts: dict[str, int]
    timings: dict[str, float]
    seconds: float
    data_as_of: dt.datetime | None
    enterprise_uuids: tuple[uuid.UUID, ...] = ()


@dataclasses.dataclass(frozen=True)
class PassResult:
    ingest: StageResult
    publish: StageResult


class LandingMismatch(RuntimeError):
    """A full ingest landed rows that do not add up to the source's own totals."""


# ------------------------------------------------------------------------------------------------
# the run log
# ------------------------------------------------------------------------------------------------


def _start_run(
    engine: Engine, *, stage: Stage, mode: Mode, trigger: Trigger, targets: Sequence[uuid.UUID]
) -> int:
    """Insert the ``running`` row on its own committed connection and mark runs that died."""
    with engine.begin() as conn:
        # We hold the pipeline lock, so any other 'running' row belongs to a process that died.
        conn.execute(
            update(pipeline_run)
            .where(pipeline_run.c.status == "running")
            .values(status="abandoned", finished_at=func.now(), error="the process stopped mid-run")
        )
        return int(
            conn.execute(
                insert(pipeline_run)
                .values(
                    stage=stage,
                    mode=mode,
                    trigger=trigger,
                    status="running",
                    enterprise_uuids=list(targets) or None,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
                .returning(pipeline_run.c.run_id)
            ).scalar_one()
        )


def _fail_run(engine: Engine, run_id: int, error: BaseException) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(pipeline_run)
            .where(pipeline_run.c.run_id == run_id)
            .values(
                status="failed", finished_at=func.now(), error=f"{type(error).__name__}: {error}"
            )
        )


def _finish_run(conn: Connection, run_id: int, **values: Any) -> None:
    conn.execute(
        update(pipeline_run)
        .where(pipeline_run.c.run_id == run_id)
        .values(status="succeeded", finished_at=func.now(), **values)
    )


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 3)


def _stage_result(engine: Engine, run_id: int, seconds: float) -> StageResult:
    with engine.connect() as conn:
        row = conn.execute(select(pipeline_run).where(pipeline_run.c.run_id == run_id)).one()
    return StageResult(
        run_id=run_id,
        stage=row.stage,
        mode=row.mode,
        status=row.status,
        counts=dict(row.counts),
        timings=dict(row.timings),
        seconds=seconds,
        data_as_of=row.data_as_of,
        enterprise_uuids=tuple(row.enterprise_uuids or ()),
    )


# ------------------------------------------------------------------------------------------------
# ingest
# ------------------------------------------------------------------------------------------------

_MARKS = {
    "order_orderdiscount": ("id", "discount_id"),
    "refund_refund": ("modified", "refund_modified"),
    "catalogue_product": ("modified", "product_updated"),
    "courses_course": ("modified", "course_modified"),
}


def _load_watermarks(conn: Connection) -> Watermarks:
    marks = Watermarks()
    rows = conn.execute(select(watermark).where(watermark.c.source == "ecommerce"))
    for row in rows:
        kind_attr = _MARKS.get(row.source_table)
        if kind_attr is None:
            continue
        kind, attribute = kind_attr
        setattr(marks, attribute, row.id_value if kind == "id" else row.time_value)
    return marks


def _save_watermarks(conn: Connection, marks: Watermarks, run_id: int) -> None:
    rows = []
    for source_table, (kind, attribute) in _MARKS.items():
        value = getattr(marks, attribute)
        rows.append(
            {
                "source": "ecommerce",
                "source_table": source_table,
                "kind": kind,
                "id_value": value if kind == "id" else None,
                "time_value": value if kind == "modified" else None,
                "run_id": run_id,
            }
        )
    upsert_watermarks(conn, rows)


def _known_order_ids(conn: Connection, candidates: Iterable[Any]) -> list[int]:
    """Which of these source order ids are landed already."""
    ids = [i for i in candidates if isinstance(i, int)]
    if not ids:
        return []
    return list(conn.execute(select(raw_order.c.id).where(raw_order.c.id.in_(ids))).scalars())


def _pending_order_ids(conn: Connection) -> list[int]:
    """Landed orders not yet Complete: re-read every pass until they are (no modified column)."""
    return list(
        conn.execute(select(raw_order.c.id).where(raw_order.c.status != "Complete")).scalars()
    )


def _check_control_totals(conn: Connection, source_totals: list[ControlTotal]) -> None:
    """Compare what the source says each enterprise spent with what was landed, strictly.

    The only difference allowed is the one landing rejections explain: an order whose row could
    not be read (its discounts landed, the order did not) explains its enterprise's difference; a
    discount row that could not be read cannot be attributed, so it excuses every enterprise, with
    a warning naming them.
    """
    landed = {
        row.enterprise_key: (Decimal(row.discount_amount), int(row.discount_count))
        for row in conn.execute(text(sqlfiles.load("reconcile/landing_control_totals.sql")))
    }
    explained = set(
        conn.execute(
            text(sqlfiles.load("reconcile/landing_rejections_by_enterprise.sql"))
        ).scalars()
    )
    unattributable = conn.execute(
        select(func.count())
        .select_from(rejected_record)
        .where(
            rejected_record.c.stage == "landing",
            rejected_record.c.source == "ecommerce",
            rejected_record.c.source_table == "order_orderdiscount",
            rejected_record.c.resolved_at.is_(None),
        )
    ).scalar_one()
    problems = []
    for total in source_totals:
        got_amount, got_count = landed.pop(total.enterprise_key, (Decimal(0), 0))
        if (got_amount, got_count) != (total.discount_amount, total.discount_count):
            problems.append(
                (
                    total.enterprise_key,
                    f"enterprise {total.enterprise_key}: the source has {total.discount_count} "
                    f"discounts totalling {total.discount_amount}, landing {got_count} totalling "
                    f"{got_amount}",
                )
            )
    for key, (amount, count) in landed.items():
        problems.append(
            (key, f"enterprise {key}: landed {count} discounts ({amount}), source none")
        )
    unexplained = [message for key, message in problems if key not in explained]
    if unexplained and not unattributable:
        raise LandingMismatch(
            "landing does not match the source's control totals: " + "; ".join(unexplained[:10])
        )
    if problems:
        log.warning(
            "landing differs from the source's totals where rows were rejected at landing: %s",
            [message for _, message in problems[:10]],
        )


def ingest(
    settings: Settings,
    *,
    mode: Mode,
    trigger: Trigger,
    enterprise_uuids: Sequence[uuid.UUID] = (),
    progress: ProgressReporter | None = None,
) -> StageResult:
    """Extract from the sources and land in ``lcm_raw``, in one transaction under the lock."""
    if mode == "targeted" and not enterprise_uuids:
        raise ValueError("a targeted ingest needs at least one enterprise UUID")
    progress = progress or NullProgress()
    engine = read_model_engine(settings)
    started = time.perf_counter()
    try:
        with pipeline_lock(engine, settings.lock_timeout_seconds):
            run_id = _start_run(
                engine, stage="ingest", mode=mode, trigger=trigger, targets=enterprise_uuids
            )
            try:
                _ingest(settings, engine, run_id, mode, enterprise_uuids, progress)
            except Exception as exc:
                _fail_run(engine, run_id, exc)
                raise PassFailed(f"ingest run {run_id} failed: {exc}") from exc
        return _stage_result(engine, run_id, time.perf_counter() - started)
    finally:
        engine.dispose()


def _ingest(
    settings: Settings,
    engine: Engine,
    run_id: int,
    mode: Mode,
    targets: Sequence[uuid.UUID],
    progress: ProgressReporter,
) -> None:
    timings: dict[str, float] = {}
    progress = TimedProgress(progress, timings)
    with engine.begin() as conn, source_snapshot(ecommerce_source_url(settings)) as source:
        data_as_of = conn.execute(select(func.now())).scalar_one()
        previous = _load_watermarks(conn)
        lander = Lander(conn, run_id, full=mode == "full")
        extraction = EcommerceIngest(
            source,
            lander,
            mode=mode,
            previous=previous,
            enterprise_uuids=targets,
            batch_size=settings.batch_size,
            id_overlap=settings.extract_id_overlap,
            time_overlap=dt.timedelta(seconds=settings.extract_time_overlap_seconds),
            pending_order_ids=lambda: _pending_order_ids(conn),
            known_order_ids=lambda ids: _known_order_ids(conn, ids),
            progress=progress,
        )
        with _timed(timings, "extract_and_land"):
            outcome = extraction.run()
        # Issue 3: enterprise coupons from this ecommerce snapshot, and the optional LMS and
        # license-manager sources (each read only when its URL resolves), in this transaction.
        with _timed(timings, "extract_eligibility"):
            eligibility = ingest_eligibility_sources(
                conn,
                source,
                settings=settings,
                run_id=run_id,
                mode=mode,
                enterprise_uuids=targets,
                progress=progress,
            )
        # Issue 14: the ledger-era sources (optional), in this transaction.
        with _timed(timings, "extract_ledger"):
            ledger = ingest_ledger_sources(
                conn, settings=settings, run_id=run_id, mode=mode, progress=progress
            )
        rejected = record_rejections(
            conn, [*lander.rejections, *eligibility.rejections, *ledger.rejections], run_id
        )
        if mode == "full":
            conn.execute(
                update(rejected_record)
                .where(
                    rejected_record.c.source == "ecommerce",
                    rejected_record.c.stage == "landing",
                    rejected_record.c.last_run_id != run_id,
                    rejected_record.c.resolved_at.is_(None),
                )
                .values(resolved_at=func.now())
            )
        if mode == "full":
            # Fresh statistics for the tables just rebuilt, or the next publish plans its joins
            # from row counts of the previous load.
            with _timed(timings, "analyze"):
                for spec in ALL_TABLES:
                    conn.execute(text(f"ANALYZE {spec.raw.fullname}"))
        if outcome.control_totals is not None:
            with _timed(timings, "control_totals"):
                _check_control_totals(conn, outcome.control_totals)
        if mode != "targeted":
            _save_watermarks(conn, outcome.watermarks, run_id)
        counts = {
            "extracted": sum(lander.extracted.values()) + eligibility.extracted + ledger.extracted,
            "landed": sum(lander.landed.values()) + eligibility.landed + ledger.landed,
            "rejected": rejected,
            **{f"extracted.{k}": v for k, v in sorted(lander.extracted.items())},
            **{f"landed.{k}": v for k, v in sorted(lander.landed.items())},
            **eligibility.counts,
            **ledger.counts,
        }
        _finish_run(
            conn,
            run_id,
            data_as_of=data_as_of,
            counts=counts,
            timings=timings,
            watermarks={
                **outcome.watermarks.as_json(),
                **eligibility.watermarks,
                **ledger.watermarks,
            },
            sources={
                "ecommerce": ecommerce_source_url(settings).render_as_string(),
                **eligibility.sources,
                **ledger.sources,
            },
        )


# ------------------------------------------------------------------------------------------------
# publish
# ------------------------------------------------------------------------------------------------


def publish(
    settings: Settings, *, trigger: Trigger, progress: ProgressReporter | None = None
) -> StageResult:
    """Transform what was landed since the last publish, reconcile, and publish atomically."""
    progress = progress or NullProgress()
    engine = read_model_engine(settings)
    started = time.perf_counter()
    try:
        with pipeline_lock(engine, settings.lock_timeout_seconds):
            with engine.connect() as conn:
                plan = _publish_plan(conn)
            run_id = _start_run(
                engine, stage="publish", mode=plan.mode, trigger=trigger, targets=plan.targets
            )
            try:
                _publish(settings, engine, run_id, plan, progress)
            except Exception as exc:
                _fail_run(engine, run_id, exc)
                raise PassFailed(f"publish run {run_id} failed: {exc}") from exc
            if plan.mode == "full":
                with progress.step("vacuum the read model"), engine.connect() as conn:
                    vacuum_read_model(conn.execution_options(isolation_level="AUTOCOMMIT"))
        return _stage_result(engine, run_id, time.perf_counter() - started)
    finally:
        engine.dispose()


@dataclasses.dataclass(frozen=True)
class _PublishPlan:
    mode: Mode
    since_landing_run: int
    through_landing_run: int
    data_as_of: dt.datetime | None
    targets: tuple[uuid.UUID, ...]


def _publish_plan(conn: Connection) -> _PublishPlan:
    """What the next publish consumes: every ingest that succeeded after the last publish."""
    last_publish = conn.execute(
        select(pipeline_run.c.landing_run_id)
        .where(pipeline_run.c.stage == "publish", pipeline_run.c.status == "succeeded")
        .order_by(pipeline_run.c.run_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    since = last_publish if last_publish is not None else -1
    ingests = conn.execute(
        select(
            pipeline_run.c.run_id,
            pipeline_run.c.mode,
            pipeline_run.c.data_as_of,
            pipeline_run.c.enterprise_uuids,
        )
        .where(
            pipeline_run.c.stage == "ingest",
            pipeline_run.c.status == "succeeded",
            pipeline_run.c.run_id > since,
        )
        .order_by(pipeline_run.c.run_id)
    ).all()
    if not ingests:
        latest = conn.execute(
            select(pipeline_run.c.run_id, pipeline_run.c.data_as_of)
            .where(pipeline_run.c.stage == "ingest", pipeline_run.c.status == "succeeded")
            .order_by(pipeline_run.c.run_id.desc())
            .limit(1)
        ).one_or_none()
        if latest is None:
            raise PassFailed(
                "nothing to publish: no ingest has succeeded yet (run an ingest first)"
            )
        return _PublishPlan("incremental", since, since, latest.data_as_of, ())
    full = last_publish is None or any(row.mode == "full" for row in ingests)
    targeted = all(row.mode == "targeted" for row in ingests)
    targets = tuple(sorted({u for row in ingests for u in (row.enterprise_uuids or ())}))
    mode: Mode = "full" if full else ("targeted" if targeted else "incremental")
    return _PublishPlan(
        mode=mode,
        since_landing_run=since,
        through_landing_run=ingests[-1].run_id,
        # A targeted ingest read only some enterprises: the data as a whole is as fresh as the
        # last ingest that read everything.
        data_as_of=_freshest(conn, ingests),
        targets=targets if mode == "targeted" else (),
    )


def _freshest(conn: Connection, ingests: Sequence[Any]) -> dt.datetime | None:
    broad: list[dt.datetime] = [row.data_as_of for row in ingests if row.mode != "targeted"]
    if broad:
        return max(broad)
    previous = conn.execute(
        select(func.max(pipeline_run.c.data_as_of)).where(
            pipeline_run.c.stage == "publish", pipeline_run.c.status == "succeeded"
        )
    ).scalar_one_or_none()
    freshest: dt.datetime | None = previous or max(row.data_as_of for row in ingests)
    return freshest


def _publish(
    settings: Settings, engine: Engine, run_id: int, plan: _PublishPlan, progress: ProgressReporter
) -> None:
    timings: dict[str, float] = {}
    progress = TimedProgress(progress, timings)
    with engine.begin() as conn:
        memory = f"{settings.transform_work_mem_mb}MB"
        conn.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": memory})
        # The publish's temporary tables hold every redemption on a full pass; with the default
        # 8 MB of temp_buffers they would be written out to disk and read back at every step.
        # (Settable only before a session's first temporary table; each stage has its own.)
        conn.execute(text("SELECT set_config('temp_buffers', :value, true)"), {"value": memory})
        # JIT compiles each big-looking query for about a second; an incremental publish is
        # dozens of queries that touch few rows, and even a full one gains little from it.
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(
            text("SELECT set_config('random_page_cost', :value, true)"),
            {"value": str(settings.transform_random_page_cost)},
        )
        data_as_of = plan.data_as_of or conn.execute(select(func.now())).scalar_one()
        with _timed(timings, "transform_and_publish"):
            outcome = publish_read_model(
                conn,
                settings=settings,
                full=plan.mode == "full",
                since_landing_run=plan.since_landing_run,
                run_id=run_id,
                data_as_of=data_as_of,
                progress=progress,
            )
        with _timed(timings, "ledger_publish"):
            ledger = publish_ledger(
                conn,
                full=plan.mode == "full",
                since_landing_run=plan.since_landing_run,
                run_id=run_id,
                data_as_of=data_as_of,
                progress=progress,
            )
        _finish_run(
            conn,
            run_id,
            landing_run_id=plan.through_landing_run,
            data_as_of=data_as_of,
            counts={**outcome.counts(), **ledger.counts()},
            timings=timings,
        )


def run_pass(
    settings: Settings,
    *,
    mode: Mode,
    trigger: Trigger,
    enterprise_uuids: Sequence[uuid.UUID] = (),
    progress: ProgressReporter | None = None,
) -> PassResult:
    """One pass: ingest, then publish what it landed."""
    ingested = ingest(
        settings, mode=mode, trigger=trigger, enterprise_uuids=enterprise_uuids, progress=progress
    )
    published = publish(settings, trigger=trigger, progress=progress)
    return PassResult(ingest=ingested, publish=published)
