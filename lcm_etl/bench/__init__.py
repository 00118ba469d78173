"""``lcm-etl bench``: the pipeline and the API measured against the physical limit and against
computing the page on read, in one run, on this machine.

One run (``run``) does, in order:
1. the demo source at the scale (cached in ``{LCM_DATA_DIR}/bench/``), copied for this run, and a
   fresh migrated read-model database on the configured or embedded PostgreSQL server;
2. **the limit** (``limit.py``): the same redemption rows read with one join query and COPYed
   into an unindexed copy of ``lcm.offer_redemption``;
3. the **full pass** and, after ``demo.apply_changes(fraction=0.005)``, the **incremental pass**,
   each in a child process of its own (``passes.py``: wall time, per-step timings, peak RSS);
4. the **API under load** (``load.py``): ``lcm-etl serve`` and the **compute-on-read baseline**
   (``baseline.py``) in subprocesses, driven over loopback by an asyncio httpx client at 1 and 16
   concurrent clients — the page for a typical and for the largest enterprise, the enrollments
   list (20 rows, newest first, searched) for the largest; the two servers' answers are compared;
5. with ``--mysql-url``: the limit and the full pass again with the source in MariaDB.

Ratios are computed from figures of the same run. It reports; it never asserts a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psutil
from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from lcm_etl import demo
from lcm_etl.bench import explain
from lcm_etl.bench.baseline import FLOOR_PATH
from lcm_etl.bench.limit import measure_copy_limit
from lcm_etl.bench.load import (
    BASELINE_SERVER,
    PAGE_SERVER,
    get_json,
    measure_load,
    running_server,
)
from lcm_etl.bench.passes import PassMeasurement, measure_pass
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
from lcm_etl.db import make_engine
from lcm_etl.settings import ConfigError, Settings

__all__ = ["GOALS", "BenchError", "main", "run"]

CHANGED_FRACTION = 0.005
CONCURRENCY = (1, 16)
LARGE_ENTERPRISE_REDEMPTIONS = 100_000  # the size the enrollments goal is stated for
ENROLLMENTS_PAGE_SIZE = 20  # the LCM page's table


@dataclasses.dataclass(frozen=True)
class Goals:
    """DESIGN.md "Performance"."""

    full_pass_over_limit: float = 3.0
    incremental_over_full: float = 0.05
    peak_rss_mb: float = 500.0
    page_p99_ms: float = 10.0  # at 16 concurrent clients
    enrollments_p99_ms: float = 25.0  # for an enterprise with >= 100,000 redemptions
    baseline_over_page_largest: float = 10.0
    baseline_over_page_typical: float = 1.0


GOALS = Goals()


@dataclasses.dataclass(frozen=True)
class LoadPlan:
    """Requests per measurement at a scale (small at S: the smoke test must stay quick)."""

    requests: int
    warmup: int
    seconds: float
    """Time budget of one measurement: a slow answer stops early, once each client has sent
    two requests (the report says how many were sent)."""


LOAD_PLANS = {
    "S": LoadPlan(requests=40, warmup=5, seconds=2.0),
    "M": LoadPlan(requests=500, warmup=20, seconds=10.0),
    "L": LoadPlan(requests=2000, warmup=50, seconds=30.0),
}


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


def _bench_settings(settings: Settings, read_model: URL, source: str) -> Settings:
    """The caller's settings pointed at this run's read model and source (ecommerce, LMS and
    license-manager tables all live in the demo source)."""
    return settings.model_copy(
        update={
            "database_url": url_string(read_model),
            "ecommerce_database_url": source,
            "lms_database_url": source,
            "license_manager_database_url": source,
        }
    )


def _server_env(settings: Settings) -> dict[str, str]:
    """What the API servers need to answer like the pass computed (settings travel as env)."""
    assert settings.database_url is not None
    return {
        "LCM_DATABASE_URL": settings.database_url,
        "LCM_API_AUTH": "none",
        "LCM_DATA_DIR": str(settings.data_dir.resolve()),
        "LCM_LOW_BALANCE_FRACTION": str(settings.low_balance_fraction),
        "LCM_NO_BALANCE_AMOUNT": str(settings.no_balance_amount),
        "LCM_HIDE_EMAILS_WHEN_CONSENT_UNKNOWN": str(settings.hide_emails_when_consent_unknown),
    }


def _vacuum(engine: Engine) -> float:
    """VACUUM ANALYZE after the passes: the steady state autovacuum reaches between passes
    (visibility map for index-only scans, fresh statistics), for both servers alike."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    return time.perf_counter() - started


BENCH_APPLICATION = "lcm-etl-bench"  # the bench's own connections, told apart from the servers'


