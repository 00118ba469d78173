"""The consumer's refresh, for real: the Airflow REST call (against a local HTTP receiver that
speaks Airflow 3's two endpoints) and, without Airflow, the targeted pass that makes a new
enrollment visible on the page with no scheduled pass."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import redis
from sqlalchemy import Engine, create_engine, insert, select

from lcm_etl import pipeline
from lcm_etl.events import producer
from lcm_etl.events.consumer import EventConsumer, stream_names
from lcm_etl.events.enterprises import enterprise_customer_user
from lcm_etl.schema import event_bus_event, offer_summary, pipeline_run
from lcm_etl.settings import Settings
from lcm_etl.tasks import EVENT_ASSET_NAME

from support.sourcebuilder import SourceBuilder

ENROLLMENTS = "course-enrollment-lifecycle"
ACME = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
# The NOT NULL columns of enterprise_enterprisecustomeruser besides the two a lookup reads.
LINK = {
    "created": dt.datetime(2026, 1, 1),
    "modified": dt.datetime(2026, 1, 1),
    "active": True,
    "linked": True,
    "should_inactivate_other_customers": False,
    "is_relinkable": True,
}
INITECH = uuid.UUID("1417ec00-0000-4000-8000-000000000003")
TOKEN = "test-token"


class FakeAirflow(BaseHTTPRequestHandler):
    """Airflow 3's GET /api/v2/assets and POST /api/v2/assets/events, recording what it gets."""

    assets: ClassVar[dict[str, int]] = {}
    requests: ClassVar[list[tuple[str, str, str | None, Any]]] = []
    fail_next_posts: ClassVar[int] = 0

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _answer(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self.requests.append(("GET", self.path, self.headers.get("Authorization"), None))
        if not self.path.startswith("/api/v2/assets?"):
            self._answer(404, {"detail": "Not Found"})
            return
        assets = [{"id": i, "name": n, "uri": f"lcm://{n}"} for n, i in self.assets.items()]
        self._answer(200, {"assets": assets, "total_entries": len(assets)})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("POST", self.path, self.headers.get("Authorization"), body))
        if type(self).fail_next_posts:
            type(self).fail_next_posts -= 1
            self._answer(503, {"detail": "scheduler busy"})
            return
        if body.get("asset_id") not in self.assets.values():
            self._answer(404, {"detail": "asset not found"})
            return
        self._answer(200, {"id": 1, "asset_id": body["asset_id"], "extra": body["extra"]})


