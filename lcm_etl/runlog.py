"""The run log, ``lcm.pipeline_run``: one row per stage run, from start to finish.

A stage run is started with a ``running`` row, committed on its own connection before any work, so
a failed or killed stage leaves a trace; it ends ``succeeded`` (written in the stage's own
transaction, together with its effects), ``failed`` (with the error) or, when the process died
mid-run, ``abandoned`` (found by the next run, which holds the pipeline lock the dead one held).
The run log also says what the next publish consumes (:func:`publish_plan`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from lcm_etl.modes import Mode, Stage, Trigger
from lcm_etl.schema import pipeline_run


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


def abandon_running(conn: Connection) -> None:
    """Mark ``running`` rows ``abandoned``: called under the pipeline lock, so any other running
    row belongs to a process that died."""
    conn.execute(
        update(pipeline_run)
        .where(pipeline_run.c.status == "running")
        .values(status="abandoned", finished_at=func.now(), error="the process stopped mid-run")
    )


def start(
    engine: Engine, *, stage: Stage, mode: Mode, trigger: Trigger, targets: Sequence[uuid.UUID]
) -> int:
    """Insert the ``running`` row on its own committed connection (after marking runs that died)
    and return its ``run_id``."""
    with engine.begin() as conn:
        abandon_running(conn)
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


def fail(engine: Engine, run_id: int, error: BaseException) -> None:
    """Mark the run ``failed`` with the error, on its own connection (the stage's rolled back)."""
    with engine.begin() as conn:
        conn.execute(
            update(pipeline_run)
            .where(pipeline_run.c.run_id == run_id)
            .values(
                status="failed", finished_at=func.now(), error=f"{type(error).__name__}: {error}"
            )
        )


def finish(conn: Connection, run_id: int, **values: Any) -> None:
    """Mark the run ``succeeded`` with its figures, in the stage's transaction (so the row says
    succeeded exactly when the stage's effects are committed)."""
    conn.execute(
        update(pipeline_run)
        .where(pipeline_run.c.run_id == run_id)
        # clock_timestamp(), not now(): this runs last in the stage's own long transaction,
        # whose now() is the moment it began.
        .values(status="succeeded", finished_at=func.clock_timestamp(), **values)
    )


@contextlib.contextmanager
def stage_run(
    engine: Engine, *, stage: Stage, mode: Mode, trigger: Trigger, targets: Sequence[uuid.UUID]
) -> Iterator[int]:
    """Start a run, yield its id; if the block raises, mark the run failed and raise
    :class:`PassFailed` naming it."""
    run_id = start(engine, stage=stage, mode=mode, trigger=trigger, targets=targets)
    try:
        yield run_id
    except Exception as exc:
        fail(engine, run_id, exc)
        raise PassFailed(f"{stage} run {run_id} failed: {exc}") from exc


def result(engine: Engine, run_id: int, seconds: float) -> StageResult:
    """The run as recorded, with the wall time its caller measured."""
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


@dataclasses.dataclass(frozen=True)
class PublishPlan:
    """What the next publish consumes: the ingests that succeeded after the last publish."""

    mode: Mode
    since_landing_run: int
    through_landing_run: int
    data_as_of: dt.datetime | None
    targets: tuple[uuid.UUID, ...]


def publish_plan(conn: Connection) -> PublishPlan:
    """Full after any full ingest (or before the first publish), targeted when every ingest since
    was targeted (at the union of their enterprises), else incremental."""
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
        return PublishPlan("incremental", since, since, latest.data_as_of, ())
    full = last_publish is None or any(row.mode == "full" for row in ingests)
    targeted = all(row.mode == "targeted" for row in ingests)
    targets = tuple(sorted({u for row in ingests for u in (row.enterprise_uuids or ())}))
    mode: Mode = "full" if full else ("targeted" if targeted else "incremental")
    return PublishPlan(
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
    # The last good publish's: publishes are serialized and each one's data_as_of is at least
    # its predecessor's, so it is the greatest — found by index, not by reading every run (an
    # event-driven deployment logs a pass per burst, thousands a day).
    previous = conn.execute(
        select(pipeline_run.c.data_as_of)
        .where(pipeline_run.c.stage == "publish", pipeline_run.c.status == "succeeded")
        .order_by(pipeline_run.c.run_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    freshest: dt.datetime | None = previous or max(row.data_as_of for row in ingests)
    return freshest