def _bench_engine(url: URL) -> Engine:
    return make_engine(url, connect_args={"application_name": BENCH_APPLICATION})


@dataclasses.dataclass(frozen=True)
class _PostgresWatch:
    """The bench database as the load measurements see it (through the bench's own engine,
    whose connections are told apart by their application name)."""

    engine: Engine

    def backend_pids(self) -> list[int] | None:
        """The backends serving the API servers' connections, when they are processes of this
        machine (None otherwise)."""
        with self.engine.connect() as conn:
            pids = list(
                conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND backend_type = 'client backend' AND application_name <> :bench"
                    ),
                    {"bench": BENCH_APPLICATION},
                ).scalars()
            )
        try:
            local = all(psutil.Process(pid).name().startswith("postgres") for pid in pids)
        except psutil.Error:
            return None
        return pids if pids and local else None

    def sessions(self) -> int:
        with self.engine.connect() as conn:
            # The statistics of this transaction's snapshot would be stale: clear them first.
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(
                conn.execute(
                    text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
                ).scalar_one()
            )


@dataclasses.dataclass(frozen=True)
class Enterprise:
    uuid: uuid.UUID
    redemptions: int


def _pick_enterprises(engine: Engine) -> tuple[Enterprise, Enterprise]:
    """The median enterprise by redemptions (typical) and the largest (the demo's showcase)."""
    with engine.connect() as conn:
        sizes = [
            Enterprise(row[0], int(row[1]))
            for row in conn.execute(
                text(
                    "SELECT enterprise_customer_uuid, count(*) FROM lcm.offer_redemption "
                    "GROUP BY enterprise_customer_uuid ORDER BY count(*), enterprise_customer_uuid"
                )
            )
        ]
    if not sizes:
        raise BenchError("the read model has no redemptions after the full pass")
    typical = sizes[len(sizes) // 2]
    showcase = uuid.UUID(demo.SHOWCASE_LARGE_ENTERPRISE)
    largest = next((e for e in sizes if e.uuid == showcase), sizes[-1])
    return typical, largest


def _search_term(engine: Engine, enterprise: uuid.UUID) -> str:
    """A learner's last name, as an admin would type it (the demo's emails are
    ``first.last<id>@domain``): the one of the enterprise's newest redemption."""
    with engine.connect() as conn:
        email = conn.execute(
            text(
                "SELECT user_email FROM lcm.offer_redemption WHERE enterprise_customer_uuid = :e "
                "AND user_email IS NOT NULL ORDER BY redeemed_at DESC, order_discount_id DESC "
                "LIMIT 1"
            ),
            {"e": enterprise},
        ).scalar()
    if not email:
        raise BenchError(f"enterprise {enterprise} has no visible learner email to search for")
    match = re.match(r"[^.@]+\.([A-Za-z]+)", email)
    return match.group(1).lower() if match else email.split("@", 1)[0][:4]


def _page_path(enterprise: uuid.UUID) -> str:
    return f"/api/v1/enterprises/{enterprise}/learner-credit"


def _enrollments_path(enterprise: uuid.UUID, search: str) -> str:
    return (
        f"/enterprise/api/v1/enterprise/{enterprise}/enrollments/"
        f"?page=1&page_size={ENROLLMENTS_PAGE_SIZE}&ordering=-enrollment_date"
        f"&search={quote(search)}"
    )


def answer_differences(ours: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Where the two answers differ (``data_as_of`` aside: the baseline's is the last ingest)."""
    problems = [
        f"{key}: page {ours.get(key)!r} != baseline {baseline.get(key)!r}"
        for key in sorted(set(ours) | set(baseline))
        if key not in ("data_as_of", "offers") and ours.get(key) != baseline.get(key)
    ]
    ours_offers = {o["offer_id"]: o for o in ours.get("offers", [])}
    baseline_offers = {o["offer_id"]: o for o in baseline.get("offers", [])}
    if list(ours_offers) != list(baseline_offers):
        problems.append(f"offers: page {list(ours_offers)} != baseline {list(baseline_offers)}")
    for offer_id, offer in ours_offers.items():
        other = baseline_offers.get(offer_id)
        if other is not None and other != offer:
            fields = sorted(k for k in set(offer) | set(other) if offer.get(k) != other.get(k))
            problems.append(
                f"offer {offer_id}: "
                + "; ".join(
                    f"{k}: page {offer.get(k)!r} != baseline {other.get(k)!r}" for k in fields
                )
            )
    return problems


def _measure_api(
    settings: Settings,
    engine: Engine,
    plan: LoadPlan,
    log_dir: Path,
    console: Console,
) -> dict[str, Any]:
    typical, largest = _pick_enterprises(engine)
    term = _search_term(engine, largest.uuid)
    env = _server_env(settings)
    log_dir.mkdir(parents=True, exist_ok=True)
    console.print("EXPLAIN ANALYZE of the measured answers …")
    plans = {
        "page_typical": explain.explain_page(engine, settings, typical.uuid),
        "page_largest": explain.explain_page(engine, settings, largest.uuid),
        "enrollments_largest": explain.explain_enrollments(
            engine, largest.uuid, term, ENROLLMENTS_PAGE_SIZE
        ),
        "compute_on_read_typical": explain.explain_compute_on_read(engine, typical.uuid),
        "compute_on_read_largest": explain.explain_compute_on_read(engine, largest.uuid),
    }
    enterprises = {"typical": typical, "largest": largest}
    result: dict[str, Any] = {
        "enterprises": {
            name: {"uuid": str(e.uuid), "redemptions": e.redemptions}
            for name, e in enterprises.items()
        },
        "page": {},
        "compute_on_read": {},
        "ratios": {},
        "explain": plans,
    }
    watch = _PostgresWatch(engine)
    with (
        running_server(PAGE_SERVER, env, log_dir / "page-server.log") as page_server,
        running_server(BASELINE_SERVER, env, log_dir / "baseline-server.log") as baseline,
    ):
        differences: dict[str, list[str]] = {}
        for name, enterprise in enterprises.items():
            ours = get_json(page_server.base_url, _page_path(enterprise.uuid))
            theirs = get_json(baseline.base_url, _page_path(enterprise.uuid))
            found = answer_differences(ours, theirs)
            if found:
                differences[name] = found
        result["answers_match"] = not differences
        result["answer_differences"] = differences
        if differences:
            console.print(
                "[bold yellow]warning:[/] the compute-on-read answer differs from the page: "
                + json.dumps(differences)[:600]
            )

        for name, enterprise in enterprises.items():
            result["page"][name] = {}
            result["compute_on_read"][name] = {}
            result["ratios"][name] = {}
            for clients in CONCURRENCY:
                console.print(f"page, {name} enterprise, {clients} client(s) …")
                ours = measure_load(
                    page_server,
                    _page_path(enterprise.uuid),
                    concurrency=clients,
                    requests=plan.requests,
                    warmup=plan.warmup,
                    time_budget=plan.seconds,
                    database=watch,
                )
                console.print(f"compute-on-read, {name} enterprise, {clients} client(s) …")
                theirs = measure_load(
                    baseline,
                    _page_path(enterprise.uuid),
                    concurrency=clients,
                    requests=plan.requests,
                    warmup=0,
                    time_budget=plan.seconds,
                    database=watch,
                )
                result["page"][name][f"c{clients}"] = ours.as_json()
                result["compute_on_read"][name][f"c{clients}"] = theirs.as_json()
                result["ratios"][name][f"c{clients}"] = {
                    "p50": round(theirs.p50_ms / ours.p50_ms, 2),
                    "p99": round(theirs.p99_ms / ours.p99_ms, 2),
                    "requests_per_second": round(
                        ours.requests_per_second / theirs.requests_per_second, 2
                    ),
                }

        result["http_floor"] = {}
        for clients in CONCURRENCY:
            console.print(f"HTTP floor (no database work), {clients} client(s) …")
            floor = measure_load(
                baseline,
                FLOOR_PATH,
                concurrency=clients,
                requests=plan.requests,
                warmup=plan.warmup,
                time_budget=plan.seconds,
                database=watch,
            )
            result["http_floor"][f"c{clients}"] = floor.as_json()

        path = _enrollments_path(largest.uuid, term)
        matches = int(get_json(page_server.base_url, path)["count"])
        result["enrollments"] = {
            "uuid": str(largest.uuid),
            "redemptions": largest.redemptions,
            "search": term,
            "matches": matches,
            "path": path,
        }
        for clients in CONCURRENCY:
            console.print(f"enrollments, largest enterprise, {clients} client(s) …")
            measured = measure_load(
                page_server,
                path,
                concurrency=clients,
                requests=plan.requests,
                warmup=plan.warmup,
                time_budget=plan.seconds,
                database=watch,
            )
            result["enrollments"][f"c{clients}"] = measured.as_json()
    return result


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
        bench_settings = _bench_settings(settings, read_model, url_string(source.url))
        engine = _bench_engine(read_model)
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


def _goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with the figure measured against it."""
    full, incremental = report["full_pass"], report["incremental_pass"]
    api = report["api"]
    rows: list[dict[str, Any]] = []

    def goal(name: str, value: float, target: float, at_most: bool, applies: bool = True) -> None:
        met = value <= target if at_most else value >= target
        rows.append(
            {
                "goal": name,
                "value": value,
                "target": ("≤ " if at_most else "≥ ") + f"{target:g}",
                "met": met,
                "applies": applies,
            }
        )

    goal("full pass / limit", full["over_limit"], GOALS.full_pass_over_limit, at_most=True)
    goal(
        "incremental / full pass",
        incremental["over_full"],
        GOALS.incremental_over_full,
        at_most=True,
    )
    goal(
        "peak RSS of a pass (MB)",
        max(full["peak_rss_mb"], incremental["peak_rss_mb"]),
        GOALS.peak_rss_mb,
        at_most=True,
    )
    for name in ("typical", "largest"):
        goal(
            f"page p99 at 16 clients, {name} (ms)",
            api["page"][name]["c16"]["p99_ms"],
            GOALS.page_p99_ms,
            at_most=True,
        )
    large_enough = api["enrollments"]["redemptions"] >= LARGE_ENTERPRISE_REDEMPTIONS
    for clients in CONCURRENCY:
        goal(
            f"enrollments p99 at {clients} client(s) (ms)",
            api["enrollments"][f"c{clients}"]["p99_ms"],
            GOALS.enrollments_p99_ms,
            at_most=True,
            applies=large_enough,
        )
    for clients in CONCURRENCY:
        goal(
            f"compute-on-read / page p50, largest, {clients} client(s)",
            api["ratios"]["largest"][f"c{clients}"]["p50"],
            GOALS.baseline_over_page_largest,
            at_most=False,
        )
        goal(
            f"compute-on-read / page p50, typical, {clients} client(s)",
            api["ratios"]["typical"][f"c{clients}"]["p50"],
            GOALS.baseline_over_page_typical,
            at_most=False,
        )
    return rows


def _pass_json(measured: PassMeasurement, **ratios: float) -> dict[str, Any]:
    return {**measured.as_json(), **{k: round(v, 4) for k, v in ratios.items()}}


def run(
    settings: Settings,
    *,
    scale: str = "S",
    mysql_url: str | None = None,
    seed: int = SEED,
    console: Console | None = None,
) -> dict[str, Any]:
    """Measure everything once; return the report (what ``--json`` writes)."""
    console = console or Console(stderr=True)
    scale = scale.upper()
    if scale not in LOAD_PLANS:
        raise BenchError(f"unknown scale {scale!r}: choose one of {', '.join(LOAD_PLANS)}")
    plan = LOAD_PLANS[scale]
    cached = cached_sqlite_source(settings, scale, seed=seed, console=console)
    report: dict[str, Any] = {"scale": scale, "seed": seed}
    log_dir = settings.data_dir / "bench" / "logs"
    with working_copy(cached) as source_path, fresh_read_model(settings) as read_model:
        source = sqlite_url(source_path)
        bench_settings = _bench_settings(settings, read_model, source)
        engine = _bench_engine(read_model)
        try:
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
            console.print("limit: one join query on the source + COPY into PostgreSQL …")
            limit = measure_copy_limit(make_url(source), engine, batch_size=settings.batch_size)
            report["limit"] = limit.as_json()
            console.print("full pass (child process) …")
            full = measure_pass(bench_settings, "full")
            report["full_pass"] = _pass_json(
                full,
                over_limit=full.seconds / limit.seconds,
                over_copy=full.seconds / limit.copy_seconds,
            )
            console.print(f"changing {CHANGED_FRACTION:.1%} of the source …")
            changes = demo.apply_changes(source, seed=seed, fraction=CHANGED_FRACTION)
            console.print("incremental pass (child process) …")
            incremental = measure_pass(bench_settings, "incremental")
            report["incremental_pass"] = {
                "changes": changes.describe(),
                "changed": changes.changed,
                **_pass_json(incremental, over_full=incremental.seconds / full.seconds),
            }
            report["vacuum_analyze_seconds"] = round(_vacuum(engine), 2)
            report["api"] = _measure_api(bench_settings, engine, plan, log_dir, console)
        finally:
            engine.dispose()
    if mysql_url:
        report["mariadb"] = _measure_mariadb(
            settings,
            scale=scale,
            seed=seed,
            mysql_url=mysql_url,
            console=console,
        )
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["goals"] = _goals(report)
    return report


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
    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        report = run(settings, scale=scale, mysql_url=mysql_url, console=console)
    except (BenchError, ConfigError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted: servers stopped, bench database dropped")
        raise SystemExit(130) from None
    render(report, console)
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        console.print(f"report written to {json_path}")
    return report
