"""The DAG chain end to end with ``dag.test()``: lcm_ingest → lcm_publish → lcm_balance_alerts,
against real PostgreSQL, a generated ecommerce source and a local SMTP sink.

``dag.test()`` runs the tasks in this process with a SQLite Airflow metadata database
(``airflow db migrate`` once per session, see conftest). Settings reach the tasks the way they do
on a worker: as ``LCM_*`` environment variables read inside the task.
"""

from __future__ import annotations

import email
import socket
import uuid
from collections.abc import Iterator
from decimal import Decimal
from email.message import Message
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL

from lcm_etl import tasks
from lcm_etl.schema import balance_alert, offer_summary, pipeline_run
from lcm_etl.settings import get_settings

import dag_testing  # sets Airflow's environment up before anything imports airflow
from dag_testing import require_airflow
from support.sourcebuilder import SourceBuilder

pytestmark = pytest.mark.airflow

ACME = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
INITECH = uuid.UUID("1417ec00-0000-4000-8000-000000000003")


@pytest.fixture(scope="module")
def dag_bag() -> Any:
    require_airflow()
    return dag_testing.dag_bag()


@pytest.fixture(scope="module")
def airflow_db() -> Path:
    require_airflow()
    return dag_testing.airflow_db()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def worker_env(
    monkeypatch: pytest.MonkeyPatch, database_url: URL, tmp_path: Path, inbox: tuple[Inbox, int]
) -> Iterator[SourceBuilder]:
    """A source with Acme (a $1,000 offer, $800 spent: low) and Initech; the worker's LCM_* env."""
    source_url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    source = SourceBuilder(source_url)
    acme = source.offer(ACME, name="Acme", max_discount=Decimal("1000"), emails="ops@acme.example")
    source.order(acme, "ada@acme.example", [("course-v1:edX+A+1", Decimal("800"), Decimal("0"))])
    initech = source.offer(INITECH, name="Initech", max_discount=Decimal("9000"))
    source.order(
        initech, "bo@initech.example", [("course-v1:edX+I+1", Decimal("90"), Decimal("0"))]
    )
    source.acme_offer = acme  # type: ignore[attr-defined]
    source.initech_offer = initech  # type: ignore[attr-defined]
    environment = {
        "LCM_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "LCM_ECOMMERCE_DATABASE_URL": source_url,
        "LCM_DATA_DIR": str(tmp_path / "data"),
        "LCM_NOTIFIER": "smtp",
        "LCM_SMTP_HOST": "127.0.0.1",
        "LCM_SMTP_PORT": str(inbox[1]),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield source
    get_settings.cache_clear()


def _runs(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(
                    pipeline_run.c.stage,
                    pipeline_run.c.trigger,
                    pipeline_run.c.mode,
                    pipeline_run.c.status,
                ).order_by(pipeline_run.c.run_id)
            )
        ]


def _spent(engine: Engine, offer_id: int) -> Decimal:
    with engine.connect() as conn:
        spent: Decimal = conn.execute(
            select(offer_summary.c.amount_of_offer_spent).where(
                offer_summary.c.offer_id == offer_id
            )
        ).scalar_one()
    return spent


def test_the_dag_chain_end_to_end(
    airflow_db: Path,
    dag_bag: Any,
    worker_env: SourceBuilder,
    engine: Engine,
    inbox: tuple[Inbox, int],
) -> None:
    source = worker_env
    acme, initech = source.acme_offer, source.initech_offer  # type: ignore[attr-defined]
    ingest, publish, alerts = (
        dag_bag.dags[dag_id] for dag_id in ("lcm_ingest", "lcm_publish", "lcm_balance_alerts")
    )

    assert ingest.test(run_conf={"mode": "full"}).state == "success"
    assert publish.test().state == "success"
    assert alerts.test().state == "success"

    assert _runs(engine) == [
        ("ingest", "manual", "full", "succeeded"),
        ("publish", "manual", "full", "succeeded"),
    ]
    assert _spent(engine, acme) == Decimal("800.00")
    messages = inbox[0].messages
    assert [m["Subject"] for m in messages] == [
        "Acme - JAN26: learner credit is over 75.0% utilized"
    ]

    # More spend at both; a targeted run for Acme only (what an event-bus asset event asks for).
    source.order(acme, "eve@acme.example", [("course-v1:edX+A+2", Decimal("150"), Decimal("0"))])
    source.order(
        initech, "cy@initech.example", [("course-v1:edX+I+2", Decimal("10"), Decimal("0"))]
    )
    targeted = {"mode": "auto", "enterprise_uuids": [str(ACME)]}
    assert ingest.test(run_conf=targeted).state == "success"
    assert publish.test().state == "success"
    assert alerts.test().state == "success"
    assert alerts.test().state == "success"  # a re-run sends nothing more

    assert _runs(engine)[2:] == [
        ("ingest", "manual", "targeted", "succeeded"),
        ("publish", "manual", "targeted", "succeeded"),
    ]
    assert _spent(engine, acme) == Decimal("950.00")  # $50 left: depleted
    assert _spent(engine, initech) == Decimal("90.00")  # not targeted, not re-read
    assert [m["Subject"] for m in messages][1:] == [
        "Acme - JAN26: no learner credit funds remaining"
    ]
    with engine.connect() as conn:
        statuses = conn.execute(select(balance_alert.c.kind, balance_alert.c.status)).all()
    assert sorted(statuses) == [("low_balance", "delivered"), ("no_balance", "delivered")]


