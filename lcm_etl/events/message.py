"""One Redis Streams entry of the Open edX event bus → a :class:`BusEvent` or a :class:`Rejection`.

edx-event-bus-redis writes each event as one stream entry with the fields ``type`` (the event
type), ``id`` (a UUID), ``source``, ``time`` (ISO 8601), ``minorversion``, ``sourcehost``,
``sourcelib`` and ``event_data`` (schemaless Avro). Parsing never raises: anything malformed
becomes a rejection with a reason code, so one poison message cannot stall the stream.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from lcm_etl.events.avro import UndecodableEventData, UnknownEventType, decode_event_data

EXTRA_HEADERS = ("minorversion", "sourcehost", "sourcelib")

# Reason codes of lcm_raw.rejected_record rows with source = 'event_bus'.
MISSING_FIELD = "missing_field"
INVALID_HEADER = "invalid_header"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
UNDECODABLE_AVRO = "undecodable_avro"
INVALID_FIELD = "invalid_field"
ENTRY_TRIMMED = "entry_trimmed"
UNSTORABLE = "unstorable_event"


@dataclasses.dataclass(frozen=True)
class BusEvent:
    stream: str
    entry_id: str
    event_id: uuid.UUID
    event_type: str
    source: str | None
    time: dt.datetime | None
    headers: dict[str, str]
    data: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Rejection:
    stream: str
    entry_id: str
    reason: str
    detail: str
    payload: dict[str, Any]


def entry_payload(fields: Mapping[bytes, bytes] | None) -> dict[str, Any]:
    """The raw entry as JSON: text fields as strings, anything else (event_data) as base64."""
    payload: dict[str, Any] = {}
    for raw_key, raw_value in (fields or {}).items():
        key = _text(raw_key) or "base64:" + base64.b64encode(raw_key).decode("ascii")
        text = None if key == "event_data" else _text(raw_value)
        payload[key] = text if text is not None else {"base64": _b64(raw_value)}
    return payload


def parse_entry(
    stream: str, entry_id: str, fields: Mapping[bytes, bytes] | None
) -> BusEvent | Rejection:
    """Validate the headers, decode ``event_data`` with the schema of ``type``."""

    def reject(reason: str, detail: str) -> Rejection:
        return Rejection(stream, entry_id, reason, detail, entry_payload(fields))

    if not fields:
        return reject(ENTRY_TRIMMED, "the entry's data is gone (trimmed from the stream)")
    missing = [name for name in ("type", "id", "event_data") if name.encode() not in fields]
    if missing:
        return reject(MISSING_FIELD, f"no {', '.join(missing)} field")
    headers: dict[str, str | None] = {}
    for name in ("type", "id", "source", "time", *EXTRA_HEADERS):
        raw = fields.get(name.encode())
        value = None if raw is None else _text(raw)
        if raw is not None and value is None:
            return reject(INVALID_HEADER, f"the {name} field is not text")
        headers[name] = value
    event_type = headers["type"] or ""
    try:
        event_id = uuid.UUID(headers["id"] or "")
    except ValueError:
        return reject(INVALID_HEADER, f"the id field {headers['id']!r} is not a UUID")
    try:
        time = _parse_time(headers["time"])
    except ValueError:
        return reject(INVALID_HEADER, f"the time field {headers['time']!r} is not ISO 8601")
    try:
        data = decode_event_data(event_type, fields[b"event_data"])
    except UnknownEventType as exc:
        return reject(UNKNOWN_EVENT_TYPE, str(exc))
    except UndecodableEventData as exc:
        return reject(UNDECODABLE_AVRO, f"event_data is not a {event_type} record ({exc})")
    if "\\u0000" in json.dumps(data):
        # PostgreSQL text and jsonb cannot hold NUL characters.
        return reject(INVALID_FIELD, "event_data contains a NUL character")
    return BusEvent(
        stream=stream,
        entry_id=entry_id,
        event_id=event_id,
        event_type=event_type,
        source=headers["source"],
        time=time,
        headers={name: value for name in EXTRA_HEADERS if (value := headers[name]) is not None},
        data=data,
    )


def _text(raw: bytes) -> str | None:
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in value else value


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
