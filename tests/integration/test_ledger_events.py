"""Ledger events on a real Redis stream, as edx-event-bus-redis writes them (schemaless Avro with
the openedx-events schemas): each lands its transaction by uuid in state order — duplicates and
out-of-order delivery change nothing — and refreshes its subsidy's enterprise with a targeted
pass, with no LMS source to resolve the learner."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select

from lcm_etl import pipeline
from lcm_etl.events import producer
from lcm_etl.events.avro import (
    LEDGER_TRANSACTION_COMMITTED,
    LEDGER_TRANSACTION_CREATED,
    LEDGER_TRANSACTION_REVERSED,
)
from lcm_etl.events.consumer import EventConsumer, stream_names
from lcm_etl.schema import (
    budget,
    event_bus_event,
    pipeline_run,
    raw_ledger_reversal,
    raw_ledger_transaction,
)

from support.ledger_builder import LedgerBuilder, dashed, hex_uuid
from support.ledger_golden_source import build_golden
from support.sourcebuilder import SourceBuilder

REDIS_URL = os.environ.get("LCM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOPIC = "enterprise-subsidies-transaction-lifecycle"
ACME = uuid.UUID(dashed("enterprise:acme"))


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield connection
    connection.close()


def _transaction(state: str, *, reversal: dict[str, Any] | None = None) -> dict[str, Any]:
    created = dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC)
    return {
        "ledger_transaction": {
            "uuid": dashed("transaction:from-event"),
            "created": created.isoformat(),
            "modified": (created + dt.timedelta(seconds=5)).isoformat(),
            "idempotency_key": "event-redemption",
            "quantity": -2_500,
            "state": state,
            "ledger_uuid": dashed("ledger:S1"),
            "subsidy_access_policy_uuid": dashed("policy:P1"),
            "lms_user_id": 31337,
            "content_key": "course-v1:edX+Event+2T2026",
            "parent_content_key": "edX+Event",
            "fulfillment_identifier": dashed("fulfillment:from-event")
            if state == "committed"
            else None,
            "reversal": reversal,
        }
    }


REVERSAL = {
    "uuid": dashed("reversal:from-event"),
    "created": "2026-06-04T08:00:00+00:00",
    "modified": "2026-06-04T08:00:00+00:00",
    "idempotency_key": "unenrollment-reversal-from-event",
    "quantity": 2_500,
    "state": "committed",
}


def _spent(engine: Engine) -> int:
    with engine.connect() as conn:
        value: int = conn.execute(
            select(budget.c.spent_cents).where(budget.c.policy_uuid == hex_uuid("policy:P1"))
        ).scalar_one()
    return value


def _consume(settings: Any, engine: Engine) -> None:
    consumer = EventConsumer(settings, engine=engine)
    try:
        consumer.run(until_idle=True)
    finally:
        consumer.close()


def test_ledger_events_land_in_state_order_and_refresh_the_enterprise(
    make_settings, sqlite_source_url, engine, client
) -> None:
    SourceBuilder(sqlite_source_url).engine.dispose()
    builder = LedgerBuilder(sqlite_source_url)
    build_golden(builder)
    builder.dispose()
    url = sqlite_source_url.render_as_string()
    prefix = f"lcmledger{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        ecommerce_database_url=url,
        subsidy_database_url=url,
        access_database_url=url,
        event_bus_redis_url=REDIS_URL,
        event_bus_topic_prefix=prefix,
        event_bus_topics=TOPIC,
        event_bus_consumer_group=f"{prefix}-group",
        event_bus_block_ms=50,
    )
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert _spent(engine) == 17_000
    [stream] = stream_names(settings)
    source = "openedx/enterprise-subsidy/web"
    committed = producer.entry_fields(
        LEDGER_TRANSACTION_COMMITTED, _transaction("committed"), source=source
    )
    try:
        # Out of order: committed first, then the older created; the committed entry twice
        # (a redelivery), and the same transaction again under a new event id.
        producer.publish(client, stream, committed)
        producer.publish(
            client,
            stream,
            producer.entry_fields(
                LEDGER_TRANSACTION_CREATED, _transaction("created"), source=source
            ),
        )
        producer.publish(client, stream, committed)
        producer.publish(
            client,
            stream,
            producer.entry_fields(
                LEDGER_TRANSACTION_COMMITTED, _transaction("committed"), source=source
            ),
        )
        _consume(settings, engine)
        assert _spent(engine) == 17_000 + 2_500
        with engine.connect() as conn:
            landed = conn.execute(
                select(raw_ledger_transaction).where(
                    raw_ledger_transaction.c.uuid == hex_uuid("transaction:from-event")
                )
            ).one()
            events = conn.execute(select(event_bus_event)).all()
            runs = conn.execute(
                select(pipeline_run.c.stage, pipeline_run.c.mode, pipeline_run.c.enterprise_uuids)
                .where(pipeline_run.c.trigger == "event")
                .order_by(pipeline_run.c.run_id)
            ).all()
        assert landed.state == "committed"
        assert landed.fulfillment_identifier == dashed("fulfillment:from-event")
        assert len(events) == 3  # the redelivered entry is one event
        assert all(e.enterprise_uuids == [ACME] for e in events)
        assert [(r.stage, r.mode, r.enterprise_uuids) for r in runs] == [
            ("ingest", "targeted", [ACME]),
            ("publish", "targeted", [ACME]),
        ]

        # The refund: enterprise-subsidy sends `reversed` twice for one reversal; then a late
        # `created` arrives. The money comes back once, and the state stays committed.
        for _ in range(2):
            producer.publish(
                client,
                stream,
                producer.entry_fields(
                    LEDGER_TRANSACTION_REVERSED,
                    _transaction("committed", reversal=REVERSAL),
                    source=source,
                ),
            )
        _consume(settings, engine)
        # Delivered on its own, after everything else: the landed row must not go back.
        producer.publish(
            client,
            stream,
            producer.entry_fields(
                LEDGER_TRANSACTION_CREATED, _transaction("created"), source=source
            ),
        )
        _consume(settings, engine)
    finally:
        client.delete(stream)
    assert _spent(engine) == 17_000
    with engine.connect() as conn:
        state = conn.execute(
            select(raw_ledger_transaction.c.state).where(
                raw_ledger_transaction.c.uuid == hex_uuid("transaction:from-event")
            )
        ).scalar_one()
        reversals = conn.execute(
            select(raw_ledger_reversal.c.quantity).where(
                raw_ledger_reversal.c.transaction_id == hex_uuid("transaction:from-event")
            )
        ).all()
    assert state == "committed"
    assert [r.quantity for r in reversals] == [2_500]
    # The hourly pass (the database knows nothing of it yet) keeps what the events landed.
    pipeline.run_pass(settings, mode="incremental", trigger="schedule")
    assert _spent(engine) == 17_000
