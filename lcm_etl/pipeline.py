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
import uuid
from collections.abc import Sequence
from typing import Literal

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


__all__ = ["Mode", "PassFailed", "PassResult", "Stage", "StageResult", "Trigger", "Sequence"]
