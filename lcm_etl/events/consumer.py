"""``lcm-etl consume-events``: read the Open edX event bus (Redis Streams) without Django.

Delivery is at-least-once and every effect is idempotent:

1. The consumer group is created at id ``0`` (``MKSTREAM``), not ``$``: events published before
   the first start, or while no consumer ran, are read too (edx-event-bus-redis moves its group to
   the stream end on each start and skips them).
2. Each cycle reads, in order: this consumer's own pending entries (delivered before, never
   acknowledged: it died in between), entries another consumer of the group left pending longer
   than ``LCM_EVENT_BUS_CLAIM_MIN_IDLE_MS`` (``XAUTOCLAIM``: that consumer is presumed dead), then
   new entries — at most ``LCM_EVENT_BUS_BATCH_SIZE`` per cycle.
3. A batch is decoded (dispatch on the ``type`` field, schemaless Avro with the vendored schema),
   its enterprises resolved, and landed in ONE transaction: new events into
   ``lcm_raw.event_bus_event`` (the event ``id`` is the primary key, so a redelivery is a no-op),
   poison messages into ``lcm_raw.rejected_record``. Only after the commit are the entries
   acknowledged (``XACK``). A crash in between redelivers them; the unique id makes that harmless.
4. Then one refresh for everything landed and not yet processed (see ``refresh.py``); the events
   are marked processed only when it succeeded, so a failed or interrupted refresh is retried by
   the next cycle — or the next start — from the table, not from the stream.

Bursts are coalesced, never refreshed event by event: before a refresh the consumer lands every
entry the streams hold (batch after batch, up to ``LCM_EVENT_BUS_DRAIN_MAX_ENTRIES``), and events
that arrive while a pass runs wait in the stream for the next cycle, whose single refresh covers
the union of their enterprises. A refresh naming more than ``LCM_EVENT_TARGETED_MAX_ENTERPRISES``
enterprises is an incremental pass instead of a targeted one.

Infrastructure errors (Redis or PostgreSQL unreachable) end the process: whatever was not
acknowledged is redelivered when its supervisor (compose ``restart:``, systemd, Kubernetes)
starts it again, so exiting loses nothing and is simpler than retrying in place.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError

from lcm_etl.db import lms_source_url, read_model_engine
from lcm_etl.events import store
from lcm_etl.events.enterprises import (
    InvalidEventField,
    LearnerDirectory,
    enterprise_named_by,
    resolve,
)
from lcm_etl.events.message import (
    INVALID_FIELD,
    UNSTORABLE,
    BusEvent,
    Rejection,
    entry_payload,
    parse_entry,
)
from lcm_etl.events.refresh import Refresher, RefreshFailed, refresher_for
from lcm_etl.settings import ConfigError, Settings

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger(__name__)

Fields = Mapping[bytes, bytes]


@dataclasses.dataclass(frozen=True)
class Entry:
    stream: str
    entry_id: str
    fields: Fields | None


@dataclasses.dataclass
class ConsumerStats:
    entries: int = 0
    landed: int = 0
    duplicates: int = 0
    rejected: int = 0
    reclaimed: int = 0
    refreshes: int = 0
    incremental_refreshes: int = 0
    refresh_failures: int = 0

    def describe(self) -> str:
        return (
            f"{self.entries} entries read ({self.reclaimed} reclaimed): {self.landed} events "
            f"landed, {self.duplicates} duplicates, {self.rejected} rejected; "
            f"{self.refreshes} refreshes ({self.incremental_refreshes} incremental), "
            f"{self.refresh_failures} failed"
        )


def stream_names(settings: Settings) -> list[str]:
    """``{prefix}-{topic}`` per topic, as edx-event-bus-redis names them (no prefix: the topic)."""
    prefix = settings.event_bus_topic_prefix
    return [f"{prefix}-{topic}" if prefix else topic for topic in settings.event_bus_topics]


class EventConsumer:
    def __init__(
        self,
        settings: Settings,
        *,
        client: redis.Redis | None = None,
        engine: Engine | None = None,
        refresher: Refresher | None = None,
        directory: LearnerDirectory | None = None,
    ) -> None:
        if client is None and not settings.event_bus_redis_url:
            raise ConfigError(
                "LCM_EVENT_BUS_REDIS_URL must be set to consume the event bus "
                "(e.g. redis://localhost:6379/0)."
            )
        self.settings = settings
        self.streams = stream_names(settings)
        self.group = settings.event_bus_consumer_group
        self.name = settings.event_bus_consumer_name
        self.stats = ConsumerStats()
        self._redis = client or redis.Redis.from_url(str(settings.event_bus_redis_url))
        self._engine = engine or read_model_engine(settings)
        self._refresher = refresher or refresher_for(settings)
        self._directory = directory or LearnerDirectory(lms_source_url(settings))

    # --- the loop ------------------------------------------------------------------------------

    def run(self, *, until_idle: bool, stop: threading.Event | None = None) -> ConsumerStats:
        """Consume until idle (``until_idle``) or until ``stop`` is set."""
        stop = stop or threading.Event()
        self.ensure_groups()
        # Also refresh at the first idle moment: an earlier start may have landed events whose
        # refresh failed or never ran.
        dirty, ok = True, True
        while not stop.is_set():
            if self.drain():
                dirty = False
                ok = self.refresh_pending()
                continue
            if dirty:
                dirty = False
                ok = self.refresh_pending()
            if until_idle:
                break
            if not ok:
                stop.wait(self.settings.event_bus_block_ms / 1000)  # back off, then retry
                dirty = True
                continue
            dirty = self.wait_for_entries()
        return self.stats

    def ensure_groups(self) -> None:
        for stream in self.streams:
            try:
                self._redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def drain(self) -> int:
        """Land every entry the streams hold now, batch after batch, so that one refresh covers
        a whole burst; at most ``LCM_EVENT_BUS_DRAIN_MAX_ENTRIES``. Returns how many were read."""
        limit = self.settings.event_bus_batch_size
        total = 0
        while total < self.settings.event_bus_drain_max_entries:
            read = self.drain_batch(min(limit, self.settings.event_bus_drain_max_entries - total))
            total += read
            if read < limit:  # the streams are caught up
                break
        return total

    def drain_batch(self, limit: int | None = None) -> int:
        """Handle up to one batch: own pending, then reclaimed, then new entries. How many?"""
        limit = limit or self.settings.event_bus_batch_size
        entries = self._read(self.streams, "0", limit)  # this consumer's own pending entries
        if len(entries) < limit:
            entries += self._reclaim(limit - len(entries))
        if len(entries) < limit:
            entries += self._read(self.streams, ">", limit - len(entries))
        if entries:
            self.handle(entries)
        return len(entries)

    def wait_for_entries(self) -> bool:
        """Block until new entries arrive (or the block time passes), and handle them. Any?

        The rest of a burst that starts here is landed by the next :meth:`drain`, before the
        refresh."""
        entries = self._read(
            self.streams,
            ">",
            self.settings.event_bus_batch_size,
            block_ms=self.settings.event_bus_block_ms,
        )
        if entries:
            self.handle(entries)
        return bool(entries)

    # --- one batch -----------------------------------------------------------------------------

    def handle(self, entries: Sequence[Entry]) -> None:
        """Decode, resolve, land in one transaction, then acknowledge."""
        self.stats.entries += len(entries)
        events: list[BusEvent] = []
        rejections: list[Rejection] = []
        for entry in entries:
            parsed = parse_entry(entry.stream, entry.entry_id, entry.fields)
            if isinstance(parsed, Rejection):
                rejections.append(parsed)
                continue
            try:
                enterprise_named_by(parsed)
            except InvalidEventField as exc:
                rejections.append(
                    Rejection(
                        entry.stream,
                        entry.entry_id,
                        INVALID_FIELD,
                        str(exc),
                        entry_payload(entry.fields),
                    )
                )
                continue
            events.append(parsed)
        resolved = resolve(events, self._directory)
        landed = [store.LandedEvent(event, *resolved[event.event_id]) for event in events]
        try:
            with self._engine.begin() as conn:
                new = store.land(conn, landed)
                store.reject(conn, rejections)
        except (DataError, IntegrityError):
            # Some row PostgreSQL will not store; find it one entry at a time, reject it, go on.
            log.exception("landing a batch of %d failed; retrying entry by entry", len(entries))
            new, rejections = self._land_one_by_one(entries, landed, rejections)
        self.stats.landed += new
        self.stats.duplicates += len(landed) - new
        self.stats.rejected += len(rejections)
        for rejection in rejections:
            log.warning(
                "rejected %s %s: %s (%s)",
                rejection.stream,
                rejection.entry_id,
                rejection.reason,
                rejection.detail,
            )
        self.acknowledge(entries)

    def _land_one_by_one(
        self,
        entries: Sequence[Entry],
        landed: Sequence[store.LandedEvent],
        rejections: Sequence[Rejection],
    ) -> tuple[int, list[Rejection]]:
        fields = {(entry.stream, entry.entry_id): entry.fields for entry in entries}
        all_rejections = list(rejections)
        new = 0
        for item in landed:
            try:
                with self._engine.begin() as conn:
                    new += store.land(conn, [item])
            except (DataError, IntegrityError) as exc:
                key = (item.event.stream, item.event.entry_id)
                all_rejections.append(
                    Rejection(
                        *key,
                        UNSTORABLE,
                        f"PostgreSQL refused the event: {exc.orig}",
                        entry_payload(fields[key]),
                    )
                )
        with self._engine.begin() as conn:
            store.reject(conn, all_rejections)
        return new, all_rejections

    def acknowledge(self, entries: Sequence[Entry]) -> None:
        """XACK, only ever called after the batch's transaction committed."""
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            by_stream.setdefault(entry.stream, []).append(entry.entry_id)
        for stream, ids in by_stream.items():
            self._redis.xack(stream, self.group, *ids)

    # --- refresh -------------------------------------------------------------------------------

    def refresh_pending(self) -> bool:
        """One refresh for every landed, unprocessed event. False when the refresh failed."""
        with self._engine.begin() as conn:
            pending = store.pending_refresh(conn)
            store.mark_processed(conn, pending.no_enterprise_ids, "none")
        if not pending.needs_refresh:
            return True
        no_enterprise = set(pending.no_enterprise_ids)
        marked = [i for i in pending.event_ids if i not in no_enterprise]
        too_many = len(pending.enterprise_uuids) > self.settings.event_targeted_max_enterprises
        incremental = pending.unresolved or too_many
        try:
            how = self._refresher.refresh(pending.enterprise_uuids, incremental=incremental)
        except RefreshFailed as exc:
            self.stats.refresh_failures += 1
            log.error("refresh for %d event(s) failed, will retry: %s", len(marked), exc)
            return False
        with self._engine.begin() as conn:
            store.mark_processed(conn, marked, how)
        self.stats.refreshes += 1
        self.stats.incremental_refreshes += incremental
        if pending.unresolved:
            scope = "everything (some learner could not be resolved)"
        elif too_many:
            scope = (
                f"everything ({len(pending.enterprise_uuids)} enterprises > "
                f"LCM_EVENT_TARGETED_MAX_ENTERPRISES={self.settings.event_targeted_max_enterprises})"
            )
        else:
            scope = f"{len(pending.enterprise_uuids)} enterprise(s)"
        log.info("refreshed (%s) %s for %d event(s)", how, scope, len(marked))
        return True

    # --- Redis reads ---------------------------------------------------------------------------

    def _read(
        self, streams: Sequence[str], position: str, count: int, block_ms: int | None = None
    ) -> list[Entry]:
        if count <= 0:
            return []
        answer = self._redis.xreadgroup(
            self.group,
            self.name,
            dict.fromkeys(streams, position),
            count=count,
            block=block_ms,
        )
        # Several streams may each return up to ``count``: all of them are handled (they are now
        # pending for this consumer; leaving some would only delay them to the next cycle).
        return list(_entries(answer)) if answer else []

    def _reclaim(self, count: int) -> list[Entry]:
        claimed: list[Entry] = []
        for stream in self.streams:
            cursor: Any = "0-0"
            while len(claimed) < count:
                answer = self._redis.xautoclaim(
                    stream,
                    self.group,
                    self.name,
                    min_idle_time=self.settings.event_bus_claim_min_idle_ms,
                    start_id=cursor,
                    count=count - len(claimed),
                )
                cursor, items = answer[0], answer[1]
                for entry_id, fields in items:
                    claimed.append(Entry(stream, _str(entry_id), fields))
                # Redis ≥ 7 drops pending entries whose data was trimmed and reports them here.
                trimmed = answer[2] if len(answer) > 2 else []
                if trimmed:
                    claimed.extend(Entry(stream, _str(i), None) for i in trimmed)
                if _str(cursor) == "0-0":
                    break
        self.stats.reclaimed += len(claimed)
        return claimed

    def close(self) -> None:
        self._refresher.close()
        self._directory.close()
        self._redis.close()


