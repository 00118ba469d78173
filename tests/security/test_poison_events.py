"""Poison events on the bus: each kind is rejected with its reason, acknowledged, and does not
stall the stream (the events before and after it land), against the real Redis and PostgreSQL.
The fixtures are the consumer tests' own."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import redis
from sqlalchemy import Engine
from test_consumer_redis import (
    ENROLLMENTS,
    REVOCATIONS,
    RecordingRefresher,
    _consumer,
    _event_rows,
    _pending,
    _rejections,
    _stream,
    bus,
    lms,
)

from lcm_etl.events import producer
from lcm_etl.events.avro import ENROLLMENT_CREATED, LC_ENROLLMENT_REVOKED, encode_event_data
from lcm_etl.settings import Settings

__all__ = ["bus", "lms"]

Fields = dict[bytes, bytes]


def _with(**changes: bytes | None) -> Callable[[Fields], Fields]:
    def mutate(fields: Fields) -> Fields:
        for name, value in changes.items():
            if value is None:
                fields.pop(name.encode(), None)
            else:
                fields[name.encode()] = value
        return fields

    return mutate


def _data(transform: Callable[[bytes], bytes]) -> Callable[[Fields], Fields]:
    def mutate(fields: Fields) -> Fields:
        fields[b"event_data"] = transform(fields[b"event_data"])
        return fields

    return mutate


def _record(**enrollment: Any) -> Callable[[Fields], Fields]:
    """A well-formed Avro record of the right schema whose values are hostile."""

    def mutate(fields: Fields) -> Fields:
        data = producer.enrollment_data(2)
        for path, value in enrollment.items():
            node = data["enrollment"]
            *parents, leaf = path.split("__")
            for parent in parents:
                node = node[parent]
            node[leaf] = value
        fields[b"event_data"] = encode_event_data(ENROLLMENT_CREATED, data)
        return fields

    return mutate


def _revocation_data(fields: Fields) -> Fields:
    """A revocation's bytes under the enrollment type (schema confusion)."""
    revoked = producer.lc_enrollment_revoked_data("a11ce0000000400080000000000000aa", 2)
    fields[b"event_data"] = encode_event_data(LC_ENROLLMENT_REVOKED, revoked)
    return fields


POISON: list[Any] = [
    pytest.param(_data(lambda _: b"\xff" * 10 + b"\x01"), "undecodable_avro", id="endless-varint"),
    pytest.param(_data(lambda _: b""), "undecodable_avro", id="empty-event-data"),
    pytest.param(_data(lambda d: d[:-5]), "undecodable_avro", id="truncated"),
    pytest.param(_data(lambda d: d + b"\x00\x02"), "undecodable_avro", id="trailing-bytes"),
    pytest.param(_data(lambda _: os.urandom(4) * 250_000), "undecodable_avro", id="1-MB-noise"),
    pytest.param(_revocation_data, "undecodable_avro", id="another-types-record"),
    pytest.param(
        _with(type=b"org.openedx.learning.course.enrollment.teleported.v1"),
        "unknown_event_type",
        id="unknown-type",
    ),
    pytest.param(_with(type=b""), "unknown_event_type", id="empty-type"),
    pytest.param(_with(type=None), "missing_field", id="no-type"),
    pytest.param(_with(id=None), "missing_field", id="no-id"),
    pytest.param(_with(event_data=None), "missing_field", id="no-event-data"),
    pytest.param(_with(id=b"not-a-uuid"), "invalid_header", id="id-not-a-uuid"),
    pytest.param(_with(id=b"\xc3\x28"), "invalid_header", id="id-not-utf8"),
    pytest.param(_with(time=b"yesterday"), "invalid_header", id="time-not-iso"),
    pytest.param(_with(source=b"lms\x00web"), "invalid_header", id="nul-in-header"),
    pytest.param(_record(user__pii__email="a\x00b@x.example"), "invalid_field", id="nul-in-data"),
]


@pytest.mark.parametrize(("poison", "reason"), POISON)
def test_a_poison_event_is_rejected_acknowledged_and_the_stream_goes_on(
    bus: Settings,
    engine: Engine,
    redis_client: redis.Redis,
    lms: Any,
    poison: Callable[[Fields], Fields],
    reason: str,
) -> None:
    stream = _stream(bus, ENROLLMENTS)
    before = producer.publish(redis_client, stream, producer.enrollment_created_fields(1))
    bad = producer.publish(redis_client, stream, poison(producer.enrollment_created_fields(2)))
    after = producer.publish(redis_client, stream, producer.enrollment_created_fields(3))
    refresher = RecordingRefresher()

    _consumer(bus, engine, redis_client, refresher, lms[1]).run(until_idle=True)

    assert [row.entry_id for row in _event_rows(engine)] == [before, after]
    assert [(r.natural_key, r.reason) for r in _rejections(engine)] == [(bad, reason)]
    assert _pending(redis_client, bus) == 0
    assert len(refresher.calls) == 1


@pytest.mark.parametrize("enterprise", ["not-a-uuid", "", "a11ce000-0000-4000-8000", "x" * 5_000])
def test_a_revocation_naming_no_valid_enterprise_is_rejected(
    bus: Settings, engine: Engine, redis_client: redis.Redis, enterprise: str
) -> None:
    from lcm_etl.events.enterprises import LearnerDirectory

    stream = _stream(bus, REVOCATIONS)
    bad = producer.publish(redis_client, stream, producer.lc_enrollment_revoked_fields(enterprise))
    refresher = RecordingRefresher()
    _consumer(bus, engine, redis_client, refresher, LearnerDirectory(None)).run(until_idle=True)
    assert [(r.natural_key, r.reason) for r in _rejections(engine)] == [(bad, "invalid_field")]
    assert _event_rows(engine) == []
    assert _pending(redis_client, bus) == 0
