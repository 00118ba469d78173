"""Decoding event-bus entries: vendored schemas, schemaless Avro, headers, poison input."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lcm_etl.events import avro, message, producer
from lcm_etl.events.avro import (
    ENROLLMENT_CREATED,
    LC_ENROLLMENT_REVOKED,
    LEDGER_TRANSACTION_COMMITTED,
    UndecodableEventData,
    UnknownEventType,
)
from lcm_etl.events.message import BusEvent, Rejection, parse_entry

STREAM = "dev-course-enrollment-lifecycle"


def test_every_vendored_schema_parses_and_is_named_after_its_event_type() -> None:
    types = avro.known_event_types()
    assert ENROLLMENT_CREATED in types
    assert LC_ENROLLMENT_REVOKED in types
    assert types >= avro.LEDGER_EVENTS
    for event_type in types:
        document = json.loads(avro.schema_path(event_type).read_text())
        assert document["namespace"] == event_type
        assert avro.parsed_schema(event_type) is not None


def test_unknown_event_type_has_no_schema() -> None:
    with pytest.raises(UnknownEventType):
        avro.decode_event_data("org.openedx.learning.nope.v1", b"")


emails = st.emails()
text = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


@settings(max_examples=60, deadline=None)
@given(
    user_id=st.integers(min_value=1, max_value=2**63 - 1),
    email=emails,
    name=text,
    active=st.booleans(),
)
def test_enrollment_data_round_trips(user_id: int, email: str, name: str, active: bool) -> None:
    data = producer.enrollment_data(user_id, email=email, is_active=active)
    data["enrollment"]["user"]["pii"]["name"] = name
    encoded = avro.encode_event_data(ENROLLMENT_CREATED, data)
    assert avro.decode_event_data(ENROLLMENT_CREATED, encoded) == data


@settings(max_examples=300, deadline=None)
@given(
    event_type=st.sampled_from(sorted(avro.known_event_types())),
    garbage=st.binary(max_size=300),
)
def test_arbitrary_bytes_decode_or_raise_undecodable_never_anything_else(
    event_type: str, garbage: bytes
) -> None:
    try:
        record = avro.decode_event_data(event_type, garbage)
    except UndecodableEventData:
        return
    assert isinstance(record, dict)
    assert avro.encode_event_data(event_type, record) == garbage


def test_trailing_bytes_are_undecodable() -> None:
    encoded = avro.encode_event_data(ENROLLMENT_CREATED, producer.enrollment_data(5))
    with pytest.raises(UndecodableEventData, match="trailing"):
        avro.decode_event_data(ENROLLMENT_CREATED, encoded + b"\x00")


def test_a_ledger_event_cannot_be_read_as_an_enrollment() -> None:
    encoded = avro.encode_event_data(
        LEDGER_TRANSACTION_COMMITTED, producer.ledger_transaction_data(5)
    )
    with pytest.raises(UndecodableEventData):
        avro.decode_event_data(ENROLLMENT_CREATED, encoded)


# --- parse_entry -----------------------------------------------------------------------------


def test_a_well_formed_entry_becomes_a_bus_event_with_its_headers() -> None:
    event_id = uuid.uuid1()
    when = dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.UTC)
    fields = producer.entry_fields(
        ENROLLMENT_CREATED, producer.enrollment_data(42), event_id=event_id, time=when
    )
    parsed = parse_entry(STREAM, "1-0", fields)
    assert isinstance(parsed, BusEvent)
    assert parsed.event_id == event_id
    assert parsed.event_type == ENROLLMENT_CREATED
    assert parsed.time == when
    assert parsed.source == "openedx/lms/web"
    assert parsed.headers["sourcelib"] == producer.OPENEDX_EVENTS_VERSION
    assert set(parsed.headers) == {"minorversion", "sourcehost", "sourcelib"}
    assert parsed.data["enrollment"]["user"]["id"] == 42


def _fields(**overrides: bytes | None) -> dict[bytes, bytes]:
    fields = producer.entry_fields(ENROLLMENT_CREATED, producer.enrollment_data(7))
    for key, value in overrides.items():
        if value is None:
            fields.pop(key.encode(), None)
        else:
            fields[key.encode()] = value
    return fields


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"type": None}, message.MISSING_FIELD),
        ({"id": None}, message.MISSING_FIELD),
        ({"event_data": None}, message.MISSING_FIELD),
        ({"id": b"not-a-uuid"}, message.INVALID_HEADER),
        ({"time": b"yesterday"}, message.INVALID_HEADER),
        ({"source": b"\xff\xfe"}, message.INVALID_HEADER),
        ({"type": b"org.openedx.learning.course.unknown.v1"}, message.UNKNOWN_EVENT_TYPE),
        ({"event_data": b"\x02\x03garbage"}, message.UNDECODABLE_AVRO),
        ({"type": LEDGER_TRANSACTION_COMMITTED.encode()}, message.UNDECODABLE_AVRO),
    ],
)
def test_malformed_entries_are_rejections_with_a_reason(
    overrides: dict[str, bytes | None], reason: str
) -> None:
    parsed = parse_entry(STREAM, "9-1", _fields(**overrides))
    assert isinstance(parsed, Rejection)
    assert parsed.reason == reason
    assert (parsed.stream, parsed.entry_id) == (STREAM, "9-1")
    # The raw entry is kept, binary fields in base64, so it can be replayed after a fix.
    assert "base64" in parsed.payload.get("event_data", {"base64": ""})


def test_a_trimmed_pending_entry_is_a_rejection() -> None:
    parsed = parse_entry(STREAM, "3-0", {})
    assert isinstance(parsed, Rejection)
    assert parsed.reason == message.ENTRY_TRIMMED


def test_nul_characters_in_event_data_are_rejected_not_stored() -> None:
    data = producer.enrollment_data(7)
    data["enrollment"]["user"]["pii"]["name"] = "Ann\x00Lee"
    fields = producer.entry_fields(ENROLLMENT_CREATED, data)
    parsed = parse_entry(STREAM, "4-0", fields)
    assert isinstance(parsed, Rejection)
    assert parsed.reason == message.INVALID_FIELD


def test_a_naive_time_header_is_read_as_utc() -> None:
    parsed = parse_entry(STREAM, "5-0", _fields(time=b"2026-05-01T12:00:00"))
    assert isinstance(parsed, BusEvent)
    assert parsed.time == dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


@settings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from([b"type", b"id", b"source", b"time", b"event_data", b"other", b"\xff"]),
        st.binary(max_size=60),
    )
)
def test_parse_entry_never_raises(fields: dict[bytes, bytes]) -> None:
    parsed = parse_entry(STREAM, "1-1", fields)
    assert isinstance(parsed, BusEvent | Rejection)
    if isinstance(parsed, Rejection):
        json.dumps(parsed.payload)  # always storable as JSON