def _entries(answer: Any) -> Iterator[Entry]:
    # RESP2: [[stream, [(id, fields), ...]], ...]; RESP3: {stream: [[(id, fields), ...]]}.
    pairs = answer.items() if isinstance(answer, dict) else answer
    for stream, items in pairs:
        flat = (
            items[0] if isinstance(answer, dict) and items and isinstance(items[0], list) else items
        )
        for entry_id, fields in flat:
            yield Entry(_str(stream), _str(entry_id), fields)


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def main(settings: Settings, *, until_idle: bool, console: Console | None = None) -> ConsumerStats:
    """The CLI entry point: consume until idle, or until SIGTERM/SIGINT."""
    from rich.console import Console  # the CLI's console: not loaded by the consumer itself

    console = console or Console(stderr=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        consumer = EventConsumer(settings)
    except ConfigError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(2) from None
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        console.print("stopping after the current batch…")
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    mode = "until idle" if until_idle else "until stopped"
    console.print(
        f"consuming {', '.join(consumer.streams)} as {consumer.group}/{consumer.name} ({mode})"
    )
    started = time.monotonic()
    try:
        stats = consumer.run(until_idle=until_idle, stop=stop)
    finally:
        consumer.close()
    console.print(f"{stats.describe()} in {time.monotonic() - started:.1f} s")
    if until_idle and stats.refresh_failures and not _all_refreshed(settings):
        raise SystemExit(1)
    return stats


def _all_refreshed(settings: Settings) -> bool:
    engine = read_model_engine(settings)
    try:
        with engine.connect() as conn:
            return not store.pending_refresh(conn, limit=1).event_ids
    finally:
        engine.dispose()
