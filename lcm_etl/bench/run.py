"""One bench run (``lcm-etl bench``): the steps the package docstring lists, in order."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import signal
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psutil
from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from lcm_etl import demo
from lcm_etl.bench import sources
from lcm_etl.bench.api import LOAD_PLANS, bench_engine, measure_api
from lcm_etl.bench.budgets import measure_budgets
from lcm_etl.bench.goals import assess
from lcm_etl.bench.growth import MAIN_FRACTION, incremental_json, measure_growth
from lcm_etl.bench.limit import measure_copy_limit
from lcm_etl.bench.passes import PassMeasurement, measure_pass
from lcm_etl.bench.record import PHASES, Recorder
from lcm_etl.bench.report import render
from lcm_etl.bench.sources import (
    SEED,
    BenchError,
    cached_sqlite_source,
    fresh_read_model,
    mariadb_source,
    sqlite_url,
    url_string,
    working_copy,
)
from lcm_etl.settings import ConfigError, Settings

CHANGED_FRACTION = MAIN_FRACTION


def _editable_checkout() -> Path | None:
    """The source checkout an editable install (``pip install -e``) runs from; None otherwise."""
    try:
        direct_url = importlib.metadata.distribution("lcm-etl").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    info = json.loads(direct_url or "{}")
    url = str(info.get("url", ""))
    if not info.get("dir_info", {}).get("editable") or not url.startswith("file://"):
        return None
    return Path(unquote(urlsplit(url).path))


def _repository_commit() -> dict[str, Any]:
    """The commit measured, when running from a checkout; an installed wheel has none."""
    root = _editable_checkout()
    if root is None:
        return {"commit": None, "uncommitted_changes": None}
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "uncommitted_changes": None}
    return {"commit": commit, "uncommitted_changes": bool(dirty)}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine_info(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        server_version = conn.execute(text("SELECT version()")).scalar_one()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        **_repository_commit(),
    }


def _vacuum(engine: Engine) -> float:
    """VACUUM ANALYZE after the passes: the steady state autovacuum reaches between passes
    (visibility map for index-only scans, fresh statistics), for both servers alike."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    return time.perf_counter() - started


def _measure_mariadb(
    settings: Settings,
    *,
    scale: str,
    seed: int,
    mysql_url: str,
    console: Console,
) -> dict[str, Any]:
    source = mariadb_source(mysql_url, scale, seed=seed, console=console)
    with fresh_read_model(settings) as read_model:
        bench_settings = sources.bench_settings(settings, read_model, url_string(source.url))
        engine = bench_engine(read_model)
        try:
            console.print("limit (MariaDB source): one join query + COPY …")
            limit = measure_copy_limit(source.url, engine, batch_size=settings.batch_size)
        finally:
            engine.dispose()
        console.print("full pass (MariaDB source) …")
        full = measure_pass(bench_settings, "full")
    return {
        "database": source.url.database,
        "loaded_seconds": None
        if source.loaded_seconds is None
        else round(source.loaded_seconds, 1),
        "limit": limit.as_json(),
        "full_pass": full.as_json(),
        "full_pass_over_limit": round(full.seconds / limit.seconds, 2),
        "full_pass_over_copy": round(full.seconds / limit.copy_seconds, 2),
    }


def _pass_json(measured: PassMeasurement, **ratios: float) -> dict[str, Any]:
    return {**measured.as_json(), **{k: round(v, 4) for k, v in ratios.items()}}


def run(
    settings: Settings,
    *,
    scale: str = "S",
    mysql_url: str | None = None,
    seed: int = SEED,
    console: Console | None = None,
    json_path: Path | None = None,
) -> dict[str, Any]:
    """Measure everything once; return the report (what ``--json`` writes). With ``json_path``,
    the report is rewritten there after each phase, and once more with the failure when a phase
    fails (``record.py``)."""
    console = console or Console(stderr=True)
    scale = scale.upper()
    if scale not in LOAD_PLANS:
        raise BenchError(f"unknown scale {scale!r}: choose one of {', '.join(LOAD_PLANS)}")
    phases = [p for p in PHASES if p != "mariadb" or mysql_url]
    recorder = Recorder({"scale": scale, "seed": seed}, phases, json_path)
    recorder.write()
    try:
        _run_phases(
            recorder, settings, scale=scale, mysql_url=mysql_url, seed=seed, console=console
        )
    except BaseException as exc:
        recorder.fail(exc)
        if json_path is not None:
            done = ", ".join(recorder.completed) or "none"
            console.print(
                f"partial report written to {json_path}: the {recorder.failure_phase} phase "
                f"failed; phases completed: {done}"
            )
        raise
    return recorder.final()


