"""``lcm-etl bench-freshness --scale S|M|L``: the event path on the demo source of a scale.

The source of the scale is the bench's cached one (generated once, reused; each run works on a
copy), the read model a fresh database built by a full pass. Then:

1. single rounds — one enrollment, its event, the clock from the XADD to the page (see
   ``events/freshness.py``): median and maximum;
2. a burst round — ``burst_events`` enrollments spread over ``burst_enterprises`` enterprises
   (1,000 over 200 by default), their orders written first, then every event XADDed as fast as
   Redis takes them while the consumer runs as in production (a long-running loop, refreshing
   in-process). For each enterprise the clock runs from the XADD of the last event naming it
   until its offer's redeemed funds — what its page shows — include all of its new orders; the
   round reports p50, p95 and the maximum over the enterprises, and how many passes it took.

Reports, never asserts a time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
import os
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from lcm_etl import pipeline
from lcm_etl.bench import freshness, sources
from lcm_etl.db import ecommerce_source_url, make_engine, read_model_engine
from lcm_etl.events import producer
from lcm_etl.events.consumer import stream_names
from lcm_etl.events.enterprises import enterprise_customer_user
from lcm_etl.events.refresh import PipelineRefresher
from lcm_etl.schema import offer_summary, pipeline_run
from lcm_etl.settings import ConfigError, Settings


@contextlib.contextmanager
def scale_settings(
    settings: Settings, scale: str, *, console: Console | None = None
) -> Iterator[Settings]:
    """Settings whose sources are a copy of the cached demo source of ``scale`` and whose read
    model is a fresh database, after a full pass; both are dropped afterwards."""
    cached = sources.cached_sqlite_source(settings, scale, console=console)
    with sources.working_copy(cached) as copy, sources.fresh_read_model(settings) as url:
        source = sources.sqlite_url(copy)
        prepared = settings.model_copy(
            update={
                "database_url": sources.url_string(url),
                "ecommerce_database_url": source,
                "lms_database_url": source,
                "license_manager_database_url": source,
            }
        )
        if console is not None:
            console.print(f"full pass over the scale-{scale} source into a fresh read model …")
        started = time.perf_counter()
        pipeline.run_pass(prepared, mode="full", trigger="manual")
        if console is not None:
            console.print(f"full pass: {time.perf_counter() - started:.1f} s")
        yield prepared


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclasses.dataclass(frozen=True)
class BurstResult:
    events: int
    enterprises: int
    seconds_to_page: list[float]
    """Per enterprise: its last event's XADD → its page shows all of its new spend."""
    seconds_to_publish_all: float
    """The first XADD → the last page right."""
    passes: int
    incremental_passes: int

    def as_json(self) -> dict[str, Any]:
        times = self.seconds_to_page
        return {
            "events": self.events,
            "enterprises": self.enterprises,
            "p50_seconds": round(percentile(times, 0.50), 3),
            "p95_seconds": round(percentile(times, 0.95), 3),
            "max_seconds": round(max(times), 3),
            "seconds_first_xadd_to_last_page": round(self.seconds_to_publish_all, 3),
            "passes": self.passes,
            "incremental_passes": self.incremental_passes,
        }


def _burst_targets(
    read_model: Engine, lms: Engine, count: int, now: dt.datetime
) -> list[freshness.Target]:
    """Up to ``count`` enterprises with a current capped offer with funds left and a learner."""
    s = offer_summary.c
    candidates = (
        select(s.offer_id, s.enterprise_customer_uuid)
        .where(
            s.max_discount.is_not(None),
            s.remaining_funds > freshness.ORDER_AMOUNT * 100,
            (s.start_datetime.is_(None)) | (s.start_datetime <= now),
            (s.end_datetime.is_(None)) | (s.end_datetime >= now),
        )
        .order_by(s.enterprise_customer_uuid, s.offer_id)
    )
    with read_model.connect() as conn:
        offers: dict[uuid.UUID, int] = {}
        for offer_id, enterprise in conn.execute(candidates):
            offers.setdefault(enterprise, int(offer_id))
    ecu = enterprise_customer_user.c
    learners: dict[str, int] = {}
    with lms.connect() as conn:
        query = select(ecu.enterprise_customer_id, func.min(ecu.user_id)).group_by(
            ecu.enterprise_customer_id
        )
        for enterprise_key, user_id in conn.execute(query):
            learners[str(enterprise_key).replace("-", "").lower()] = int(user_id)
    targets = [
        freshness.Target(enterprise, offer_id, learners[enterprise.hex])
        for enterprise, offer_id in offers.items()
        if enterprise.hex in learners
    ]
    return targets[:count]


