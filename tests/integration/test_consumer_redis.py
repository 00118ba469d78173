"""The event consumer against the real local Redis and PostgreSQL.

Messages are written exactly as edx-event-bus-redis writes them (``lcm_etl.events.producer``:
fields type, id, source, time, minorversion, sourcehost, sourcelib, event_data as schemaless
Avro). Every test uses its own stream prefix and consumer group, and deletes its streams.
The refresh is recorded by a stand-in here (what is asked, how often); the real pass and the real
Airflow REST call are covered by ``test_consumer_refresh.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import select as selectors
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, create_engine, func, insert, select

from lcm_etl.events import producer
from lcm_etl.events.avro import ENROLLMENT_CREATED
from lcm_etl.events.consumer import EventConsumer, run_with_retries, stream_names
from lcm_etl.events.enterprises import LearnerDirectory, enterprise_customer_user
from lcm_etl.events.refresh import RefreshFailed
from lcm_etl.schema import event_bus_event, rejected_record
from lcm_etl.settings import Settings

ENROLLMENTS = "course-enrollment-lifecycle"
REVOCATIONS = "learner-credit-course-enrollment-lifecycle"
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
GLOBEX = uuid.UUID("91000000-0000-4000-8000-000000000002")
BOTH = tuple(sorted((ACME, GLOBEX)))
# An Avro long that never ends (every byte has its continuation bit set, then overflows).
POISON = b"\xff" * 10 + b"\x01"


class RecordingRefresher:
    """Stands in for the pass / the Airflow call; can fail the first ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[tuple[uuid.UUID, ...], bool]] = []
        self.failures = failures

    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        self.calls.append((enterprise_uuids, incremental))
        if self.failures:
            self.failures -= 1
            raise RefreshFailed("the pipeline lock is busy")
        return "incremental_pass" if incremental else "targeted_pass"

    def close(self) -> None:
        return None


class SimulatedCrash(RuntimeError):
    pass


@pytest.fixture
def bus(bus_settings: Callable[..., Settings]) -> Settings:
    """Both topics, one named consumer, small batches."""
    return bus_settings(
        event_bus_topics=f"{ENROLLMENTS},{REVOCATIONS}",
        event_bus_consumer_name="consumer-1",
        event_bus_batch_size=50,
    )


@pytest.fixture
def lms(tmp_path: Path) -> Iterator[tuple[Engine, LearnerDirectory]]:
    """An LMS source with its enterprise-customer-user table: learners 1, 2 → Acme; 3 → Globex."""
    url = f"sqlite:///{tmp_path / 'lms.sqlite'}"
    engine = create_engine(url)
    enterprise_customer_user.create(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(enterprise_customer_user),
            [
                {"id": 1, "user_id": 1, "enterprise_customer_id": ACME.hex, **LINK},
                {"id": 2, "user_id": 2, "enterprise_customer_id": ACME.hex, **LINK},
                {"id": 3, "user_id": 3, "enterprise_customer_id": GLOBEX.hex, **LINK},
            ],
        )
    directory = LearnerDirectory(engine.url)
    yield engine, directory
    directory.close()
    engine.dispose()


def _stream(settings: Settings, topic: str) -> str:
    return f"{settings.event_bus_topic_prefix}-{topic}"


def _consumer(
    settings: Settings,
    engine: Engine,
    redis_client: redis.Redis,
    refresher: RecordingRefresher,
    directory: LearnerDirectory,
    **overrides: Any,
) -> EventConsumer:
    if overrides:
        settings = settings.model_copy(update=overrides)
    return EventConsumer(
        settings, client=redis_client, engine=engine, refresher=refresher, directory=directory
    )


def _pending(redis_client: redis.Redis, settings: Settings) -> int:
    return sum(
        redis_client.xpending(stream, settings.event_bus_consumer_group)["pending"]
        for stream in stream_names(settings)
    )


def _event_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(event_bus_event).order_by(event_bus_event.c.entry_id)))


def _rejections(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(rejected_record).order_by(rejected_record.c.natural_key)))


