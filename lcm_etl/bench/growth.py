"""How the passes grow: full-pass throughput at every size up to the run's, and incremental
passes at three change sizes on the two largest, as seconds per changed row.

The claim to check is that a full pass grows linearly with the data (rows per second stay about
the same from S to L) and an incremental pass with the change, not with the data (seconds per
changed row stay about the same from M to L, and from 0.1 % to 2 % changed). Every figure comes
from a fresh read model and a working copy of the cached demo source of that size, the passes
in child processes exactly as the main measurement runs them. The run's own full pass and its
0.5 % incremental pass are reused for the run's size.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from lcm_etl import demo
from lcm_etl.bench.passes import PassMeasurement, measure_pass
from lcm_etl.bench.sources import (
    bench_settings,
    cached_sqlite_source,
    fresh_read_model,
    sqlite_url,
    working_copy,
)
from lcm_etl.settings import Settings

SCALES = ("S", "M", "L")
FRACTIONS = (0.001, 0.005, 0.02)
"""Changed fractions of the incremental series (0.5 % is the main measurement's)."""
MAIN_FRACTION = 0.005


def sizes_for(scale: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(full-pass sizes, incremental-series sizes) for a run at ``scale``: every size up to it,
    and its two largest (one at S)."""
    full = SCALES[: SCALES.index(scale) + 1]
    return full, full[-2:]


def full_pass_json(scale: str, measured: PassMeasurement) -> dict[str, Any]:
    landed = measured.counts.get("ingest.landed", 0)
    redemptions = measured.counts.get("publish.redemptions_written", 0)
    return {
        "scale": scale,
        "seconds": round(measured.seconds, 3),
        "rows_landed": landed,
        "rows_landed_per_second": round(landed / measured.seconds),
        "redemptions_published": redemptions,
        "redemptions_per_second": round(redemptions / measured.seconds),
    }


def incremental_json(
    scale: str,
    fraction: float,
    changes: demo.ChangeSummary,
    measured: PassMeasurement,
    full_seconds: float,
) -> dict[str, Any]:
    return {
        "scale": scale,
        "fraction": fraction,
        "changed_rows": changes.changed,
        "offers_touched": len(changes.offer_ids),
        "seconds": round(measured.seconds, 3),
        "seconds_per_changed_row": round(measured.seconds / max(changes.changed, 1), 6),
        "over_full": round(measured.seconds / full_seconds, 4),
        "ingest_seconds": round(measured.ingest_seconds, 3),
        "publish_seconds": round(measured.publish_seconds, 3),
        "timings": measured.timings,
    }


def incremental_series(
    bench_settings: Settings,
    source: str,
    *,
    scale: str,
    seed: int,
    full_seconds: float,
    fractions: tuple[float, ...],
    console: Console,
) -> list[dict[str, Any]]:
    """Change the source by each fraction in turn, an incremental pass after each."""
    series = []
    for fraction in fractions:
        console.print(f"growth: {scale}, {fraction:.1%} changed, incremental pass …")
        changes = demo.apply_changes(source, seed=seed, fraction=fraction)
        measured = measure_pass(bench_settings, "incremental")
        series.append(incremental_json(scale, fraction, changes, measured, full_seconds))
    return series


def measure_growth(
    settings: Settings,
    *,
    scale: str,
    seed: int,
    main_full: tuple[PassMeasurement, dict[str, Any]],
    main_source: str,
    main_settings: Settings,
    console: Console,
) -> dict[str, Any]:
    """The growth figures. ``main_full``: the run's full pass and the JSON of its 0.5 %
    incremental pass; the run's source copy and settings continue with 0.1 % and 2 %."""
    full_sizes, incremental_sizes = sizes_for(scale)
    full_passes: list[dict[str, Any]] = []
    incrementals: list[dict[str, Any]] = []
    for size in full_sizes:
        if size == scale:
            continue
        cached = cached_sqlite_source(settings, size, seed=seed, console=console)
        with working_copy(cached) as path, fresh_read_model(settings) as read_model:
            source = sqlite_url(path)
            sized = bench_settings(settings, read_model, source)
            console.print(f"growth: {size}, full pass …")
            full = measure_pass(sized, "full")
            full_passes.append(full_pass_json(size, full))
            if size in incremental_sizes:
                incrementals += incremental_series(
                    sized,
                    source,
                    scale=size,
                    seed=seed,
                    full_seconds=full.seconds,
                    fractions=FRACTIONS,
                    console=console,
                )
    full, main_incremental = main_full
    full_passes.append(full_pass_json(scale, full))
    incrementals.append(main_incremental)
    incrementals += incremental_series(
        main_settings,
        main_source,
        scale=scale,
        seed=seed,
        full_seconds=full.seconds,
        fractions=tuple(f for f in FRACTIONS if f != MAIN_FRACTION),
        console=console,
    )
    order = {s: i for i, s in enumerate(SCALES)}
    incrementals.sort(key=lambda row: (order[row["scale"]], row["fraction"]))
    return {
        "full_passes": full_passes,
        "incremental_passes": incrementals,
        "per_changed_row_growth": _per_row_growth(incrementals),
    }


def _per_row_growth(rows: list[dict[str, Any]]) -> float | None:
    """Seconds per changed row at the largest size over the next size, at 0.5 % changed: ~1
    when the incremental cost follows the change, ~10 when it follows the data (L is 10× M)."""
    main = {r["scale"]: r for r in rows if r["fraction"] == MAIN_FRACTION}
    sizes = [s for s in SCALES if s in main]
    if len(sizes) < 2:
        return None
    small, large = main[sizes[-2]], main[sizes[-1]]
    ratio = float(large["seconds_per_changed_row"]) / float(small["seconds_per_changed_row"])
    return round(ratio, 3)