def _spent(read_model: Engine, offer_ids: list[int]) -> dict[int, Decimal]:
    """Each offer's redeemed funds as the page shows them (net spend, capped at the offer)."""
    s = offer_summary.c
    with read_model.connect() as conn:
        rows = conn.execute(
            select(s.offer_id, func.least(s.amount_of_offer_spent, s.max_discount)).where(
                s.offer_id.in_(offer_ids)
            )
        ).all()
    return {int(offer_id): Decimal(spent) for offer_id, spent in rows}


def burst(
    settings: Settings,
    *,
    events: int = 1_000,
    enterprises: int = 200,
    timeout_seconds: float = 600.0,
    poll_seconds: float = 0.05,
) -> BurstResult:
    """The burst round (see the module docstring) on an already-published read model."""
    bus = freshness.bench_bus(settings, "burst")
    client = redis.Redis.from_url(str(settings.event_bus_redis_url))
    read_model = read_model_engine(settings)
    source = make_engine(ecommerce_source_url(settings))
    lms = make_engine(freshness.lms_url_of(settings))
    stream = stream_names(bus)[0]
    try:
        targets = _burst_targets(read_model, lms, enterprises, dt.datetime.now(dt.UTC))
        if len(targets) < enterprises:
            raise freshness.FreshnessBenchError(
                f"only {len(targets)} enterprises have a current offer with funds and a learner"
            )
        plan = [targets[number % len(targets)] for number in range(events)]
        offers = [t.offer_id for t in targets]
        expected = _spent(read_model, offers)
        for target in plan:  # the orders first: ecommerce writes them before the LMS publishes
            freshness.insert_enrollment_order(source, target)
            expected[target.offer_id] += freshness.ORDER_AMOUNT
        with read_model.connect() as conn:
            last_run = conn.execute(select(func.max(pipeline_run.c.run_id))).scalar_one()
        refresher = PipelineRefresher(bus, check_alerts=False)
        with freshness.running_consumer(bus, client, read_model, refresher):
            last_xadd: dict[int, float] = {}
            first = time.perf_counter()
            for start in range(0, len(plan), 100):
                chunk = plan[start : start + 100]
                with client.pipeline(transaction=False) as batch:
                    for target in chunk:
                        fields = producer.enrollment_created_fields(target.lms_user_id)
                        batch.xadd(stream, fields, maxlen=producer.STREAM_MAX_LEN, approximate=True)  # type: ignore[arg-type]
                    batch.execute()
                now = time.perf_counter()
                last_xadd.update((target.offer_id, now) for target in chunk)
            shown: dict[int, float] = {}
            while len(shown) < len(offers) and time.perf_counter() - first < timeout_seconds:
                spent = _spent(read_model, [o for o in offers if o not in shown])
                now = time.perf_counter()
                for offer_id, amount in spent.items():
                    if amount >= expected[offer_id]:
                        shown[offer_id] = now
                time.sleep(poll_seconds)
        if len(shown) < len(offers):
            raise freshness.FreshnessBenchError(
                f"{len(offers) - len(shown)} pages never showed their new spend"
            )
        with read_model.connect() as conn:
            passes = list(
                conn.execute(
                    select(pipeline_run.c.mode).where(
                        pipeline_run.c.run_id > last_run,
                        pipeline_run.c.stage == "ingest",
                        pipeline_run.c.trigger == "event",
                    )
                ).scalars()
            )
        return BurstResult(
            events=events,
            enterprises=len(offers),
            seconds_to_page=[shown[o] - last_xadd[o] for o in offers],
            seconds_to_publish_all=max(shown.values()) - first,
            passes=len(passes),
            incremental_passes=sum(mode == "incremental" for mode in passes),
        )
    finally:
        client.close()
        for engine in (read_model, source, lms):
            engine.dispose()


