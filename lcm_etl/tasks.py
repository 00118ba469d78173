"""The plain functions the Airflow DAGs call (``dags/``); no Airflow import here.

Each reads the settings inside the call (environment variables of the worker), never at DAG-parse
time, and returns a small JSON-able summary (it becomes the task's XCom). Deciding *what* an
ingest run does from how it was triggered is :func:`plan_ingest`, a pure function, so it is tested
without a scheduler: a manual or ``dag.test()`` run has no triggering asset events, so params
stand in for them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lcm_etl.modes import Mode, Trigger
from lcm_etl.settings import Settings, get_settings

# Assets that chain the DAGs (names are what the REST API looks up; URIs are informational).
EVENT_ASSET_NAME = "lcm_event_bus"
EVENT_ASSET_URI = "lcm://event-bus"
LANDING_ASSET_NAME = "lcm_landing"
LANDING_ASSET_URI = "lcm://landing"
READ_MODEL_ASSET_NAME = "lcm_read_model"
READ_MODEL_ASSET_URI = "lcm://read-model"

DAG_OWNER = "lcm-etl"
# Every task: retried with exponential backoff (30 s, 1 min, 2 min, … capped at 15 min). The
# stages are idempotent and serialized by the pipeline's advisory lock, so a retry is always safe.
DAG_DEFAULT_ARGS: dict[str, Any] = {
    "owner": DAG_OWNER,
    "retries": 4,
    "retry_delay": dt.timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=15),
}

PARAM_MODES = ("auto", "full", "incremental", "targeted")


class BadRunRequest(ValueError):
    """A run's params (or an asset event's extra) ask for something impossible; not retryable."""


@dataclasses.dataclass(frozen=True)
class IngestPlan:
    mode: Mode
    trigger: Trigger
    enterprise_uuids: tuple[uuid.UUID, ...] = ()


def run_type_name(run_type: object) -> str:
    """Airflow's DagRunType (an enum, or its value) as its value: 'manual', 'scheduled', …"""
    return str(getattr(run_type, "value", run_type) or "manual")


def plan_ingest(
    *,
    run_type: object,
    asset_event_extras: Sequence[Mapping[str, Any]] = (),
    params: Mapping[str, Any] | None = None,
    logical_date: dt.datetime | None = None,
    full_pass_hour_utc: int = 0,
) -> IngestPlan:
    """What an ingest run does.

    - Triggered by event-bus asset events: a targeted ingest of the union of the enterprises they
      name; incremental if any of them names none (the consumer could not resolve a learner).
    - Scheduled (hourly): incremental, except the run of hour ``full_pass_hour_utc`` (UTC),
      which re-reads everything (a daily full reconciliation of what increments can miss).
    - Manual (UI, CLI, ``dag.test()``): params ``mode`` (auto|full|incremental|targeted) and
      ``enterprise_uuids``; auto = targeted when uuids are given, else incremental.
    """
    params = params or {}
    run_type = run_type_name(run_type)
    if asset_event_extras:
        targets: set[uuid.UUID] = set()
        for extra in asset_event_extras:
            named = _uuids(extra.get("enterprise_uuids") or (), "asset event extra")
            if not named or extra.get("mode") == "incremental":
                return IngestPlan(mode="incremental", trigger="event")
            targets.update(named)
        return IngestPlan(mode="targeted", trigger="event", enterprise_uuids=tuple(sorted(targets)))
    if run_type == "asset_triggered":
        return IngestPlan(mode="incremental", trigger="event")
    if run_type == "scheduled":
        hour = logical_date.astimezone(dt.UTC).hour if logical_date else None
        full = hour == full_pass_hour_utc
        return IngestPlan(mode="full" if full else "incremental", trigger="schedule")
    requested = str(params.get("mode") or "auto")
    if requested not in PARAM_MODES:
        raise BadRunRequest(
            f"param mode must be one of {', '.join(PARAM_MODES)} (got {requested!r})"
        )
    targets_param = tuple(sorted(set(_uuids(params.get("enterprise_uuids") or (), "param"))))
    if requested == "targeted" and not targets_param:
        raise BadRunRequest("param mode=targeted needs enterprise_uuids")
    if requested == "full":
        return IngestPlan(mode="full", trigger="manual")
    if requested == "incremental":
        return IngestPlan(mode="incremental", trigger="manual")
    if targets_param:
        return IngestPlan(mode="targeted", trigger="manual", enterprise_uuids=targets_param)
    return IngestPlan(mode="incremental", trigger="manual")