def _run_phases(
    recorder: Recorder,
    settings: Settings,
    *,
    scale: str,
    mysql_url: str | None,
    seed: int,
    console: Console,
) -> None:
    report = recorder.report
    phase = recorder.phase
    plan = LOAD_PLANS[scale]
    cached = cached_sqlite_source(settings, scale, seed=seed, console=console)
    log_dir = settings.data_dir / "bench" / "logs"
    with working_copy(cached) as source_path, fresh_read_model(settings) as read_model:
        source = sqlite_url(source_path)
        bench_settings = sources.bench_settings(settings, read_model, source)
        engine = bench_engine(read_model)
        try:
            with phase("setup"):
                report["machine"] = machine_info(engine)
                report["source"] = {
                    "kind": "sqlite",
                    "cache": str(cached.path),
                    "generated_seconds": None
                    if cached.generated_seconds is None
                    else round(cached.generated_seconds, 1),
                    "table_counts": cached.table_counts,
                }
                report["read_model_database"] = read_model.database
            with phase("limit"):
                console.print("limit: one join query on the source + COPY into PostgreSQL …")
                limit = measure_copy_limit(make_url(source), engine, batch_size=settings.batch_size)
                report["limit"] = limit.as_json()
            with phase("full_pass"):
                console.print("full pass (child process) …")
                full = measure_pass(bench_settings, "full")
                report["full_pass"] = _pass_json(
                    full,
                    over_limit=full.seconds / limit.seconds,
                    over_copy=full.seconds / limit.copy_seconds,
                )
            with phase("incremental_pass"):
                console.print(f"changing {CHANGED_FRACTION:.1%} of the source …")
                changes = demo.apply_changes(source, seed=seed, fraction=CHANGED_FRACTION)
                console.print("incremental pass (child process) …")
                incremental = measure_pass(bench_settings, "incremental")
                report["incremental_pass"] = {
                    "changes": changes.describe(),
                    "changed": changes.changed,
                    **_pass_json(incremental, over_full=incremental.seconds / full.seconds),
                }
            with phase("growth"):
                report["growth"] = measure_growth(
                    settings,
                    scale=scale,
                    seed=seed,
                    main_full=(
                        full,
                        incremental_json(
                            scale, CHANGED_FRACTION, changes, incremental, full.seconds
                        ),
                    ),
                    main_source=source,
                    main_settings=bench_settings,
                    console=console,
                )
            with phase("vacuum_analyze"):
                report["vacuum_analyze_seconds"] = round(_vacuum(engine), 2)
            with phase("api"):
                report["api"] = measure_api(bench_settings, engine, plan, log_dir, console)
            with phase("budgets"):
                console.print("budgets: read model against computing on read …")
                report["budgets"] = measure_budgets(engine)  # issue 14: the ledger era
        finally:
            engine.dispose()
    if mysql_url:
        with phase("mariadb"):
            report["mariadb"] = _measure_mariadb(
                settings,
                scale=scale,
                seed=seed,
                mysql_url=mysql_url,
                console=console,
            )
    with phase("goals"):
        report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        report["goals"] = assess(report)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(
    settings: Settings,
    *,
    scale: str = "S",
    json_path: Path | None = None,
    mysql_url: str | None = None,
    console: Console | None = None,
) -> dict[str, Any]:
    """``lcm-etl bench``: run, print the tables, write the JSON report."""
    console = console or Console(stderr=True)
    # TERM (e.g. a CI timeout) and Ctrl-C unwind the run at once — servers stopped, database
    # dropped, working copy removed. (A handler of our own also keeps asyncio.run from turning
    # Ctrl-C into a task cancellation, which the HTTP client may absorb.)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        report = run(
            settings, scale=scale, mysql_url=mysql_url, console=console, json_path=json_path
        )
    except (BenchError, ConfigError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted: servers stopped, bench database dropped")
        raise SystemExit(130) from None
    finally:
        for sig, handler in previous.items():  # in-process callers (tests) get theirs back
            if handler is not None:
                signal.signal(sig, handler)
    render(report, console)
    if json_path is not None:
        console.print(f"report written to {json_path}")
    return report
