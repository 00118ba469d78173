"""Where the seconds of an event → page round go, with Airflow in the loop: the phases add up to
the round, for the event path in one task or in two."""

from __future__ import annotations

import datetime as dt

import pytest

from lcm_etl.bench.freshness_airflow import PHASES, phases_of
from lcm_etl.bench.freshness_scale import percentile

T0 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def _at(**seconds: float) -> dict[str, dt.datetime]:
    return {name: T0 + dt.timedelta(seconds=s) for name, s in seconds.items()}


ONE_TASK = {
    "xadd": 0.0,
    "asset_event_posted": 0.4,
    "ingest_run_queued": 0.9,
    "ingest_task_queued": 1.3,
    "ingest_started": 3.5,
    "ingest_finished": 4.0,
    "publish_started": 4.1,
    "publish_finished": 4.6,
    "ingest_task_end": 5.5,
    "page": 4.7,
}


def test_one_task_phases_add_up_to_the_round() -> None:
    phases = phases_of(_at(**ONE_TASK))
    assert set(phases) == set(PHASES)
    assert phases["consumer"] == pytest.approx(0.4)
    assert phases["scheduler"] == pytest.approx(0.9)
    assert phases["task start-up"] == pytest.approx(2.2)
    assert phases["work"] == pytest.approx(1.1)
    assert phases["task finish"] == 0.0
    assert sum(phases.values()) == pytest.approx(4.7)


def test_two_task_phases_add_up_to_the_round() -> None:
    two = {
        **ONE_TASK,
        "ingest_task_end": 4.8,
        "publish_run_queued": 5.6,
        "publish_task_queued": 6.0,
        "publish_started": 7.5,
        "publish_finished": 8.0,
        "page": 8.1,
    }
    phases = phases_of(_at(**two))
    assert phases["scheduler"] == pytest.approx(0.9 + 1.2)
    assert phases["task start-up"] == pytest.approx(2.2 + 1.5)
    assert phases["work"] == pytest.approx(0.5 + 0.5)
    assert phases["task finish"] == pytest.approx(0.8)
    assert sum(phases.values()) == pytest.approx(8.1)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (
        50.0,
        95.0,
        100.0,
    )
    assert percentile([3.0], 0.95) == 3.0