def test_an_event_bus_asset_event_makes_the_ingest_task_targeted(
    dag_bag: Any, worker_env: SourceBuilder, engine: Engine
) -> None:
    """The ingest task's own callable, given what Airflow hands an asset-triggered run."""
    from airflow.sdk import Asset

    source = worker_env
    acme = source.acme_offer  # type: ignore[attr-defined]
    tasks.ingest(run_type="manual", params={"mode": "full"})
    tasks.publish(run_type="manual")
    source.order(acme, "eve@acme.example", [("course-v1:edX+A+2", Decimal("100"), Decimal("0"))])

    event_bus = Asset(name=tasks.EVENT_ASSET_NAME, uri=tasks.EVENT_ASSET_URI)
    landing = Asset(name=tasks.LANDING_ASSET_NAME, uri=tasks.LANDING_ASSET_URI)
    extra = {"mode": "targeted", "enterprise_uuids": [str(ACME)], "from_rest_api": True}
    outlet_events = {landing: SimpleNamespace(extra={})}
    summary = (
        dag_bag.dags["lcm_ingest"]
        .task_dict["ingest"]
        .python_callable(
            params={"mode": "auto", "enterprise_uuids": []},
            dag_run=SimpleNamespace(run_type="asset_triggered"),
            triggering_asset_events={event_bus: [SimpleNamespace(extra=extra)]},
            logical_date=None,
            outlet_events=outlet_events,
        )
    )

    assert (summary["mode"], summary["trigger"]) == ("targeted", "event")
    assert summary["enterprise_uuids"] == [str(ACME)]
    # The event path publishes in the same task (LCM_EVENT_PUBLISH_IN_INGEST, the default)…
    assert outlet_events[landing].extra == {
        "trigger": "event",
        "ingest_run_id": summary["run_id"],
        "published": True,
    }
    assert _spent(engine, acme) == Decimal("900.00")
    assert _runs(engine)[2:] == [
        ("ingest", "event", "targeted", "succeeded"),
        ("publish", "event", "targeted", "succeeded"),
    ]
    # …so the lcm_publish run its landing event starts has nothing left to do.
    skipped = tasks.publish(
        run_type="asset_triggered", asset_event_extras=[outlet_events[landing].extra]
    )
    assert (skipped["status"], skipped["trigger"]) == ("skipped", "event")
    assert len(_runs(engine)) == 4


def test_with_publish_in_ingest_off_the_event_path_is_two_tasks(
    dag_bag: Any, worker_env: SourceBuilder, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk import Asset

    monkeypatch.setenv("LCM_EVENT_PUBLISH_IN_INGEST", "false")
    get_settings.cache_clear()
    source = worker_env
    acme = source.acme_offer  # type: ignore[attr-defined]
    tasks.ingest(run_type="manual", params={"mode": "full"})
    tasks.publish(run_type="manual")
    source.order(acme, "eve@acme.example", [("course-v1:edX+A+2", Decimal("100"), Decimal("0"))])
    event_bus = Asset(name=tasks.EVENT_ASSET_NAME, uri=tasks.EVENT_ASSET_URI)
    landing = Asset(name=tasks.LANDING_ASSET_NAME, uri=tasks.LANDING_ASSET_URI)
    extra = {"mode": "targeted", "enterprise_uuids": [str(ACME)]}
    outlet_events = {landing: SimpleNamespace(extra={})}
    dag_bag.dags["lcm_ingest"].task_dict["ingest"].python_callable(
        params={"mode": "auto", "enterprise_uuids": []},
        dag_run=SimpleNamespace(run_type="asset_triggered"),
        triggering_asset_events={event_bus: [SimpleNamespace(extra=extra)]},
        logical_date=None,
        outlet_events=outlet_events,
    )
    assert outlet_events[landing].extra["published"] is False
    assert _spent(engine, acme) == Decimal("800.00")  # landed, not yet published
    published = tasks.publish(
        run_type="asset_triggered", asset_event_extras=[outlet_events[landing].extra]
    )
    assert published["trigger"] == "event"
    assert _spent(engine, acme) == Decimal("900.00")
