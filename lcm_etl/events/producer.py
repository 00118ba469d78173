"""Write events to a stream exactly as edx-event-bus-redis does (for tests, demos and the bench).

edx-event-bus-redis (``internal/message.py``, ``to_binary_dict``) XADDs one entry per event with
the fields ``type``, ``id`` (a UUID1), ``source`` (``openedx/<service>/web``), ``time`` (ISO 8601),
``minorversion``, ``sourcehost``, ``sourcelib`` (the openedx-events version) and ``event_data``
(schemaless Avro of the event's data), capped at ~10 000 entries (MAXLEN ~).
"""

from __future__ import annotations

import datetime as dt
import socket
import uuid
from typing import Any

import redis

from lcm_etl.events.avro import (
    ENROLLMENT_CREATED,
    LC_ENROLLMENT_REVOKED,
    encode_event_data,
)

OPENEDX_EVENTS_VERSION = "11.2.0"
STREAM_MAX_LEN = 10_000


def entry_fields(
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    source: str = "openedx/lms/web",
    time: dt.datetime | None = None,
) -> dict[bytes, bytes]:
    headers = {
        "type": event_type,
        "id": str(event_id or uuid.uuid1()),
        "source": source,
        "time": (time or dt.datetime.now(dt.UTC)).isoformat(),
        "minorversion": "0",
        "sourcehost": socket.gethostname(),
        "sourcelib": OPENEDX_EVENTS_VERSION,
    }
    fields = {key.encode(): value.encode() for key, value in headers.items()}
    fields[b"event_data"] = encode_event_data(event_type, data)
    return fields


def publish(client: redis.Redis, stream: str, fields: dict[bytes, bytes]) -> str:
    """XADD like the official producer; returns the entry id."""
    entry_id = client.xadd(stream, fields, maxlen=STREAM_MAX_LEN, approximate=True)  # type: ignore[arg-type]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


def enrollment_data(
    lms_user_id: int,
    course_key: str = "course-v1:edX+DemoX+Demo_Course",
    *,
    email: str | None = None,
    mode: str = "verified",
    is_active: bool = True,
) -> dict[str, Any]:
    """``CourseEnrollmentData`` of the enrollment events (created, changed, unenrollment)."""
    username = f"learner{lms_user_id}"
    now = dt.datetime.now(dt.UTC).isoformat()
    return {
        "enrollment": {
            "user": {
                "id": lms_user_id,
                "is_active": True,
                "pii": {
                    "username": username,
                    "email": email or f"{username}@example.com",
                    "name": f"Learner {lms_user_id}",
                },
            },
            "course": {
                "course_key": course_key,
                "display_name": "Demonstration Course",
                "start": None,
                "end": None,
            },
            "mode": mode,
            "is_active": is_active,
            "creation_date": now,
            "created_by": None,
        }
    }


def enrollment_created_fields(lms_user_id: int, **kwargs: Any) -> dict[bytes, bytes]:
    return entry_fields(ENROLLMENT_CREATED, enrollment_data(lms_user_id, **kwargs))


def lc_enrollment_revoked_data(
    enterprise_customer_uuid: str | None, lms_user_id: int = 1
) -> dict[str, Any]:
    """``LearnerCreditEnterpriseCourseEnrollment`` of the revoked event."""
    now = dt.datetime.now(dt.UTC).isoformat()
    enrollment = None
    if enterprise_customer_uuid is not None:
        enrollment = {
            "id": 1,
            "created": now,
            "modified": now,
            "enterprise_customer_user": {
                "id": 1,
                "created": now,
                "modified": now,
                "enterprise_customer_uuid": enterprise_customer_uuid,
                "user_id": lms_user_id,
                "active": True,
                "linked": True,
                "is_relinkable": True,
                "should_inactivate_other_customers": False,
                "invite_key": None,
            },
            "course_id": "course-v1:edX+DemoX+Demo_Course",
            "saved_for_later": False,
            "source_slug": None,
            "unenrolled": True,
            "unenrolled_at": now,
        }
    return {
        "learner_credit_course_enrollment": {
            "uuid": str(uuid.uuid4()),
            "created": now,
            "modified": now,
            "fulfillment_type": "learner_credit",
            "is_revoked": True,
            "enterprise_course_entitlement_uuid": None,
            "enterprise_course_enrollment": enrollment,
            "transaction_id": str(uuid.uuid4()),
        }
    }


def lc_enrollment_revoked_fields(
    enterprise_customer_uuid: str | None, lms_user_id: int = 1
) -> dict[bytes, bytes]:
    return entry_fields(
        LC_ENROLLMENT_REVOKED,
        lc_enrollment_revoked_data(enterprise_customer_uuid, lms_user_id),
        source="openedx/enterprise/web",
    )


def ledger_transaction_data(lms_user_id: int, quantity: int = -10_000) -> dict[str, Any]:
    """``LedgerTransaction`` of the subsidy ledger events (quantity in USD cents)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    return {
        "ledger_transaction": {
            "uuid": str(uuid.uuid4()),
            "created": now,
            "modified": now,
            "idempotency_key": f"lcm-{uuid.uuid4().hex}",
            "quantity": quantity,
            "state": "committed",
            "ledger_uuid": str(uuid.uuid4()),
            "subsidy_access_policy_uuid": str(uuid.uuid4()),
            "lms_user_id": lms_user_id,
            "content_key": "course-v1:edX+DemoX+Demo_Course",
            "parent_content_key": None,
            "fulfillment_identifier": None,
            "reversal": None,
        }
    }
