"""Which learner and which enterprise an event names (no LMS lookup here)."""

from __future__ import annotations

import uuid

import pytest

from lcm_etl.events import producer
from lcm_etl.events.avro import (
    ENROLLMENT_CREATED,
    LEDGER_TRANSACTION_REVERSED,
    UNENROLLMENT_COMPLETED,
)
from lcm_etl.events.enterprises import (
    InvalidEventField,
    LearnerDirectory,
    enterprise_named_by,
    learner_of,
    needs_learner_lookup,
    resolve,
)
from lcm_etl.events.message import BusEvent, parse_entry


def _event(fields: dict[bytes, bytes]) -> BusEvent:
    parsed = parse_entry("s", "1-0", fields)
    assert isinstance(parsed, BusEvent)
    return parsed


def test_enrollment_events_name_the_lms_user() -> None:
    for event_type in (ENROLLMENT_CREATED, UNENROLLMENT_COMPLETED):
        event = _event(producer.entry_fields(event_type, producer.enrollment_data(314)))
        assert learner_of(event) == 314
        assert enterprise_named_by(event) is None
        assert needs_learner_lookup(event)


def test_ledger_events_name_the_lms_user() -> None:
    event = _event(
        producer.entry_fields(LEDGER_TRANSACTION_REVERSED, producer.ledger_transaction_data(99))
    )
    assert learner_of(event) == 99
    assert needs_learner_lookup(event)


def test_revoked_events_name_the_enterprise_dashed_or_hex() -> None:
    enterprise = uuid.uuid4()
    for spelled in (str(enterprise), enterprise.hex):
        event = _event(producer.lc_enrollment_revoked_fields(spelled, lms_user_id=8))
        assert enterprise_named_by(event) == enterprise
        assert not needs_learner_lookup(event)


def test_a_revoked_event_with_a_bad_enterprise_uuid_is_an_invalid_field() -> None:
    event = _event(producer.lc_enrollment_revoked_fields("acme-corp"))
    with pytest.raises(InvalidEventField):
        enterprise_named_by(event)


def test_without_an_lms_source_learner_events_are_unresolved_and_others_resolved() -> None:
    enterprise = uuid.uuid4()
    learner = _event(producer.enrollment_created_fields(5))
    revoked = _event(producer.lc_enrollment_revoked_fields(str(enterprise)))
    nobody = _event(producer.lc_enrollment_revoked_fields(None))
    resolved = resolve([learner, revoked, nobody], LearnerDirectory(None))
    assert resolved[learner.event_id] == (5, None)
    assert resolved[revoked.event_id] == (1, (enterprise,))
    assert resolved[nobody.event_id] == (None, ())
