"""``/metrics``: what an operator watches, in Prometheus' text format (prometheus-client).

Two kinds of metric:

- **Requests**, counted by an ASGI middleware: ``lcm_api_requests_total`` and the latency
  histogram ``lcm_api_request_duration_seconds``, labelled by method and *route template*
  (``/api/v1/enterprises/{enterprise_uuid}/learner-credit``), never by the path itself, so an
  enterprise UUID never becomes a label (unbounded series, and a tenant list for anyone scraping).
- **The read model**, read from the database when scraped, by *probes*: functions of a read-only
  connection that yield metric families. ``PROBES`` holds the built-in ones (freshness, the last
  pass's row counts, failed runs). To add one (say, a replica's lag), write a probe and pass it
  in ``probes=`` or append it to ``PROBES``; a probe that needs another database registers its own
  collector with ``Metrics.register``.

Under ``lcm-etl serve --workers N`` each worker counts its own requests; the server points
prometheus-client's ``PROMETHEUS_MULTIPROC_DIR`` at a shared folder (``worker_processes``) and a
scrape, answered by any worker, adds up every worker's counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, case, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lcm_etl import queries
from lcm_etl.replica import replica_status
from lcm_etl.schema import pipeline_run

log = logging.getLogger(__name__)

Probe = Callable[[Connection], Iterable[Metric]]
"""Reads the database (one read-only transaction per scrape) and yields metric families."""

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable, not a setting
UNMATCHED = "unmatched"  # the route label of a request no route answered (404, CORS preflight)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Failed runs whose error is a reconciliation: the publish's read-model check or the landing's
# control totals (pipeline_run.error starts with the exception's class name).
RECONCILIATION_ERRORS = ("ReconciliationError:%", "LandingMismatch:%")


# ------------------------------------------------------------------------------------------------
# Probes of the read model
# ------------------------------------------------------------------------------------------------


def freshness(conn: Connection) -> Iterator[Metric]:
    """Age of the last successful publish (+Inf before the first), and its data's as-of time."""
    age = GaugeMetricFamily(
        "lcm_read_model_age_seconds",
        "Seconds since the last successful publish finished (+Inf if none has).",
    )
    as_of = GaugeMetricFamily(
        "lcm_read_model_data_as_of_seconds",
        "Unix time of the source snapshot the read model was published from.",
    )
    finished = GaugeMetricFamily(
        "lcm_read_model_last_publish_seconds",
        "Unix time the last successful publish finished.",
    )
    last = queries.last_successful_publish(conn)
    if last is None:
        age.add_metric([], float("inf"))
    else:
        now = dt.datetime.now(dt.UTC)
        age.add_metric([], max((now - last.finished_at).total_seconds(), 0.0))
        finished.add_metric([], last.finished_at.timestamp())
        if last.data_as_of is not None:
            as_of.add_metric([], last.data_as_of.timestamp())
    yield from (age, as_of, finished)


def _newest_counts(conn: Connection, stage: str) -> dict[str, Any] | None:
    counts = conn.execute(
        select(pipeline_run.c.counts)
        .where(pipeline_run.c.stage == stage, pipeline_run.c.status == "succeeded")
        .order_by(pipeline_run.c.run_id.desc())
        .limit(1)
    ).scalar()
    return dict(counts) if counts is not None else None


def last_pass_rows(conn: Connection) -> Iterator[Metric]:
    """Rows the newest successful ingest extracted and rejected, and the newest successful
    publish published and rejected (absent until such a run exists)."""
    extracted = GaugeMetricFamily(
        "lcm_last_pass_extracted_rows", "Source rows the newest successful ingest read."
    )
    rejected = GaugeMetricFamily(
        "lcm_last_pass_rejected_rows",
        "Rows the newest successful run of each stage rejected (kept with reasons).",
        labels=["stage"],
    )
    published = GaugeMetricFamily(
        "lcm_last_pass_published_rows", "Read-model rows the newest successful publish wrote."
    )
    ingest = _newest_counts(conn, "ingest")
    if ingest is not None:
        extracted.add_metric([], float(ingest.get("extracted", 0)))
        rejected.add_metric(["ingest"], float(ingest.get("rejected", 0)))
    publish = _newest_counts(conn, "publish")
    if publish is not None:
        published.add_metric([], float(publish.get("published", 0)))
        rejected.add_metric(["publish"], float(publish.get("rejected", 0)))
    yield from (extracted, rejected, published)