def run_scale(
    settings: Settings,
    scale: str | None,
    *,
    rounds: int = 5,
    burst_events: int = 1_000,
    burst_enterprises: int = 200,
    airflow_rounds: int = 0,
    console: Console | None = None,
) -> dict[str, Any]:
    """Single rounds, the burst round and (``airflow_rounds``) rounds through a real Airflow —
    on the demo source of ``scale`` with a fresh read model, or (``scale`` None) on the
    configured source and read model; a JSON-able report."""
    with contextlib.ExitStack() as stack:
        prepared = (
            settings
            if scale is None
            else stack.enter_context(scale_settings(settings, scale, console=console))
        )
        report = _measure(
            prepared,
            rounds=rounds,
            burst_events=burst_events,
            burst_enterprises=burst_enterprises,
            airflow_rounds=airflow_rounds,
            console=console,
        )
    report["scale"] = scale
    return report


def _measure(
    settings: Settings,
    *,
    rounds: int,
    burst_events: int,
    burst_enterprises: int,
    airflow_rounds: int,
    console: Console | None,
) -> dict[str, Any]:
    from lcm_etl.bench.run import machine_info

    engine = read_model_engine(settings)
    try:
        report: dict[str, Any] = {"machine": machine_info(engine)}
    finally:
        engine.dispose()
    report["source_rows"] = sources.table_counts(ecommerce_source_url(settings))
    if console is not None:
        console.print(f"{rounds} single rounds …")
    report["single"] = freshness.run(settings, rounds=rounds).as_json()
    if burst_events:
        if console is not None:
            console.print(
                f"burst round: {burst_events} events over {burst_enterprises} enterprises …"
            )
        report["burst"] = burst(
            settings, events=burst_events, enterprises=burst_enterprises
        ).as_json()
    if airflow_rounds:
        from lcm_etl.bench import freshness_airflow

        report["airflow"] = freshness_airflow.run(
            settings, rounds=airflow_rounds, console=console
        ).as_json()
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def print_report(report: dict[str, Any], console: Console) -> None:
    scale = report["scale"]
    where = f"at scale {scale}" if scale else "on the configured source"
    table = Table(title=f"event → page freshness {where} (seconds)")
    for column in ("measurement", "median / p50", "p95", "max", "passes"):
        table.add_column(column, justify="right")
    single = report["single"]
    table.add_row(
        f"single event, no Airflow ({len(single['rounds'])} rounds)",
        f"{single['median_seconds']:.2f}",
        "",
        f"{single['max_seconds']:.2f}",
        "1 each",
    )
    if "burst" in report:
        burst = report["burst"]
        table.add_row(
            f"burst: {burst['events']} events, {burst['enterprises']} enterprises",
            f"{burst['p50_seconds']:.2f}",
            f"{burst['p95_seconds']:.2f}",
            f"{burst['max_seconds']:.2f}",
            f"{burst['passes']} ({burst['incremental_passes']} incremental)",
        )
    if "airflow" in report:
        airflow = report["airflow"]
        table.add_row(
            f"single event, Airflow in the loop ({len(airflow['rounds'])} rounds)",
            f"{airflow['median_seconds']:.2f}",
            "",
            f"{airflow['max_seconds']:.2f}",
            "1 each",
        )
    console.print(table)
    if "airflow" in report:
        airflow = report["airflow"]
        tasks = "one task" if airflow["publish_in_ingest"] else "two tasks"
        phases = Table(title=f"Airflow in the loop ({tasks}): where each round's seconds went")
        names = list(airflow["median_phases"])
        for column in ("round", "XADD → page", *names):
            phases.add_column(column, justify="right")
        for number, item in enumerate(airflow["rounds"], start=1):
            phases.add_row(
                str(number),
                f"{item['seconds_to_page']:.2f}",
                *(f"{item['phases'][name]:.2f}" for name in names),
            )
        phases.add_row(
            "median",
            f"{airflow['median_seconds']:.2f}",
            *(f"{airflow['median_phases'][name]:.2f}" for name in names),
        )
        console.print(phases)


def main(
    settings: Settings,
    scale: str | None,
    *,
    rounds: int,
    burst_events: int,
    burst_enterprises: int,
    airflow_rounds: int,
    json_path: Path | None,
    console: Console,
) -> dict[str, Any]:
    from lcm_etl.bench.airflow_stack import AirflowStackError

    try:
        report = run_scale(
            settings,
            scale,
            rounds=rounds,
            burst_events=burst_events,
            burst_enterprises=burst_enterprises,
            airflow_rounds=airflow_rounds,
            console=console,
        )
    except (freshness.FreshnessBenchError, ConfigError, AirflowStackError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(2) from None
    print_report(report, console)
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    return report
