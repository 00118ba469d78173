"""Which enterprises an event touches.

- LC-enrollment-revoked events name the enterprise (``enterprise_customer_uuid``) themselves.
- Enrollment events carry the LMS user id (``enrollment.user.id``), ledger events ``lms_user_id``;
  the learner's enterprises come from the LMS table ``enterprise_enterprisecustomeruser``
  (user_id → enterprise_customer_id). A learner linked to several enterprises refreshes them all:
  a targeted pass of one enterprise too many costs little, one too few would leave a stale page.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from lcm_etl.db import make_engine
from lcm_etl.events.avro import ENROLLMENT_EVENTS, LC_ENROLLMENT_REVOKED, LEDGER_EVENTS
from lcm_etl.events.message import BusEvent
from lcm_etl.ingest.sources.lms import enterprise_customer_user

log = logging.getLogger(__name__)

__all__ = ["LearnerDirectory", "enterprise_customer_user", "resolve"]


class InvalidEventField(ValueError):
    """A field the resolution needs is impossible (e.g. an enterprise id that is no UUID)."""


def learner_of(event: BusEvent) -> int | None:
    """The LMS user id the event is about, if its type carries one."""
    data = event.data
    if event.event_type in ENROLLMENT_EVENTS:
        return _as_user_id(_dig(data, "enrollment", "user", "id"))
    if event.event_type in LEDGER_EVENTS:
        return _as_user_id(_dig(data, "ledger_transaction", "lms_user_id"))
    if event.event_type == LC_ENROLLMENT_REVOKED:
        return _as_user_id(
            _dig(
                data,
                "learner_credit_course_enrollment",
                "enterprise_course_enrollment",
                "enterprise_customer_user",
                "user_id",
            )
        )
    return None


def enterprise_named_by(event: BusEvent) -> uuid.UUID | None:
    """The enterprise an LC-enrollment-revoked event names; None for other types (or none named)."""
    if event.event_type != LC_ENROLLMENT_REVOKED:
        return None
    value = _dig(
        event.data,
        "learner_credit_course_enrollment",
        "enterprise_course_enrollment",
        "enterprise_customer_user",
        "enterprise_customer_uuid",
    )
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidEventField(f"enterprise_customer_uuid {value!r} is not a UUID") from None


def needs_learner_lookup(event: BusEvent) -> bool:
    return enterprise_named_by(event) is None and learner_of(event) is not None


class LearnerDirectory:
    """Learner → enterprises, read from the LMS source; ``available`` is False without one."""

    def __init__(self, url: URL | None) -> None:
        self._url = url
        self._engine: Engine | None = None
        self._available: bool | None = None if url is not None else False

    @property
    def available(self) -> bool:
        if self._available is None:
            self._available = self._table_exists()
        return self._available

    def enterprises_of(self, user_ids: Collection[int]) -> dict[int, frozenset[uuid.UUID]]:
        """Each user's enterprises (empty for a learner of none). Needs ``available``."""
        found: dict[int, set[uuid.UUID]] = {user_id: set() for user_id in user_ids}
        if not user_ids:
            return {}
        table = enterprise_customer_user
        query = select(table.c.user_id, table.c.enterprise_customer_id).where(
            table.c.user_id.in_(sorted(user_ids))
        )
        with self._get_engine().connect() as conn:
            for user_id, enterprise_id in conn.execute(query):
                try:
                    found[int(user_id)].add(uuid.UUID(str(enterprise_id)))
                except ValueError:
                    log.warning(
                        "LMS enterprise_customer_id %r of user %s is not a UUID; ignored",
                        enterprise_id,
                        user_id,
                    )
        return {user_id: frozenset(ids) for user_id, ids in found.items()}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _get_engine(self) -> Engine:
        if self._engine is None:
            assert self._url is not None
            self._engine = make_engine(self._url)
        return self._engine

    def _table_exists(self) -> bool:
        try:
            present = inspect(self._get_engine()).has_table(enterprise_customer_user.name)
        except SQLAlchemyError as exc:
            log.warning("the LMS source is unreachable (%s); events refresh incrementally", exc)
            return False
        if not present:
            log.warning(
                "the LMS source has no %s table; events refresh incrementally",
                enterprise_customer_user.name,
            )
        return present


def resolve(
    events: Iterable[BusEvent], directory: LearnerDirectory
) -> dict[uuid.UUID, tuple[int | None, tuple[uuid.UUID, ...] | None]]:
    """Per event id: (learner, enterprises). Enterprises None = unresolvable (no LMS source).

    Raises nothing for a single bad event: callers check :func:`enterprise_named_by` first.
    """
    events = list(events)
    lookups = {
        user_id
        for event in events
        if needs_learner_lookup(event) and (user_id := learner_of(event)) is not None
    }
    directory_answer = (
        directory.enterprises_of(lookups) if lookups and directory.available else None
    )
    resolved: dict[uuid.UUID, tuple[int | None, tuple[uuid.UUID, ...] | None]] = {}
    for event in events:
        learner = learner_of(event)
        named = enterprise_named_by(event)
        enterprises: tuple[uuid.UUID, ...] | None
        if named is not None:
            enterprises = (named,)
        elif learner is None:
            enterprises = ()
        elif directory_answer is None:
            enterprises = None
        else:
            enterprises = tuple(sorted(directory_answer.get(learner, frozenset())))
        resolved[event.event_id] = (learner, enterprises)
    return resolved


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _as_user_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
