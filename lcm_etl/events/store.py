"""Landing of event-bus messages in PostgreSQL: ``lcm_raw.event_bus_event`` (one row per event id)
and ``lcm_raw.rejected_record`` (source ``event_bus``) for poison messages.

Both inserts are idempotent (``ON CONFLICT``), so a redelivered entry — a duplicate publish, or a
consumer that died between the commit and the XACK — changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert

from lcm_etl.events.message import BusEvent, Rejection
from lcm_etl.ledger import events as ledger_events
from lcm_etl.schema import event_bus_event, rejected_record

log = logging.getLogger(__name__)

REJECTED_SOURCE = "event_bus"
# rejected_record.first_run_id/last_run_id: the consumer is not a pipeline run, so its rejections
# carry run id 0 ("landed by the event consumer"); received and last-seen times say when.
CONSUMER_RUN_ID = 0


@dataclasses.dataclass(frozen=True)
class LandedEvent:
    event: BusEvent
    lms_user_id: int | None
    enterprise_uuids: tuple[uuid.UUID, ...] | None


@dataclasses.dataclass(frozen=True)
class PendingRefresh:
    """Events landed but not yet refreshed for, and what they ask for."""

    event_ids: tuple[uuid.UUID, ...]
    no_enterprise_ids: tuple[uuid.UUID, ...]
    enterprise_uuids: tuple[uuid.UUID, ...]
    unresolved: bool  # some event's enterprises are unknown → an incremental pass

    @property
    def needs_refresh(self) -> bool:
        return bool(self.enterprise_uuids) or self.unresolved


def land(conn: Connection, events: Sequence[LandedEvent]) -> int:
    """Insert new events; return how many were new (the others were duplicates)."""
    if not events:
        return 0
    # Issue 14: ledger events land their transaction (state order) and name its enterprise.
    applied = ledger_events.apply(conn, [item.event for item in events])
    for event_id, problem in applied.unreadable:
        log.warning("ledger event %s: %s; landed as an event only", event_id, problem)
    events = [
        dataclasses.replace(item, enterprise_uuids=(applied.owners[item.event.event_id],))
        if item.event.event_id in applied.owners
        else item
        for item in events
    ]
    rows = [
        {
            "event_id": item.event.event_id,
            "event_type": item.event.event_type,
            "stream": item.event.stream,
            "entry_id": item.event.entry_id,
            "source": item.event.source,
            "event_time": item.event.time,
            "headers": item.event.headers,
            "data": item.event.data,
            "lms_user_id": item.lms_user_id,
            "enterprise_uuids": (
                None if item.enterprise_uuids is None else list(item.enterprise_uuids)
            ),
        }
        for item in _unique_by_event_id(events)
    ]
    # insertmanyvalues: one INSERT … RETURNING per batch, returning only the rows inserted.
    statement = (
        insert(event_bus_event)
        .on_conflict_do_nothing(index_elements=[event_bus_event.c.event_id])
        .returning(event_bus_event.c.event_id)
    )
    return len(conn.execute(statement, rows).all())


def _unique_by_event_id(events: Sequence[LandedEvent]) -> list[LandedEvent]:
    # One batch can hold the same event twice (a duplicate publish read in one XREADGROUP).
    seen: dict[uuid.UUID, LandedEvent] = {}
    for item in events:
        seen.setdefault(item.event.event_id, item)
    return list(seen.values())


def reject(conn: Connection, rejections: Sequence[Rejection]) -> None:
    """Record poison messages; a redelivered one only moves ``last_seen_at``."""
    if not rejections:
        return
    rows = [
        {
            "source": REJECTED_SOURCE,
            "source_table": item.stream,
            "natural_key": item.entry_id,
            "reason": item.reason,
            "detail": item.detail,
            "payload": {"stream": item.stream, "entry_id": item.entry_id, "fields": item.payload},
            "stage": "landing",
            "first_run_id": CONSUMER_RUN_ID,
            "last_run_id": CONSUMER_RUN_ID,
        }
        for item in {(r.stream, r.entry_id, r.reason): r for r in rejections}.values()
    ]
    statement = insert(rejected_record)
    statement = statement.on_conflict_do_update(
        index_elements=[
            rejected_record.c.source,
            rejected_record.c.source_table,
            rejected_record.c.natural_key,
            rejected_record.c.reason,
        ],
        set_={"last_seen_at": func.now(), "detail": statement.excluded.detail},
    )
    conn.execute(statement, rows)


def pending_refresh(conn: Connection, limit: int = 100_000) -> PendingRefresh:
    """What the landed, not yet processed events ask for (oldest first, at most ``limit``)."""
    query = (
        select(event_bus_event.c.event_id, event_bus_event.c.enterprise_uuids)
        .where(event_bus_event.c.processed_at.is_(None))
        .order_by(event_bus_event.c.received_at, event_bus_event.c.event_id)
        .limit(limit)
    )
    event_ids: list[uuid.UUID] = []
    no_enterprise: list[uuid.UUID] = []
    targets: set[uuid.UUID] = set()
    unresolved = False
    for event_id, enterprises in conn.execute(query):
        event_ids.append(event_id)
        if enterprises is None:
            unresolved = True
        elif not enterprises:
            no_enterprise.append(event_id)
        else:
            targets.update(enterprises)
    return PendingRefresh(
        event_ids=tuple(event_ids),
        no_enterprise_ids=tuple(no_enterprise),
        enterprise_uuids=tuple(sorted(targets)),
        unresolved=unresolved,
    )


def mark_processed(conn: Connection, event_ids: Sequence[uuid.UUID], refresh: str) -> None:
    if not event_ids:
        return
    conn.execute(
        update(event_bus_event)
        .where(event_bus_event.c.event_id.in_(list(event_ids)))
        .where(event_bus_event.c.processed_at.is_(None))
        .values(processed_at=func.now(), refresh=refresh)
    )