@pytest.fixture
def airflow() -> Iterator[type[FakeAirflow]]:
    handler = type("Handler", (FakeAirflow,), {"assets": {}, "requests": [], "fail_next_posts": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def _add_learners(source_url: str, learners: dict[int, uuid.UUID]) -> None:
    """The LMS enterprise-customer-user table, in the same SQLite file as the demo source."""
    engine = create_engine(source_url)
    enterprise_customer_user.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(
            insert(enterprise_customer_user),
            [
                {"user_id": user, "enterprise_customer_id": enterprise.hex, **LINK}
                for user, enterprise in learners.items()
            ],
        )
    engine.dispose()


def test_with_airflow_configured_the_batch_becomes_one_asset_event(
    make_settings: Any,
    engine: Engine,
    bus_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    airflow: Any,
    tmp_path: Path,
) -> None:
    source_url = f"sqlite:///{tmp_path / 'lms.sqlite'}"
    _add_learners(source_url, {1: ACME, 2: INITECH})
    airflow.assets = {"some_other_asset_lcm_event_bus": 3, EVENT_ASSET_NAME: 7}
    airflow.fail_next_posts = 1  # a transient 503 is retried
    settings = bus_settings(
        event_bus_topics=ENROLLMENTS,
        airflow_api_url=airflow.url + "/",
        airflow_api_token=TOKEN,
        lms_database_url=source_url,
    )
    stream = stream_names(settings)[0]
    for learner in (1, 2, 1):
        producer.publish(redis_client, stream, producer.enrollment_created_fields(learner))
    try:
        consumer = EventConsumer(settings, engine=engine)
        consumer.run(until_idle=True)
        consumer.close()
    finally:
        redis_client.delete(stream)

    gets = [r for r in airflow.requests if r[0] == "GET"]
    posts = [r for r in airflow.requests if r[0] == "POST"]
    assert len(gets) == 1
    assert gets[0][1] == f"/api/v2/assets?name_pattern={EVENT_ASSET_NAME}"
    assert len(posts) == 2  # the 503, then the retry
    assert all(r[2] == f"Bearer {TOKEN}" for r in airflow.requests)
    assert posts[-1][1] == "/api/v2/assets/events"
    expected = sorted([str(ACME), str(INITECH)])
    assert posts[-1][3] == {
        "asset_id": 7,
        "extra": {"mode": "targeted", "enterprise_uuids": expected},
    }
    with engine.connect() as conn:
        refreshes = conn.execute(select(event_bus_event.c.refresh)).scalars().all()
    assert refreshes == ["asset_event"] * 3


def test_an_airflow_that_does_not_know_the_asset_leaves_the_events_to_retry(
    make_settings: Any,
    engine: Engine,
    bus_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    airflow: Any,
) -> None:
    settings = bus_settings(
        event_bus_topics=ENROLLMENTS, airflow_api_url=airflow.url, airflow_api_token=TOKEN
    )
    stream = stream_names(settings)[0]
    producer.publish(redis_client, stream, producer.lc_enrollment_revoked_fields(ACME.hex))
    try:
        consumer = EventConsumer(settings, engine=engine)
        consumer.run(until_idle=True)  # Airflow lists no lcm_event_bus asset (DAG not deployed)
        consumer.close()
    finally:
        redis_client.delete(stream)
    assert consumer.stats.refresh_failures == 1
    with engine.connect() as conn:
        assert conn.execute(select(event_bus_event.c.processed_at)).scalars().all() == [None]


def _acme_source(source_url: str) -> tuple[SourceBuilder, int, int]:
    """Acme's learner-credit offer with one enrollment; Initech's offer untouched by events."""
    source = SourceBuilder(source_url)
    offer = source.offer(ACME, name="Acme", max_discount=Decimal("5000.00"))
    other = source.offer(INITECH, name="Initech", max_discount=Decimal("2000.00"))
    source.order(offer, "ada@acme.example", [("course-v1:edX+A+1", Decimal("300"), Decimal("0"))])
    source.order(
        other, "bob@initech.example", [("course-v1:edX+B+1", Decimal("200"), Decimal("0"))]
    )
    return source, offer, other


def _spent(engine: Engine, offer_id: int) -> Decimal:
    with engine.connect() as conn:
        spent: Decimal = conn.execute(
            select(offer_summary.c.amount_of_offer_spent).where(
                offer_summary.c.offer_id == offer_id
            )
        ).scalar_one()
    return spent


def test_a_new_enrollment_event_refreshes_the_enterprise_page_without_a_scheduled_pass(
    make_settings: Any,
    engine: Engine,
    bus_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    source, offer, other = _acme_source(source_url)
    learner = 424242
    _add_learners(source_url, {learner: ACME})
    settings = bus_settings(
        event_bus_topics=ENROLLMENTS, ecommerce_database_url=source_url, lms_database_url=source_url
    )
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert _spent(engine, offer) == Decimal("300.00")

    # Ada's colleague enrolls: ecommerce records the order, the LMS publishes the enrollment.
    source.user("eve@acme.example", lms_user_id=learner)
    source.order(offer, "eve@acme.example", [("course-v1:edX+A+2", Decimal("450"), Decimal("0"))])
    # Initech also spends, but no event names it: a targeted pass must leave it alone.
    source.order(other, "bob@initech.example", [("course-v1:edX+B+2", Decimal("50"), Decimal("0"))])
    stream = stream_names(settings)[0]
    producer.publish(redis_client, stream, producer.enrollment_created_fields(learner))
    try:
        consumer = EventConsumer(settings, engine=engine)
        consumer.run(until_idle=True)
        consumer.close()
    finally:
        redis_client.delete(stream)

    assert _spent(engine, offer) == Decimal("750.00")
    assert _spent(engine, other) == Decimal("200.00")
    with engine.connect() as conn:
        runs = conn.execute(
            select(
                pipeline_run.c.stage,
                pipeline_run.c.trigger,
                pipeline_run.c.mode,
                pipeline_run.c.status,
                pipeline_run.c.enterprise_uuids,
            )
            .where(pipeline_run.c.trigger == "event")
            .order_by(pipeline_run.c.run_id)
        ).all()
        [event_row] = conn.execute(select(event_bus_event)).all()
    assert [(r.stage, r.mode, r.status) for r in runs] == [
        ("ingest", "targeted", "succeeded"),
        ("publish", "targeted", "succeeded"),
    ]
    assert runs[0].enterprise_uuids == [ACME]
    assert (event_row.enterprise_uuids, event_row.refresh) == ([ACME], "targeted_pass")
    assert event_row.processed_at is not None
    assert event_row.received_at <= event_row.processed_at <= dt.datetime.now(dt.UTC)
