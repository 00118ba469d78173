"""What an ingest run does, from how it was triggered (pure: no scheduler, no database)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from lcm_etl.tasks import BadRunRequest, IngestPlan, plan_ingest, publish_trigger

A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))


def test_asset_events_naming_enterprises_make_one_targeted_ingest_of_their_union() -> None:
    extras: list[dict[str, Any]] = [
        {"mode": "targeted", "enterprise_uuids": [str(A), str(B)], "from_rest_api": True},
        {"mode": "targeted", "enterprise_uuids": [B.hex, str(C)]},
    ]
    plan = plan_ingest(run_type="asset_triggered", asset_event_extras=extras)
    assert plan == IngestPlan(mode="targeted", trigger="event", enterprise_uuids=(A, B, C))


def test_an_asset_event_without_enterprises_makes_the_ingest_incremental() -> None:
    extras: list[dict[str, Any]] = [
        {"enterprise_uuids": [str(A)]},
        {"mode": "incremental", "enterprise_uuids": []},
    ]
    assert plan_ingest(run_type="asset_triggered", asset_event_extras=extras) == IngestPlan(
        mode="incremental", trigger="event"
    )
    assert plan_ingest(run_type="asset_triggered", asset_event_extras=[{}]).mode == "incremental"


def test_a_bad_uuid_in_an_asset_event_is_a_bad_request() -> None:
    with pytest.raises(BadRunRequest, match="not a UUID"):
        plan_ingest(run_type="asset_triggered", asset_event_extras=[{"enterprise_uuids": ["x"]}])


@pytest.mark.parametrize(("hour", "mode"), [(0, "full"), (1, "incremental"), (23, "incremental")])
def test_scheduled_runs_are_incremental_except_the_daily_full_hour(hour: int, mode: str) -> None:
    logical = dt.datetime(2026, 3, 1, hour, tzinfo=dt.UTC)
    plan = plan_ingest(run_type="scheduled", logical_date=logical, full_pass_hour_utc=0)
    assert plan == IngestPlan(mode=mode, trigger="schedule")  # type: ignore[arg-type]


def test_the_full_hour_is_read_in_utc() -> None:
    logical = dt.datetime(2026, 3, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # 00:00 UTC
    assert plan_ingest(run_type="scheduled", logical_date=logical).mode == "full"


def test_manual_runs_follow_params() -> None:
    assert plan_ingest(run_type="manual") == IngestPlan(mode="incremental", trigger="manual")
    assert plan_ingest(run_type="manual", params={"mode": "full"}).mode == "full"
    plan = plan_ingest(run_type="manual", params={"mode": "auto", "enterprise_uuids": [str(B)]})
    assert plan == IngestPlan(mode="targeted", trigger="manual", enterprise_uuids=(B,))
    plan = plan_ingest(run_type="manual", params={"enterprise_uuids": f"{A}, {B}"})
    assert plan.enterprise_uuids == (A, B)


@pytest.mark.parametrize(
    "params",
    [{"mode": "sideways"}, {"mode": "targeted"}, {"mode": "targeted", "enterprise_uuids": ["1"]}],
)
def test_impossible_params_are_bad_requests(params: dict[str, object]) -> None:
    with pytest.raises(BadRunRequest):
        plan_ingest(run_type="manual", params=params)


def test_publish_inherits_the_trigger_of_the_landing_events() -> None:
    assert (
        publish_trigger("asset_triggered", [{"trigger": "schedule"}, {"trigger": "event"}])
        == "event"
    )
    assert publish_trigger("asset_triggered", [{"trigger": "schedule"}]) == "schedule"
    assert publish_trigger("asset_triggered", [{"trigger": "manual"}]) == "manual"
    assert publish_trigger("manual") == "manual"


def test_airflow_run_types_are_read_from_the_enum_or_its_value() -> None:
    import enum

    class DagRunType(enum.Enum):  # the shape of airflow's enum (its str() is not the value)
        SCHEDULED = "scheduled"
        ASSET_TRIGGERED = "asset_triggered"

    logical = dt.datetime(2026, 3, 1, 0, tzinfo=dt.UTC)
    assert plan_ingest(run_type=DagRunType.SCHEDULED, logical_date=logical).trigger == "schedule"
    assert publish_trigger(DagRunType.ASSET_TRIGGERED, [{"trigger": "event"}]) == "event"
