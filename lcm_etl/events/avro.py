"""Schemaless Avro, as openedx-events writes ``event_data``: one vendored schema per event type.

Schemaless Avro carries no schema id, so the reader must use exactly the writer's schema; the
vendored copies in ``schemas/`` are those of openedx-events 11.2.0 (see ``schemas/README.md``).
"""

from __future__ import annotations

import functools
import io
import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import fastavro

SCHEMA_DIR = resources.files("lcm_etl.events") / "schemas"

ENROLLMENT_CREATED = "org.openedx.learning.course.enrollment.created.v1"
ENROLLMENT_CHANGED = "org.openedx.learning.course.enrollment.changed.v1"
UNENROLLMENT_COMPLETED = "org.openedx.learning.course.unenrollment.completed.v1"
LC_ENROLLMENT_REVOKED = "org.openedx.enterprise.learner_credit_course_enrollment.revoked.v1"
LEDGER_TRANSACTION_CREATED = "org.openedx.enterprise.subsidy_ledger_transaction.created.v1"
LEDGER_TRANSACTION_COMMITTED = "org.openedx.enterprise.subsidy_ledger_transaction.committed.v1"
LEDGER_TRANSACTION_FAILED = "org.openedx.enterprise.subsidy_ledger_transaction.failed.v1"
LEDGER_TRANSACTION_REVERSED = "org.openedx.enterprise.subsidy_ledger_transaction.reversed.v1"

ENROLLMENT_EVENTS = frozenset({ENROLLMENT_CREATED, ENROLLMENT_CHANGED, UNENROLLMENT_COMPLETED})
LEDGER_EVENTS = frozenset(
    {
        LEDGER_TRANSACTION_CREATED,
        LEDGER_TRANSACTION_COMMITTED,
        LEDGER_TRANSACTION_FAILED,
        LEDGER_TRANSACTION_REVERSED,
    }
)


class UnknownEventType(LookupError):
    """No vendored schema for this event type (the consumer rejects such messages)."""


class UndecodableEventData(ValueError):
    """``event_data`` is not a valid Avro encoding under the event type's schema."""


def schema_path(event_type: str) -> Traversable:
    return SCHEMA_DIR / f"{event_type.replace('.', '+')}_schema.avsc"


def known_event_types() -> frozenset[str]:
    """Every event type with a vendored schema."""
    return frozenset(
        entry.name.removesuffix("_schema.avsc").replace("+", ".")
        for entry in SCHEMA_DIR.iterdir()
        if entry.name.endswith("_schema.avsc")
    )


@functools.cache
def parsed_schema(event_type: str) -> Any:
    """The parsed schema of ``event_type``; raises :class:`UnknownEventType`."""
    if event_type not in known_event_types():
        raise UnknownEventType(f"no Avro schema is vendored for event type {event_type!r}")
    document = json.loads(schema_path(event_type).read_text(encoding="utf-8"))
    return fastavro.parse_schema(document, named_schemas={})


def decode_event_data(event_type: str, data: bytes) -> dict[str, Any]:
    """Decode ``event_data``; every byte must belong to the record (trailing bytes are an error)."""
    schema = parsed_schema(event_type)
    buffer = io.BytesIO(data)
    try:
        record = fastavro.schemaless_reader(buffer, schema, None)
    # A malformed payload surfaces as whatever fastavro hit first (EOFError, UnicodeDecodeError,
    # IndexError for a bad union branch, ValueError, OverflowError, MemoryError for a huge length…):
    # every one of them means "not this schema's encoding".
    except Exception as exc:
        raise UndecodableEventData(f"{type(exc).__name__}: {exc}") from None
    if buffer.tell() != len(data):
        raise UndecodableEventData(
            f"{len(data) - buffer.tell()} trailing byte(s) after the {event_type} record"
        )
    if not isinstance(record, dict):
        raise UndecodableEventData("event_data is not an Avro record")
    return record


def encode_event_data(event_type: str, record: dict[str, Any]) -> bytes:
    """Encode as openedx-events does (``fastavro.schemaless_writer``); for tests and the bench."""
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema(event_type), record)
    return buffer.getvalue()
