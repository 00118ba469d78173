"""The words of a pipeline run, shared by the run log, the stages, the DAG tasks and the CLI."""

from __future__ import annotations

from typing import Literal

#: ``full`` re-reads everything in scope; ``incremental`` reads what changed since the last
#: ingest; ``targeted`` reads like incremental, for some enterprises only, and moves no watermark.
Mode = Literal["full", "incremental", "targeted"]
MODES: tuple[Mode, ...] = ("full", "incremental", "targeted")
#: What started a run: the hourly schedule, the event bus, or a person (CLI, Airflow UI).
Trigger = Literal["schedule", "event", "manual"]
Stage = Literal["ingest", "publish"]
