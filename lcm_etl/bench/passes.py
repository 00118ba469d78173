"""A pipeline pass in a child process of its own, so its peak resident memory is the pass's.

The child (``spawn``: a fresh interpreter, nothing inherited from the bench) imports the pipeline,
runs ``pipeline.run_pass`` and reports its wall time, the stages' per-step timings and counts, and
its peak RSS (``VmHWM``: the high-water mark of the whole process, interpreter and imports
included; PostgreSQL's own memory is another process and not counted).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from lcm_etl.modes import Mode
from lcm_etl.settings import Settings


@dataclasses.dataclass(frozen=True)
class PassMeasurement:
    mode: str
    seconds: float
    ingest_seconds: float
    publish_seconds: float
    timings: dict[str, float]
    """Per-step seconds from the run log, keyed ``ingest: <step>`` / ``publish: <step>``."""
    counts: dict[str, int]
    peak_rss_mb: float
    rss_before_mb: float
    """The child's peak RSS after importing the pipeline, before the pass started."""

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seconds": round(self.seconds, 4),
            "ingest_seconds": round(self.ingest_seconds, 3),
            "publish_seconds": round(self.publish_seconds, 3),
            "timings": self.timings,
            "counts": self.counts,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rss_before_mb": round(self.rss_before_mb, 1),
        }


def _max_rss_mb() -> float:
    """This process's peak RSS. On Linux ``VmHWM``: ``ru_maxrss`` survives ``execve`` and so
    still holds the forking parent's RSS in a spawned child."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes / KiB


def _run_pass(settings: Settings, mode: Mode) -> PassMeasurement:
    """The child's work (module-level, so ``spawn`` can find it)."""
    from lcm_etl import pipeline

    rss_before = _max_rss_mb()
    started = time.perf_counter()
    result = pipeline.run_pass(settings, mode=mode, trigger="manual")
    seconds = time.perf_counter() - started
    timings = {
        **{f"ingest: {step}": value for step, value in result.ingest.timings.items()},
        **{f"publish: {step}": value for step, value in result.publish.timings.items()},
    }
    counts = {
        **{f"ingest.{key}": value for key, value in result.ingest.counts.items()},
        **{f"publish.{key}": value for key, value in result.publish.counts.items()},
    }
    return PassMeasurement(
        mode=mode,
        seconds=seconds,
        ingest_seconds=result.ingest.seconds,
        publish_seconds=result.publish.seconds,
        timings=timings,
        counts=counts,
        peak_rss_mb=_max_rss_mb(),
        rss_before_mb=rss_before,
    )


def measure_pass(settings: Settings, mode: Mode) -> PassMeasurement:
    """Run one pass (``full`` or ``incremental``) in a fresh child process and measure it."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_run_pass, settings, mode).result()
