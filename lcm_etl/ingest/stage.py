"""The ingest stage: every registered source, in order, in one landing transaction.

``SOURCES`` is the registry. The order matters where sources share a database: the coupons are
read in the ecommerce source's snapshot, after the learner-credit extraction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from lcm_etl.ingest import access, coupons, ecommerce, license_manager, lms, subsidy
from lcm_etl.ingest.base import IngestRun, Source, SourceResult
from lcm_etl.modes import Mode
from lcm_etl.progress import ProgressReporter
from lcm_etl.settings import Settings

SOURCES: tuple[Source, ...] = (
    ecommerce.SOURCE,
    coupons.SOURCE,
    lms.SOURCE,
    license_manager.SOURCE,
    subsidy.SOURCE,  # issue 14: the ledger era (optional)
    access.SOURCE,
)


@dataclasses.dataclass(frozen=True)
class IngestOutcome:
    """What the stage did, as its ``lcm.pipeline_run`` row records it."""

    counts: dict[str, int]
    timings: dict[str, float]
    watermarks: dict[str, Any]
    sources: dict[str, str | None]


def ingest_sources(
    conn: Connection,
    *,
    settings: Settings,
    run_id: int,
    mode: Mode,
    targets: Sequence[uuid.UUID],
    progress: ProgressReporter,
    timings: dict[str, float],
    sources: Sequence[Source] = SOURCES,
) -> IngestOutcome:
    """Run each source on ``conn`` (the caller's transaction) and add up what they did."""
    results: list[SourceResult] = []
    with contextlib.ExitStack() as snapshots:
        ingest = IngestRun(
            conn=conn,
            settings=settings,
            run_id=run_id,
            mode=mode,
            targets=tuple(targets),
            progress=progress,
            timings=timings,
            snapshots=snapshots,
        )
        for source in sources:
            results.append(source.run(ingest))
    counts = {
        "extracted": sum(r.extracted for r in results),
        "landed": sum(r.landed for r in results),
        "rejected": sum(r.rejected for r in results),
    }
    for result in results:
        counts.update(result.counts)
    return IngestOutcome(
        counts=counts,
        timings=timings,
        watermarks={k: v for r in results for k, v in r.watermarks.items()},
        sources={k: v for r in results for k, v in r.sources.items()},
    )
