"""Progress reporting for pipeline stages: the protocol the stages report to, a silent default
for DAG tasks and tests, and a wrapper that records each step's wall time. (The CLI's live
display, ``lcm_etl.cli.display``, implements the same protocol.)"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Protocol


class StepTracker(Protocol):
    def advance(self, amount: int = 1) -> None: ...


class ProgressReporter(Protocol):
    """What the pipeline reports to: one ``step`` per unit of work (a table, a transform)."""

    def step(
        self, description: str, total: int | None = None
    ) -> contextlib.AbstractContextManager[StepTracker]: ...

    def note(self, message: str) -> None: ...


class _NullTracker:
    def advance(self, amount: int = 1) -> None:
        return None


class NullProgress:
    """Reports nothing (DAG tasks log through the run log instead)."""

    @contextlib.contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[StepTracker]:
        yield _NullTracker()

    def note(self, message: str) -> None:
        return None


class TimedProgress:
    """Forwards to another reporter and records each step's wall time (for ``pipeline_run``)."""

    def __init__(self, inner: ProgressReporter, timings: dict[str, float]) -> None:
        self._inner = inner
        self.timings = timings

    @contextlib.contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[StepTracker]:
        start = time.perf_counter()
        try:
            with self._inner.step(description, total) as tracker:
                yield tracker
        finally:
            elapsed = time.perf_counter() - start
            self.timings[description] = round(self.timings.get(description, 0.0) + elapsed, 3)

    def note(self, message: str) -> None:
        self._inner.note(message)


@contextlib.contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    """Record the wall time of the block as ``timings[name]`` (seconds, 3 decimals)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 3)
