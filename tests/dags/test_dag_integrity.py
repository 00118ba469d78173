"""The DAGs parse and follow the team's policies (the DagBag, as the scheduler sees it)."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest

from lcm_etl import tasks

import dag_testing  # sets Airflow's environment up before anything imports airflow
from dag_testing import DAGS_FOLDER, require_airflow

EXPECTED_DAGS = {"lcm_ingest", "lcm_publish", "lcm_balance_alerts"}

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dag_bag() -> Any:
    require_airflow()
    return dag_testing.dag_bag()


def test_dags_import_without_errors(dag_bag: Any) -> None:
    assert dag_bag.import_errors == {}
    assert len(dag_bag.dags) > 0
    assert set(dag_bag.dags) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_policies(dag_bag: Any, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert "lcm" in dag.tags
    assert dag.doc_md
    assert "#### Owner" in dag.doc_md
    assert dag.tasks
    for task in dag.tasks:
        assert task.owner == tasks.DAG_OWNER
        assert task.retries >= 2
        assert task.retry_exponential_backoff > 1
        assert task.max_retry_delay is not None
        assert task.max_retry_delay <= dt.timedelta(hours=1)


def _names(assets: Any) -> set[str]:
    return {asset.name for asset in assets}


def _scheduled_on(dag: Any) -> set[str]:
    """The asset names of a DAG's asset condition (AssetAll / AssetAny trees of Assets)."""
    pending, names = [dag.timetable.asset_condition], set()
    while pending:
        node = pending.pop()
        children = getattr(node, "objects", None)
        if children is None:
            names.add(node.name)
        else:
            pending.extend(children)
    return names


def test_the_chain_is_wired_through_assets(dag_bag: Any) -> None:
    from airflow.sdk import AssetOrTimeSchedule

    ingest = dag_bag.dags["lcm_ingest"]
    publish = dag_bag.dags["lcm_publish"]
    alerts = dag_bag.dags["lcm_balance_alerts"]

    # Hourly OR on an event-bus asset event, whichever comes first.
    assert isinstance(ingest.timetable, AssetOrTimeSchedule)
    hourly: Any = ingest.timetable.timetable  # a cron timetable (its class is Airflow-internal)
    assert hourly.expression == "0 * * * *"
    assert str(hourly.timezone) == "UTC"
    assert _scheduled_on(ingest) == {tasks.EVENT_ASSET_NAME}
    assert _names(ingest.get_task("ingest").outlets) == {tasks.LANDING_ASSET_NAME}
    assert _scheduled_on(publish) == {tasks.LANDING_ASSET_NAME}
    assert _names(publish.get_task("publish").outlets) == {tasks.READ_MODEL_ASSET_NAME}
    assert _scheduled_on(alerts) == {tasks.READ_MODEL_ASSET_NAME}


def test_parsing_touches_no_database_network_or_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    require_airflow()
    from airflow.dag_processing.dagbag import DagBag

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("DAG parsing must not do I/O or read settings")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr("lcm_etl.settings.get_settings", forbidden)
    monkeypatch.setattr("lcm_etl.tasks.get_settings", forbidden)
    monkeypatch.setenv("LCM_DATABASE_URL", "postgresql://nobody@192.0.2.1:1/nowhere")
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    assert set(bag.dags) == EXPECTED_DAGS