def failed_runs(conn: Connection) -> Iterator[Metric]:
    """Failed runs in the run log, by stage and reason (reconciliation or other)."""
    reconciliation = [pipeline_run.c.error.like(pattern) for pattern in RECONCILIATION_ERRORS]
    reason = case(*[(test, "reconciliation") for test in reconciliation], else_="other")
    rows = conn.execute(
        select(pipeline_run.c.stage, reason.label("reason"), func.count())
        .where(pipeline_run.c.status == "failed")
        .group_by(pipeline_run.c.stage, reason)
    ).all()
    family = CounterMetricFamily(
        "lcm_pipeline_failed_runs",
        "Pipeline runs that failed, by stage and reason (reconciliation: the read model or the "
        "landing disagreed with the source's control totals).",
        labels=["stage", "reason"],
    )
    seen = {(row.stage, row.reason): row[2] for row in rows}
    for stage in ("ingest", "publish"):
        for why in ("reconciliation", "other"):
            family.add_metric([stage, why], float(seen.get((stage, why), 0)))
    yield family


def replication(conn: Connection) -> Iterator[Metric]:
    """Whether the API reads a replica (``LCM_READ_DATABASE_URL``), and how far behind it is."""
    status = replica_status(conn)
    replica = GaugeMetricFamily(
        "lcm_read_database_is_replica",
        "1 when the API reads a physical standby (LCM_READ_DATABASE_URL), 0 for the primary.",
    )
    replica.add_metric([], 1.0 if status.in_recovery else 0.0)
    yield replica
    if status.in_recovery:
        lag = GaugeMetricFamily(
            "lcm_read_replica_lag_seconds",
            "Seconds the replica is behind its primary: 0 when it has replayed all the WAL it "
            "received, else the age of the last transaction it replayed.",
        )
        lag.add_metric([], float(status.lag_seconds or 0.0))
        yield lag


PROBES: list[Probe] = [freshness, last_pass_rows, failed_runs, replication]


class ReadModelCollector(Collector):
    """Runs the probes in one read-only transaction per scrape (as the API reads: ``lcm_portal``,
    no tenant). ``lcm_read_model_up`` says whether the database answered."""

    def __init__(self, engine: Engine, probes: Sequence[Probe]) -> None:
        self.engine = engine
        self.probes = list(probes)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("lcm_read_model_up", "1 if the read model answered the scrape.")
        try:
            with queries.tenant_transaction(self.engine, None) as conn:
                families = [family for probe in self.probes for family in probe(conn)]
        except SQLAlchemyError as exc:
            log.warning("metrics: the read model did not answer: %s", exc)
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families


# ------------------------------------------------------------------------------------------------
# Requests
# ------------------------------------------------------------------------------------------------


class Metrics:
    """The metrics of one app: its request counters and the collectors a scrape reads."""

    def __init__(self, engine: Engine, probes: Sequence[Probe] | None = None) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_DIR)
        # Each app has its own registry (tests build many apps in one process). With several
        # worker processes the request metrics live in prometheus-client's files instead, and a
        # scrape reads them all through MultiProcessCollector.
        request_registry = None if self.multiprocess_dir else CollectorRegistry()
        self.requests = Counter(
            "lcm_api_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=request_registry,
        )
        self.latency = Histogram(
            "lcm_api_request_duration_seconds",
            "Seconds from a request's arrival to its last response byte, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=request_registry,
        )
        if request_registry is None:
            self.registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        else:
            self.registry = request_registry
        self.register(ReadModelCollector(engine, PROBES if probes is None else probes))
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def register(self, collector: Collector) -> None:
        """Add a collector read at each scrape (e.g. one that probes another database)."""
        self.registry.register(collector)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children, looked up once per label set: prometheus-client's ``labels``
        # validates and locks on every call, a good part of what counting a request cost.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetricsMiddleware:
    """Counts and times every HTTP request under its route's template (plain ASGI: no
    per-request task or body buffering, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped every handler

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            # The router put the matched route into this same scope.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)


def install(app: FastAPI, engine: Engine, probes: Sequence[Probe] | None = None) -> Metrics:
    """Count the app's requests and serve ``GET /metrics`` (no authentication, like /healthz:
    it shows no tenant's data; restrict it at the gateway if its counts are sensitive)."""
    metrics = Metrics(engine, probes)
    app.state.metrics = metrics
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)

    def scrape() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    return metrics


@contextlib.contextmanager
def worker_processes() -> Iterator[None]:
    """Around a multi-process server: a fresh folder for the workers' shared request metrics,
    removed when the server stops (kept as it is if the operator set one)."""
    if os.environ.get(MULTIPROCESS_DIR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="lcm-metrics-") as folder:
        os.environ[MULTIPROCESS_DIR] = folder
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR]