def publish_trigger(
    run_type: object, asset_event_extras: Sequence[Mapping[str, Any]] = ()
) -> Trigger:
    """The publish stage inherits the trigger of the ingest(s) that produced its landing events."""
    run_type = run_type_name(run_type)
    if run_type != "asset_triggered" or not asset_event_extras:
        return "manual" if run_type == "manual" else "schedule"
    triggers = {extra.get("trigger") for extra in asset_event_extras}
    if "event" in triggers:
        return "event"
    return "manual" if triggers == {"manual"} else "schedule"


def ingest(
    *,
    run_type: object,
    asset_event_extras: Sequence[Mapping[str, Any]] = (),
    params: Mapping[str, Any] | None = None,
    logical_date: dt.datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Extract and land (the ``lcm_ingest`` DAG). Raises ``pipeline.PassFailed`` to be retried.

    A run started by event-bus asset events also publishes, right away in this task, when
    ``LCM_EVENT_PUBLISH_IN_INGEST`` is on (the default): the summary then has
    ``published_run_id``, and the lcm_publish run its landing asset starts skips the publish.
    """
    from lcm_etl import pipeline
    from lcm_etl.db import pipeline_engine

    settings = settings or get_settings()
    plan = plan_ingest(
        run_type=run_type,
        asset_event_extras=asset_event_extras,
        params=params,
        logical_date=logical_date,
        full_pass_hour_utc=settings.full_pass_hour_utc,
    )
    engine = pipeline_engine(settings)  # one engine for both stages of the event path
    try:
        result = pipeline.ingest(
            settings,
            mode=plan.mode,
            trigger=plan.trigger,
            enterprise_uuids=plan.enterprise_uuids,
            engine=engine,
        )
        summary = _summary(result) | {"trigger": plan.trigger}
        if plan.trigger == "event" and settings.event_publish_in_ingest:
            published = pipeline.publish(settings, trigger="event", engine=engine)
            summary["published_run_id"] = published.run_id
    finally:
        engine.dispose()
    return summary


def publish(
    *,
    run_type: object,
    asset_event_extras: Sequence[Mapping[str, Any]] = (),
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Transform, reconcile, publish (the ``lcm_publish`` DAG) — unless every landing event that
    started this run says its ingest task published already (``published``)."""
    from lcm_etl import pipeline

    settings = settings or get_settings()
    trigger = publish_trigger(run_type, asset_event_extras)
    if (
        run_type_name(run_type) == "asset_triggered"
        and asset_event_extras
        and all(extra.get("published") for extra in asset_event_extras)
    ):
        return {"status": "skipped", "reason": "published by the ingest task", "trigger": trigger}
    result = pipeline.publish(settings, trigger=trigger)
    return _summary(result) | {"trigger": trigger}


def balance_alerts(*, settings: Settings | None = None) -> dict[str, Any]:
    """Detect balance_state transitions and deliver their notifications (``lcm_balance_alerts``)."""
    from lcm_etl import alerts

    settings = settings or get_settings()
    return dataclasses.asdict(alerts.run(settings))


def _summary(result: Any) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "stage": result.stage,
        "mode": result.mode,
        "status": result.status,
        "counts": dict(result.counts),
        "seconds": round(float(result.seconds), 3),
        "data_as_of": result.data_as_of.isoformat() if result.data_as_of else None,
        "enterprise_uuids": [str(u) for u in result.enterprise_uuids],
    }


def _uuids(values: Iterable[Any] | str, where: str) -> list[uuid.UUID]:
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(str(value)))
        except ValueError:
            raise BadRunRequest(f"{where} enterprise_uuids: {value!r} is not a UUID") from None
    return parsed
