"""``lcm-etl bench-freshness --airflow``: seconds from an Open edX event to the page, with a real
Airflow in the loop, and where they go.

Each round is the no-Airflow round (an enrollment order in the source, its event XADDed on the
bus, the clock starting at the XADD) except that the consumer does not run the pass: it posts an
asset event through Airflow's REST API (``LCM_AIRFLOW_API_URL``), the scheduler starts
``lcm_ingest``, whose landing asset starts ``lcm_publish``, and the clock stops when the page
shows the new spend. The stack is :class:`~lcm_etl.bench.airflow_stack.AirflowStack`: a real
api-server, scheduler (LocalExecutor) and dag-processor over ``dags/``.

Where the time goes is read back from Airflow (each run's ``queued_at``, each task instance's
``queued_when`` and ``end_date``) and from ``lcm.pipeline_run`` (when the pass itself started and
finished), all on this machine's clock:

- consumer: XADD → the asset event is posted;
- scheduler: asset event → ingest run → its task queued, and landing asset → publish run → its
  task queued (the scheduler loop's hops);
- task start-up: task queued → the pass starts inside it (a worker process, Airflow's task
  runner, the DAG file parsed, lcm_etl imported);
- work: the ingest and publish stages themselves;
- task finish: the ingest's end → its task's end (XCom, the landing asset event);
- page: the publish's commit → the page answer shows it (the poll).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import redis
from rich.console import Console
from sqlalchemy import Engine, select

from lcm_etl.bench import freshness
from lcm_etl.bench.airflow_stack import AirflowStack, AirflowStackError, parse_time
from lcm_etl.db import (
    ecommerce_source_url,
    license_manager_source_url,
    lms_source_url,
    make_engine,
    read_model_engine,
    read_model_url,
)
from lcm_etl.events import producer
from lcm_etl.events.consumer import stream_names
from lcm_etl.events.refresh import AirflowRefresher
from lcm_etl.schema import pipeline_run
from lcm_etl.settings import Settings

DAGS = ("lcm_ingest", "lcm_publish", "lcm_balance_alerts")
PHASES = ("consumer", "scheduler", "task start-up", "work", "task finish", "page")
GOAL_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class AirflowRound:
    seconds_to_page: float
    phases: dict[str, float]
    timestamps: dict[str, str]
    redeemed_before: Decimal
    redeemed_after: Decimal


@dataclasses.dataclass(frozen=True)
class AirflowFreshnessResult(freshness.TimedRounds):
    enterprise_uuid: str
    offer_id: int
    airflow_config: dict[str, str]
    publish_in_ingest: bool
    rounds: list[AirflowRound]

    def median_phases(self) -> dict[str, float]:
        return {
            phase: statistics.median(r.phases.get(phase, 0.0) for r in self.rounds)
            for phase in PHASES
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "enterprise_uuid": self.enterprise_uuid,
            "offer_id": self.offer_id,
            "airflow_config": self.airflow_config,
            "publish_in_ingest": self.publish_in_ingest,
            "goal_seconds": GOAL_SECONDS,
            "median_seconds": round(self.median_seconds, 3),
            "max_seconds": round(self.max_seconds, 3),
            "median_phases": {k: round(v, 3) for k, v in self.median_phases().items()},
            "rounds": [
                {
                    "seconds_to_page": round(r.seconds_to_page, 3),
                    "phases": {k: round(v, 3) for k, v in r.phases.items()},
                    "timestamps": r.timestamps,
                    "redeemed_before": str(r.redeemed_before),
                    "redeemed_after": str(r.redeemed_after),
                }
                for r in self.rounds
            ],
        }


def lcm_environment(settings: Settings) -> dict[str, str]:
    """The ``LCM_*`` variables the DAG tasks need to run the same pipeline as this process."""
    environment = {
        "LCM_DATABASE_URL": read_model_url(settings).render_as_string(hide_password=False),
        "LCM_ECOMMERCE_DATABASE_URL": ecommerce_source_url(settings).render_as_string(
            hide_password=False
        ),
        "LCM_DATA_DIR": str(settings.data_dir.resolve()),
    }
    for name, url in (
        ("LCM_LMS_DATABASE_URL", lms_source_url(settings)),
        ("LCM_LICENSE_MANAGER_DATABASE_URL", license_manager_source_url(settings)),
    ):
        if url is not None:
            environment[name] = url.render_as_string(hide_password=False)
    return environment


def _first(runs: Sequence[dict[str, Any]], after: dt.datetime) -> dict[str, Any]:
    for run in runs:
        queued = parse_time(run.get("queued_at"))
        if queued is not None and queued >= after and run["run_type"] == "asset_triggered":
            return run
    raise AirflowStackError(f"no asset-triggered run queued after {after.isoformat()}")


def _stages(engine: Engine, after: dt.datetime) -> dict[str, Any]:
    p = pipeline_run.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(p.stage, p.started_at, p.finished_at)
            .where(p.trigger == "event", p.started_at >= after, p.status == "succeeded")
            .order_by(p.run_id)
        ).all()
    return {row.stage: row for row in rows}


def _breakdown(
    stack: AirflowStack,
    engine: Engine,
    xadd: dt.datetime,
    posted: dt.datetime,
    page: dt.datetime,
) -> tuple[dict[str, float], dict[str, str]]:
    stack.wait_until_idle(("lcm_ingest", "lcm_publish"))
    ingest_run = _first(stack.dag_runs("lcm_ingest"), xadd)
    [ingest_task] = stack.task_instances("lcm_ingest", ingest_run["dag_run_id"])
    stages = _stages(engine, xadd)
    if set(stages) != {"ingest", "publish"}:
        raise AirflowStackError(f"expected one event ingest and one publish, found {list(stages)}")
    moments: dict[str, dt.datetime] = {
        "xadd": xadd,
        "asset_event_posted": posted,
        "ingest_run_queued": _required(ingest_run, "queued_at"),
        "ingest_task_queued": _required(ingest_task, "queued_when"),
        "ingest_started": stages["ingest"].started_at,
        "ingest_finished": stages["ingest"].finished_at,
        "ingest_task_end": _required(ingest_task, "end_date"),
        "publish_started": stages["publish"].started_at,
        "publish_finished": stages["publish"].finished_at,
        "page": page,
    }

    if moments["publish_started"] >= moments["ingest_task_end"]:  # two tasks
        publish_run = _first(
            stack.dag_runs("lcm_publish"), moments["ingest_task_end"] - dt.timedelta(seconds=5)
        )
        [publish_task] = stack.task_instances("lcm_publish", publish_run["dag_run_id"])
        moments["publish_run_queued"] = _required(publish_run, "queued_at")
        moments["publish_task_queued"] = _required(publish_task, "queued_when")
    return phases_of(moments), {name: moment.isoformat() for name, moment in moments.items()}


def phases_of(moments: dict[str, dt.datetime]) -> dict[str, float]:
    """Where the seconds between the XADD and the page went (see the module docstring). With
    the publish inside the ingest task (one task) there is no publish run, so no
    ``publish_task_queued`` moment."""

    def gap(start: str, end: str) -> float:
        return (moments[end] - moments[start]).total_seconds()

    phases = {
        "consumer": gap("xadd", "asset_event_posted"),
        "scheduler": gap("asset_event_posted", "ingest_task_queued"),
        "task start-up": gap("ingest_task_queued", "ingest_started"),
        "work": gap("ingest_started", "publish_finished"),
        "task finish": 0.0,
        "page": gap("publish_finished", "page"),
    }
    if "publish_task_queued" in moments:
        phases["scheduler"] += gap("ingest_task_end", "publish_task_queued")
        phases["task start-up"] += gap("publish_task_queued", "publish_started")
        phases["work"] = gap("ingest_started", "ingest_finished") + gap(
            "publish_started", "publish_finished"
        )
        phases["task finish"] = gap("ingest_finished", "ingest_task_end")
    return phases


def _required(record: dict[str, Any], field: str) -> dt.datetime:
    value = parse_time(record.get(field))
    if value is None:
        raise AirflowStackError(f"Airflow reported no {field} for {record.get('dag_id')}")
    return value


def run(
    settings: Settings,
    *,
    rounds: int = 3,
    extra_config: dict[str, str] | None = None,
    console: Console | None = None,
    poll_seconds: float = 0.05,
) -> AirflowFreshnessResult:
    bus = freshness.bench_bus(settings)
    client = redis.Redis.from_url(str(settings.event_bus_redis_url))
    read_model = read_model_engine(settings)
    source = make_engine(ecommerce_source_url(settings))
    lms = make_engine(freshness.lms_url_of(settings))
    stream = stream_names(bus)[0]

    def say(message: str) -> None:
        if console is not None:
            console.print(message)

    try:
        target = freshness._pick_target(read_model, lms, dt.datetime.now(dt.UTC))
        say("starting Airflow (api-server, scheduler, dag-processor; LocalExecutor) …")
        with AirflowStack(
            server_url=read_model_url(settings),
            lcm_environment=lcm_environment(settings),
            extra_config=extra_config,
        ) as stack:
            say(f"Airflow is up at {stack.url}; waiting for its first hourly run to finish …")
            stack.wait_until_idle(DAGS)
            airflow_bus = bus.model_copy(
                update={"airflow_api_url": stack.url, "airflow_api_token": stack.token}
            )
            refresher = TimedAirflowRefresher(airflow_bus)
            results = []
            with freshness.running_consumer(airflow_bus, client, read_model, refresher):
                for number in range(rounds):
                    before = freshness._redeemed(read_model, settings, target)
                    freshness.insert_enrollment_order(source, target)
                    fields = producer.enrollment_created_fields(target.lms_user_id)
                    started = time.perf_counter()
                    xadd = dt.datetime.now(dt.UTC)
                    producer.publish(client, stream, fields)
                    after = before
                    deadline = started + 10 * GOAL_SECONDS
                    while (
                        after < before + freshness.ORDER_AMOUNT and time.perf_counter() < deadline
                    ):
                        time.sleep(poll_seconds)
                        after = freshness._redeemed(read_model, settings, target)
                    if after < before + freshness.ORDER_AMOUNT:
                        raise freshness.FreshnessBenchError(
                            f"the page never showed the new spend (redeemed {before} → {after})"
                        )
                    seconds = time.perf_counter() - started
                    page = xadd + dt.timedelta(seconds=seconds)
                    posted = refresher.posted_after(xadd)
                    phases, moments = _breakdown(stack, read_model, xadd, posted, page)
                    results.append(AirflowRound(seconds, phases, moments, before, after))
                    say(f"round {number + 1}: {seconds:.1f} s")
        return AirflowFreshnessResult(
            str(target.enterprise),
            target.offer_id,
            dict(extra_config or {}),
            settings.event_publish_in_ingest,
            results,
        )
    finally:
        client.close()
        for engine in (read_model, source, lms):
            engine.dispose()


class TimedAirflowRefresher(AirflowRefresher):
    """The consumer's Airflow refresher, noting when each asset event was posted."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.posted: list[dt.datetime] = []

    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        how = super().refresh(enterprise_uuids, incremental=incremental)
        self.posted.append(dt.datetime.now(dt.UTC))
        return how

    def posted_after(self, moment: dt.datetime) -> dt.datetime:
        later = [p for p in self.posted if p >= moment]
        if not later:
            raise AirflowStackError("the consumer posted no asset event for the round")
        return later[0]
