"""The API under load: ``lcm-etl serve`` and the compute-on-read baseline, their answers compared,
then each measured at 1 and 16 clients over loopback (the page for a typical and for the largest
enterprise, the enrollments list for the largest)."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from lcm_etl import demo
from lcm_etl.bench import explain
from lcm_etl.bench.baseline import FLOOR_PATH
from lcm_etl.bench.load import (
    BASELINE_SERVER,
    PAGE_SERVER,
    get_json,
    measure_load,
    running_server,
)
from lcm_etl.bench.sources import (
    BenchError,
)
from lcm_etl.db import make_engine
from lcm_etl.settings import Settings

CONCURRENCY = (1, 16)
ENROLLMENTS_PAGE_SIZE = 20  # the LCM page's table


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


BENCH_APPLICATION = "lcm-etl-bench"  # the bench's own connections, told apart from the servers'


def bench_engine(url: URL) -> Engine:
    return make_engine(url, connect_args={"application_name": BENCH_APPLICATION})


def _is_postgres_process(pid: int) -> bool:
    try:
        return psutil.Process(pid).name().startswith("postgres")
    except psutil.Error:
        return False


@dataclasses.dataclass(frozen=True)
class _PostgresWatch:
    """The bench database as the load measurements see it (through the bench's own engine,
    whose connections are told apart by their application name)."""

    engine: Engine

    def backend_pids(self) -> list[int] | None:
        """The backends serving the API servers' connections, when PostgreSQL runs on this
        machine (None otherwise). Whether it is local is decided by the bench's own backend, not
        by the servers': with no server connected yet, or one that just exited, the answer used
        to be None, and the whole measurement lost its PostgreSQL column."""
        with self.engine.connect() as conn:
            own = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            pids = list(
                conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND backend_type = 'client backend' AND application_name <> :bench"
                    ),
                    {"bench": BENCH_APPLICATION},
                ).scalars()
            )
        if not _is_postgres_process(own):
            return None
        # A backend that exited since the query is simply not there any more.
        return [pid for pid in pids if _is_postgres_process(pid)]

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
        # The baseline recomputes spend, not the offers' depletion forecast (a budget's it does).
        offer = {k: v for k, v in offer.items() if k != "forecast"}
        if other is not None and other != offer:
            fields = sorted(k for k in set(offer) | set(other) if offer.get(k) != other.get(k))
            problems.append(
                f"offer {offer_id}: "
                + "; ".join(
                    f"{k}: page {offer.get(k)!r} != baseline {other.get(k)!r}" for k in fields
                )
            )
    return problems


def measure_api(
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