def test_events_published_before_the_first_start_are_read(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    """The group starts at 0, not $: nothing published while no consumer ran is skipped."""
    stream = _stream(bus, ENROLLMENTS)
    producer.publish(redis_client, stream, producer.enrollment_created_fields(1))
    producer.publish(redis_client, stream, producer.enrollment_created_fields(3))
    refresher = RecordingRefresher()

    stats = _consumer(bus, engine, redis_client, refresher, lms[1]).run(until_idle=True)

    rows = _event_rows(engine)
    assert [row.lms_user_id for row in rows] == [1, 3]
    assert [row.enterprise_uuids for row in rows] == [[ACME], [GLOBEX]]
    assert all(row.event_type == ENROLLMENT_CREATED and row.stream == stream for row in rows)
    assert all(row.processed_at is not None and row.refresh == "targeted_pass" for row in rows)
    assert rows[0].data["enrollment"]["user"]["pii"]["username"] == "learner1"
    assert rows[0].headers["sourcelib"] == producer.OPENEDX_EVENTS_VERSION
    # One refresh for the batch, targeted at both enterprises.
    assert refresher.calls == [(BOTH, False)]
    assert stats.landed == 2
    assert _pending(redis_client, bus) == 0


def test_duplicate_delivery_has_one_effect(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    fields = producer.enrollment_created_fields(2)
    producer.publish(redis_client, stream, fields)
    producer.publish(redis_client, stream, fields)  # the same event (same id) published again
    refresher = RecordingRefresher()
    consumer = _consumer(bus, engine, redis_client, refresher, lms[1])
    consumer.run(until_idle=True)

    # …and once more, later, in a batch of its own.
    producer.publish(redis_client, stream, fields)
    consumer.run(until_idle=True)

    rows = _event_rows(engine)
    assert len(rows) == 1
    assert rows[0].event_id == uuid.UUID(fields[b"id"].decode())
    assert refresher.calls == [((ACME,), False)]
    assert (consumer.stats.landed, consumer.stats.duplicates) == (1, 2)
    assert _pending(redis_client, bus) == 0


def test_a_crash_between_commit_and_acknowledge_loses_nothing_and_doubles_nothing(
    bus: Settings,
    engine: Engine,
    redis_client: redis.Redis,
    lms: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    ids = [
        producer.publish(redis_client, stream, producer.enrollment_created_fields(u))
        for u in (1, 3)
    ]
    refresher = RecordingRefresher()
    crashing = _consumer(bus, engine, redis_client, refresher, lms[1])

    def crash(entries: Any) -> None:
        raise SimulatedCrash("killed after the commit, before XACK")

    monkeypatch.setattr(crashing, "acknowledge", crash)
    with pytest.raises(SimulatedCrash):
        crashing.run(until_idle=True)
    assert len(_event_rows(engine)) == 2  # committed…
    assert _pending(redis_client, bus) == 2  # …but not acknowledged
    assert refresher.calls == []

    # The same consumer restarts: it reads its own pending entries first.
    restarted = _consumer(bus, engine, redis_client, refresher, lms[1])
    restarted.run(until_idle=True)

    rows = _event_rows(engine)
    assert [row.entry_id for row in rows] == ids
    assert (restarted.stats.entries, restarted.stats.landed, restarted.stats.duplicates) == (
        2,
        0,
        2,
    )
    assert refresher.calls == [(BOTH, False)]
    assert all(row.processed_at is not None for row in rows)
    assert _pending(redis_client, bus) == 0


def test_a_dead_consumers_pending_entries_are_reclaimed(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    group = bus.event_bus_consumer_group
    redis_client.xgroup_create(stream, group, id="0", mkstream=True)
    producer.publish(redis_client, stream, producer.enrollment_created_fields(3))
    # Another consumer of the group receives the entry and dies without acknowledging it.
    delivered = redis_client.xreadgroup(group, "consumer-dead", {stream: ">"}, count=10)
    assert len(delivered[0][1]) == 1  # type: ignore[index]  # redis-py types xreadgroup as RESP3's dict
    refresher = RecordingRefresher()

    patient = _consumer(
        bus, engine, redis_client, refresher, lms[1], event_bus_claim_min_idle_ms=3_600_000
    )
    patient.run(until_idle=True)
    assert _event_rows(engine) == []  # not idle long enough: still the other consumer's

    survivor = _consumer(
        bus, engine, redis_client, refresher, lms[1], event_bus_claim_min_idle_ms=0
    )
    survivor.run(until_idle=True)

    assert [row.lms_user_id for row in _event_rows(engine)] == [3]
    assert survivor.stats.reclaimed == 1
    assert refresher.calls == [((GLOBEX,), False)]
    assert _pending(redis_client, bus) == 0


def test_a_poison_message_does_not_stall_the_stream(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    good_before = producer.publish(redis_client, stream, producer.enrollment_created_fields(1))
    garbage = producer.enrollment_created_fields(2)
    garbage[b"event_data"] = POISON
    bad_avro = producer.publish(redis_client, stream, garbage)
    unknown = producer.enrollment_created_fields(2)
    unknown[b"type"] = b"org.openedx.learning.course.enrollment.teleported.v1"
    bad_type = producer.publish(redis_client, stream, unknown)
    no_id = producer.enrollment_created_fields(2)
    del no_id[b"id"]
    missing_id = producer.publish(redis_client, stream, no_id)
    good_after = producer.publish(redis_client, stream, producer.enrollment_created_fields(3))
    refresher = RecordingRefresher()

    consumer = _consumer(bus, engine, redis_client, refresher, lms[1], event_bus_batch_size=2)
    consumer.run(until_idle=True)

    assert [row.entry_id for row in _event_rows(engine)] == [good_before, good_after]
    rejected = {row.natural_key: row for row in _rejections(engine)}
    assert {key: row.reason for key, row in rejected.items()} == {
        bad_avro: "undecodable_avro",
        bad_type: "unknown_event_type",
        missing_id: "missing_field",
    }
    poison = rejected[bad_avro]
    assert (poison.source, poison.source_table, poison.stage) == ("event_bus", stream, "landing")
    assert (poison.first_run_id, poison.last_run_id) == (0, 0)
    assert poison.payload["fields"]["event_data"] == {"base64": base64.b64encode(POISON).decode()}
    assert poison.payload["fields"]["type"] == ENROLLMENT_CREATED
    assert _pending(redis_client, bus) == 0
    info = {g["name"].decode(): g for g in redis_client.xinfo_groups(stream)}[
        bus.event_bus_consumer_group
    ]
    assert info["last-delivered-id"].decode() == good_after


def test_a_redelivered_poison_message_is_recorded_once(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    garbage = producer.enrollment_created_fields(2)
    garbage[b"event_data"] = b"\x00"
    producer.publish(redis_client, stream, garbage)
    refresher = RecordingRefresher()
    consumer = _consumer(bus, engine, redis_client, refresher, lms[1])
    consumer.ensure_groups()
    entries = consumer._read(consumer.streams, ">", 10)
    consumer.handle(entries)
    consumer.handle(entries)  # as if redelivered after a crash before the XACK
    assert len(_rejections(engine)) == 1
    assert refresher.calls == []


def test_a_revoked_enrollment_names_its_enterprise_and_a_bad_one_is_rejected(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, REVOCATIONS)
    producer.publish(redis_client, stream, producer.lc_enrollment_revoked_fields(GLOBEX.hex, 77))
    bad = producer.publish(
        redis_client, stream, producer.lc_enrollment_revoked_fields("not-a-uuid")
    )
    refresher = RecordingRefresher()
    _consumer(bus, engine, redis_client, refresher, LearnerDirectory(None)).run(until_idle=True)
    assert [row.enterprise_uuids for row in _event_rows(engine)] == [[GLOBEX]]
    assert [(r.natural_key, r.reason) for r in _rejections(engine)] == [(bad, "invalid_field")]
    assert refresher.calls == [((GLOBEX,), False)]


def test_a_learner_of_no_enterprise_is_recorded_and_acknowledged_without_a_refresh(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    producer.publish(
        redis_client, _stream(bus, ENROLLMENTS), producer.enrollment_created_fields(404)
    )
    refresher = RecordingRefresher()
    _consumer(bus, engine, redis_client, refresher, lms[1]).run(until_idle=True)
    [row] = _event_rows(engine)
    assert (row.lms_user_id, row.enterprise_uuids, row.refresh) == (404, [], "none")
    assert row.processed_at is not None
    assert refresher.calls == []
    assert _pending(redis_client, bus) == 0


def test_without_an_lms_source_the_refresh_is_incremental(
    bus: Settings, engine: Engine, redis_client: redis.Redis, tmp_path: Path
) -> None:
    producer.publish(redis_client, _stream(bus, ENROLLMENTS), producer.enrollment_created_fields(1))
    producer.publish(
        redis_client, _stream(bus, REVOCATIONS), producer.lc_enrollment_revoked_fields(ACME.hex)
    )
    refresher = RecordingRefresher()
    # An LMS URL whose database lacks the table counts as no LMS source too.
    empty_lms = LearnerDirectory(create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}").url)
    _consumer(bus, engine, redis_client, refresher, empty_lms).run(until_idle=True)
    rows = _event_rows(engine)
    assert sorted((row.enterprise_uuids or [] for row in rows), key=len) == [[], [ACME]]
    assert [r.enterprise_uuids for r in rows if r.event_type == ENROLLMENT_CREATED] == [None]
    assert refresher.calls == [((ACME,), True)]
    assert {row.refresh for row in rows} == {"incremental_pass"}


def test_a_failed_refresh_is_retried_from_the_table_not_the_stream(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    producer.publish(redis_client, _stream(bus, ENROLLMENTS), producer.enrollment_created_fields(1))
    refresher = RecordingRefresher(failures=1)
    first = _consumer(bus, engine, redis_client, refresher, lms[1])
    first.run(until_idle=True)
    assert first.stats.refresh_failures == 1
    [row] = _event_rows(engine)
    assert row.processed_at is None
    assert _pending(redis_client, bus) == 0  # landed and acknowledged all the same

    # A later start (no new entries) retries the refresh the events still ask for.
    _consumer(bus, engine, redis_client, refresher, lms[1]).run(until_idle=True)
    assert refresher.calls == [((ACME,), False), ((ACME,), False)]
    [row] = _event_rows(engine)
    assert row.processed_at is not None


def test_many_events_make_one_refresh_per_batch(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    for learner in (1, 2, 1, 3, 2, 404):
        producer.publish(redis_client, stream, producer.enrollment_created_fields(learner))
    refresher = RecordingRefresher()
    _consumer(bus, engine, redis_client, refresher, lms[1]).run(until_idle=True)
    assert refresher.calls == [(BOTH, False)]
    with engine.connect() as conn:
        processed = conn.execute(
            select(func.count()).where(event_bus_event.c.processed_at.is_not(None))
        ).scalar_one()
    assert processed == 6


def test_a_burst_larger_than_a_batch_is_one_refresh(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    """120 events in batches of 10: landed batch after batch, then one refresh for the union."""
    stream = _stream(bus, ENROLLMENTS)
    for number in range(120):
        producer.publish(redis_client, stream, producer.enrollment_created_fields(1 + number % 3))
    refresher = RecordingRefresher()
    consumer = _consumer(bus, engine, redis_client, refresher, lms[1], event_bus_batch_size=10)
    consumer.run(until_idle=True)
    assert refresher.calls == [(BOTH, False)]
    assert (consumer.stats.entries, consumer.stats.landed, consumer.stats.refreshes) == (
        120,
        120,
        1,
    )
    assert all(row.processed_at is not None for row in _event_rows(engine))
    assert _pending(redis_client, bus) == 0


def test_the_drain_is_bounded_so_a_stream_that_never_pauses_still_refreshes(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    for number in range(50):
        producer.publish(redis_client, stream, producer.enrollment_created_fields(1 + number % 3))
    refresher = RecordingRefresher()
    consumer = _consumer(
        bus,
        engine,
        redis_client,
        refresher,
        lms[1],
        event_bus_batch_size=10,
        event_bus_drain_max_entries=20,
    )
    consumer.run(until_idle=True)
    # 20 + 20 + 10 entries: three refreshes, never one per event or per batch.
    assert consumer.stats.refreshes == 3
    assert len(refresher.calls) == 3
    assert all(row.processed_at is not None for row in _event_rows(engine))


class PublishingRefresher(RecordingRefresher):
    """A refresh during which more events arrive on the bus (as during a real pass)."""

    def __init__(self, redis_client: redis.Redis, stream: str, learners: list[int]) -> None:
        super().__init__()
        self.redis_client, self.stream, self.learners = redis_client, stream, learners

    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        while self.learners:
            learner = self.learners.pop()
            producer.publish(
                self.redis_client, self.stream, producer.enrollment_created_fields(learner)
            )
        return super().refresh(enterprise_uuids, incremental=incremental)


def test_events_arriving_during_a_refresh_go_into_the_next_one_together(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    producer.publish(redis_client, stream, producer.enrollment_created_fields(1))
    # 40 events (Acme's and Globex's learners) arrive while the first refresh runs.
    refresher = PublishingRefresher(redis_client, stream, [2, 3] * 20)
    consumer = _consumer(bus, engine, redis_client, refresher, lms[1], event_bus_batch_size=7)
    consumer.run(until_idle=True)
    assert refresher.calls == [((ACME,), False), (BOTH, False)]
    assert consumer.stats.landed == 41
    assert all(row.processed_at is not None for row in _event_rows(engine))


def test_a_refresh_naming_more_enterprises_than_the_cap_is_incremental(
    bus: Settings, engine: Engine, redis_client: redis.Redis, lms: Any
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    for learner in (1, 3):
        producer.publish(redis_client, stream, producer.enrollment_created_fields(learner))
    refresher = RecordingRefresher()
    consumer = _consumer(
        bus, engine, redis_client, refresher, lms[1], event_targeted_max_enterprises=1
    )
    consumer.run(until_idle=True)
    assert refresher.calls == [(BOTH, True)]
    assert consumer.stats.incremental_refreshes == 1
    assert {row.refresh for row in _event_rows(engine)} == {"incremental_pass"}


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        upstream = socket.create_connection(self.server.target)  # type: ignore[attr-defined]
        try:
            while True:
                readable, _, _ = selectors.select([self.request, upstream], [], [], 1.0)
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)
        finally:
            upstream.close()


class RedisOutage:
    """A port with nothing behind it — until ``end()`` opens it and forwards it to Redis."""

    def __init__(self, target: tuple[str, int]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.target = target
        self.server: socketserver.ThreadingTCPServer | None = None

    def end(self) -> None:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), _Pipe)
        self.server.daemon_threads = True
        self.server.target = self.target  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def test_the_consumer_waits_out_a_redis_outage_and_carries_on(
    bus: Settings,
    engine: Engine,
    redis_client: redis.Redis,
    lms: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A long-running consumer retries a lost Redis with capped exponential backoff, logs each
    retry, and exits only when told to (issue: it exited with a traceback at the first refusal)."""
    caplog.set_level(logging.WARNING, logger="lcm_etl.events.consumer")
    stream = _stream(bus, ENROLLMENTS)
    producer.publish(redis_client, stream, producer.enrollment_created_fields(1))
    real = redis_client.connection_pool.connection_kwargs
    outage = RedisOutage((real.get("host", "127.0.0.1"), int(real.get("port", 6379))))
    settings = bus.model_copy(
        update={
            "event_bus_redis_url": f"redis://127.0.0.1:{outage.port}/{real.get('db', 0)}",
            "event_bus_retry_initial_seconds": 0.01,
            "event_bus_retry_max_seconds": 0.05,
        }
    )
    refresher = RecordingRefresher()
    consumer = EventConsumer(settings, engine=engine, refresher=refresher, directory=lms[1])
    stop = threading.Event()
    outcome: list[Any] = []

    def serve() -> None:
        try:
            outcome.append(run_with_retries(consumer, settings, until_idle=False, stop=stop))
        except BaseException as exc:  # the test reports it below
            outcome.append(exc)

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        for _ in range(500):  # the consumer keeps retrying while Redis is away
            if len([r for r in caplog.records if "Retrying in" in r.getMessage()]) >= 5:
                break
            time.sleep(0.01)
        retries = [r.getMessage() for r in caplog.records if "Retrying in" in r.getMessage()]
        assert len(retries) >= 5, retries
        assert all("LCM_EVENT_BUS_REDIS_URL" in message for message in retries)
        assert worker.is_alive()
        assert not outcome
        outage.end()
        for _ in range(1_000):  # Redis is back: the pending event lands and is refreshed
            if refresher.calls:
                break
            time.sleep(0.01)
        assert refresher.calls == [((ACME,), False)]
        assert [row.lms_user_id for row in _event_rows(engine)] == [1]
    finally:
        stop.set()
        worker.join(timeout=60)
        consumer.close()
        outage.close()
    assert not worker.is_alive()
    assert len(outcome) == 1
    assert not isinstance(outcome[0], BaseException), outcome
    assert _pending(redis_client, bus) == 0
