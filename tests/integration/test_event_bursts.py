"""Bursts on the event bus, with real passes: a burst is refreshed in a few passes for the union of
its enterprises (never one pass per event), and every enterprise's page ends up right.

Counts only (passes, modes, amounts), never times.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, create_engine, insert, select

from lcm_etl import pipeline, queries
from lcm_etl.events import producer
from lcm_etl.events.consumer import EventConsumer, stream_names
from lcm_etl.events.enterprises import LearnerDirectory, enterprise_customer_user
from lcm_etl.events.refresh import PipelineRefresher
from lcm_etl.schema import pipeline_run
from lcm_etl.settings import Settings

from support.sourcebuilder import SourceBuilder

REDIS_URL = os.environ.get("LCM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ENROLLMENTS = "course-enrollment-lifecycle"
ENTERPRISES = [uuid.UUID(f"b0057000-0000-4000-8000-{n:012d}") for n in range(6)]
LINK = {
    "created": dt.datetime(2026, 1, 1),
    "modified": dt.datetime(2026, 1, 1),
    "active": True,
    "linked": True,
    "should_inactivate_other_customers": False,
    "is_relinkable": True,
}
SEAT = Decimal("25.00")


def learner(index: int, number: int = 0) -> int:
    """LMS user ids: learners 0..4 of each enterprise."""
    return 7000 + 10 * index + number


class Bus:
    """A source of six enterprises (one capped offer and one enrollment each), their learners in
    the LMS table, a read model after a full pass, and a throw-away stream."""

    def __init__(self, settings: Settings, source: SourceBuilder, client: redis.Redis) -> None:
        self.settings, self.source, self.client = settings, source, client
        self.stream = stream_names(settings)[0]
        self.offers = [
            source.offer(enterprise, name=f"Burst {n}", max_discount=Decimal("5000.00"))
            for n, enterprise in enumerate(ENTERPRISES)
        ]
        self.expected = dict.fromkeys(range(len(ENTERPRISES)), Decimal("0"))
        for index in range(len(ENTERPRISES)):
            self.enroll(index, 0, publish=False)

    def enroll(self, index: int, number: int, *, publish: bool = True) -> None:
        """A learner enrolls with learner credit: ecommerce records the order, the LMS publishes
        the enrollment event."""
        email = f"learner{learner(index, number)}@burst.example"
        self.source.user(email, lms_user_id=learner(index, number))
        run = f"course-v1:edX+Burst{index}+{number}"
        self.source.order(self.offers[index], email, [(run, SEAT, Decimal("0"))])
        self.expected[index] += SEAT
        if publish:
            fields = producer.enrollment_created_fields(learner(index, number))
            producer.publish(self.client, self.stream, fields)

    def consumer(self, refresher: PipelineRefresher, **overrides: Any) -> EventConsumer:
        settings = self.settings.model_copy(update=overrides)
        directory = LearnerDirectory(create_engine(self.settings.lms_database_url or "").url)
        return EventConsumer(settings, client=self.client, refresher=refresher, directory=directory)

    def redeemed(self, engine: Engine, index: int) -> Decimal:
        page = queries.learner_credit_page(engine, ENTERPRISES[index], settings=self.settings)
        assert page is not None
        [offer] = page["offers"]
        return Decimal(str(offer["summary"]["redeemed_funds"]))


@pytest.fixture
def bus(make_settings: Any, tmp_path: Path) -> Iterator[Bus]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    source_url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    prefix = f"lcmburst{uuid.uuid4().hex[:10]}"
    settings: Settings = make_settings(
        ecommerce_database_url=source_url,
        lms_database_url=source_url,
        event_bus_redis_url=REDIS_URL,
        event_bus_topic_prefix=prefix,
        event_bus_topics=ENROLLMENTS,
        event_bus_consumer_group=f"{prefix}-group",
        event_bus_block_ms=50,
        event_bus_batch_size=4,
    )
    source = SourceBuilder(source_url)
    engine = create_engine(source_url)
    enterprise_customer_user.create(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(enterprise_customer_user),
            [
                {"user_id": learner(i, n), "enterprise_customer_id": e.hex, **LINK}
                for i, e in enumerate(ENTERPRISES)
                for n in range(5)
            ],
        )
    engine.dispose()
    bus = Bus(settings, source, client)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    yield bus
    client.delete(bus.stream)
    client.close()


class BurstDuringThePass(PipelineRefresher):
    """The real targeted pass; while the first one runs, the other enterprises' learners enroll
    (four each) and their events reach the bus."""

    def __init__(self, bus: Bus) -> None:
        super().__init__(bus.settings, check_alerts=False)
        self.bus = bus
        self.calls: list[tuple[tuple[uuid.UUID, ...], bool]] = []

    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        self.calls.append((enterprise_uuids, incremental))
        how = super().refresh(enterprise_uuids, incremental=incremental)
        if len(self.calls) == 1:
            for number in range(1, 5):
                for index in range(1, len(ENTERPRISES)):
                    self.bus.enroll(index, number)
        return how


def _event_passes(engine: Engine) -> list[tuple[str, list[uuid.UUID] | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(pipeline_run.c.mode, pipeline_run.c.enterprise_uuids)
            .where(pipeline_run.c.stage == "ingest", pipeline_run.c.trigger == "event")
            .order_by(pipeline_run.c.run_id)
        ).all()
    return [(row.mode, row.enterprise_uuids) for row in rows]


def test_a_burst_during_a_pass_is_one_more_pass_and_every_page_is_right(
    bus: Bus, engine: Engine
) -> None:
    bus.enroll(0, 1)
    refresher = BurstDuringThePass(bus)
    consumer = bus.consumer(refresher)
    consumer.run(until_idle=True)
    consumer.close()

    # 1 + 20 events (batches of 4): two passes — the first event's, then the burst's union.
    assert consumer.stats.landed == 21
    assert refresher.calls == [((ENTERPRISES[0],), False), (tuple(ENTERPRISES[1:]), False)]
    assert _event_passes(engine) == [
        ("targeted", [ENTERPRISES[0]]),
        ("targeted", ENTERPRISES[1:]),
    ]
    assert {i: bus.redeemed(engine, i) for i in bus.expected} == bus.expected
    assert (bus.expected[0], bus.expected[1]) == (2 * SEAT, 5 * SEAT)


def test_a_burst_over_more_enterprises_than_the_cap_is_one_incremental_pass(
    bus: Bus, engine: Engine
) -> None:
    for number in range(1, 4):
        for index in range(len(ENTERPRISES)):
            bus.enroll(index, number)
    refresher = PipelineRefresher(bus.settings, check_alerts=False)
    consumer = bus.consumer(refresher, event_targeted_max_enterprises=3)
    consumer.run(until_idle=True)
    consumer.close()

    assert (consumer.stats.landed, consumer.stats.refreshes) == (18, 1)
    assert _event_passes(engine) == [("incremental", None)]
    assert {i: bus.redeemed(engine, i) for i in bus.expected} == bus.expected
