"""``lcm-etl bench-freshness``: seconds from an Open edX event to the page showing it, no Airflow.

Each round does what production does when a learner enrolls with learner credit:
1. ecommerce records a Complete order paid by the enterprise's offer (inserted into the source);
2. the LMS publishes ``org.openedx.learning.course.enrollment.created.v1`` on the event bus — an
   XADD laid out exactly like edx-event-bus-redis (``producer.py``); the clock starts here;
3. the consumer — started once before the rounds and running as in production, blocked on
   XREADGROUP — reads the entry: decode, resolve the learner's enterprise in the LMS table, land,
   acknowledge, targeted pass;
4. the clock stops when ``learner_credit_page`` shows the offer's redeemed funds grown by the
   order's amount.

It needs a source with the ecommerce and LMS tables (``lcm-etl demo-source``), the read model and
Redis; it writes one small order per round into that source. Streams use a throw-away prefix, so
a consumer group running on the real bus is not disturbed. Not a test: it reports, it asserts
nothing about time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import statistics
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import redis
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.engine import URL

from lcm_etl.db import ecommerce_source_url, lms_source_url, make_engine, read_model_engine
from lcm_etl.events import producer
from lcm_etl.events.consumer import EventConsumer, stream_names
from lcm_etl.events.enterprises import LearnerDirectory, enterprise_customer_user
from lcm_etl.events.refresh import PipelineRefresher, Refresher
from lcm_etl.ingest.sources import ecommerce as ec
from lcm_etl.schema import offer_summary, pipeline_run
from lcm_etl.settings import ConfigError, Settings

ENROLLMENTS_TOPIC = "course-enrollment-lifecycle"
ORDER_AMOUNT = Decimal("10.00")
GOAL_SECONDS = 60.0


class FreshnessBenchError(RuntimeError):
    """The bench cannot run here; the message says what to set up."""


@dataclasses.dataclass(frozen=True)
class Round:
    seconds_to_page: float
    seconds_pass: float
    """Of which the event's pass itself: its ingest and publish stages (``lcm.pipeline_run``)."""
    redeemed_before: Decimal
    redeemed_after: Decimal


class TimedRounds:
    """Median and maximum XADD → page seconds over a result's ``rounds``."""

    rounds: Sequence[Any]

    @property
    def median_seconds(self) -> float:
        return float(statistics.median(r.seconds_to_page for r in self.rounds))

    @property
    def max_seconds(self) -> float:
        return float(max(r.seconds_to_page for r in self.rounds))


@dataclasses.dataclass(frozen=True)
class FreshnessResult(TimedRounds):
    enterprise_uuid: str
    offer_id: int
    lms_user_id: int
    rounds: list[Round]

    def as_json(self) -> dict[str, Any]:
        return {
            "enterprise_uuid": self.enterprise_uuid,
            "offer_id": self.offer_id,
            "lms_user_id": self.lms_user_id,
            "goal_seconds": GOAL_SECONDS,
            "median_seconds": round(self.median_seconds, 3),
            "max_seconds": round(self.max_seconds, 3),
            "rounds": [
                {
                    "seconds_to_page": round(r.seconds_to_page, 3),
                    "seconds_pass": round(r.seconds_pass, 3),
                    "redeemed_before": str(r.redeemed_before),
                    "redeemed_after": str(r.redeemed_after),
                }
                for r in self.rounds
            ],
        }


@dataclasses.dataclass(frozen=True)
class Target:
    enterprise: uuid.UUID
    offer_id: int
    lms_user_id: int


def _pick_target(read_model: Engine, lms: Engine, now: dt.datetime) -> Target:
    """The current capped offer with the most money left whose enterprise has a learner."""
    s = offer_summary.c
    candidates = select(s.offer_id, s.enterprise_customer_uuid).where(
        s.max_discount.is_not(None),
        s.remaining_funds > ORDER_AMOUNT * 100,
        (s.start_datetime.is_(None)) | (s.start_datetime <= now),
        (s.end_datetime.is_(None)) | (s.end_datetime >= now),
    )
    with read_model.connect() as conn:
        offers = conn.execute(candidates.order_by(s.remaining_funds.desc()).limit(50)).all()
    if not offers:
        raise FreshnessBenchError(
            "the read model has no current capped offer with funds left: run `lcm-etl demo-source` "
            "and `lcm-etl run --full` first"
        )
    ecu = enterprise_customer_user.c
    with lms.connect() as conn:
        for offer_id, enterprise in offers:
            learner = conn.execute(
                select(func.min(ecu.user_id)).where(ecu.enterprise_customer_id == enterprise.hex)
            ).scalar()
            if learner is not None:
                return Target(enterprise, int(offer_id), int(learner))
    raise FreshnessBenchError("no enterprise with a current offer has a learner in the LMS source")


def _next_id(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _ecommerce_user(conn: Connection, lms_user_id: int, now: dt.datetime) -> int:
    found = conn.execute(
        select(ec.user.c.id).where(ec.user.c.lms_user_id == lms_user_id).limit(1)
    ).scalar()
    if found is not None:
        return int(found)
    user_id = _next_id(conn, ec.user)
    conn.execute(
        insert(ec.user).values(
            id=user_id,
            password="!",
            is_superuser=False,
            username=f"bench-learner-{lms_user_id}",
            first_name="",
            last_name="",
            email=f"bench-learner-{lms_user_id}@example.com",
            is_staff=False,
            is_active=True,
            date_joined=now,
            lms_user_id=lms_user_id,
        )
    )
    return user_id


def insert_enrollment_order(source: Engine, target: Target) -> int:
    """A Complete order of one seat, paid in full by the target offer (as ecommerce writes it)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # naive UTC, as Django stores it
    with source.begin() as conn:
        product_id = conn.execute(
            select(func.min(ec.product.c.id)).where(ec.product.c.course_id.is_not(None))
        ).scalar()
        user_id = _ecommerce_user(conn, target.lms_user_id, now)
        order_id = _next_id(conn, ec.order)
        conn.execute(
            insert(ec.order).values(
                id=order_id,
                number=f"EDX-BENCH-{order_id}",
                currency="USD",
                total_incl_tax=Decimal("0.00"),
                total_excl_tax=Decimal("0.00"),
                shipping_incl_tax=Decimal("0.00"),
                shipping_excl_tax=Decimal("0.00"),
                shipping_method="",
                shipping_code="",
                status="Complete",
                guest_email="",
                date_placed=now,
                user_id=user_id,
                partner_id=1,
            )
        )
        conn.execute(
            insert(ec.line).values(
                id=_next_id(conn, ec.line),
                partner_name="edX",
                partner_sku="BENCH",
                partner_line_reference="",
                partner_line_notes="",
                title="Seat (freshness bench)",
                quantity=1,
                line_price_incl_tax=Decimal("0.00"),
                line_price_excl_tax=Decimal("0.00"),
                line_price_before_discounts_incl_tax=ORDER_AMOUNT,
                line_price_before_discounts_excl_tax=ORDER_AMOUNT,
                unit_price_excl_tax=ORDER_AMOUNT,
                unit_price_incl_tax=ORDER_AMOUNT,
                status="Complete",
                order_id=order_id,
                product_id=product_id,
            )
        )
        conn.execute(
            insert(ec.order_discount).values(
                id=_next_id(conn, ec.order_discount),
                category="Basket",
                offer_id=target.offer_id,
                offer_name="",
                voucher_code="",
                frequency=1,
                amount=ORDER_AMOUNT,
                message="",
                order_id=order_id,
            )
        )
    return order_id


def _redeemed(read_model: Engine, settings: Settings, target: Target) -> Decimal:
    """Redeemed funds of the offer as the page answers them."""
    from lcm_etl import queries

    page = queries.learner_credit_page(read_model, target.enterprise, settings=settings)
    if page is None:
        raise FreshnessBenchError(f"enterprise {target.enterprise} is not in the read model")
    for offer in page["offers"]:
        if str(offer["offer_id"]) == str(target.offer_id):
            return Decimal(str(offer["summary"]["redeemed_funds"]))
    raise FreshnessBenchError(f"offer {target.offer_id} is not on the page")


def bench_bus(settings: Settings, name: str = "bench") -> Settings:
    """The settings of a throw-away stream and consumer group (a real bus is not disturbed)."""
    if not settings.event_bus_redis_url:
        raise ConfigError("LCM_EVENT_BUS_REDIS_URL must be set for bench-freshness.")
    prefix = f"lcm-{name}-{uuid.uuid4().hex[:8]}"
    return settings.model_copy(
        update={
            "event_bus_topic_prefix": prefix,
            "event_bus_topics": (ENROLLMENTS_TOPIC,),
            "event_bus_consumer_group": f"{prefix}-group",
            "event_bus_consumer_name": name,
            "event_bus_block_ms": 1_000,
        }
    )


def lms_url_of(settings: Settings) -> URL:
    url = lms_source_url(settings)
    if url is None:
        raise FreshnessBenchError(
            "no LMS source: run `lcm-etl demo-source` (its file has the LMS tables) or set "
            "LCM_LMS_DATABASE_URL"
        )
    return url


@contextlib.contextmanager
def running_consumer(
    settings: Settings, client: redis.Redis, read_model: Engine, refresher: Refresher
) -> Iterator[EventConsumer]:
    """The consumer as production runs it: one long-lived loop (here a thread), blocked on
    XREADGROUP between events, stopped and joined on exit."""
    consumer = EventConsumer(
        settings,
        client=client,
        engine=read_model,
        refresher=refresher,
        directory=LearnerDirectory(lms_url_of(settings)),
    )
    consumer.ensure_groups()
    stop = threading.Event()
    failure: list[BaseException] = []

    def loop() -> None:
        try:
            consumer.run(until_idle=False, stop=stop)
        except BaseException as exc:  # reported by the bench, not lost in the thread
            failure.append(exc)

    worker = threading.Thread(target=loop, name="lcm-bench-consumer", daemon=True)
    worker.start()
    try:
        yield consumer
    finally:
        stop.set()
        worker.join()
        consumer.close()
        client.delete(*stream_names(settings))
    if failure:
        raise FreshnessBenchError(f"the consumer failed: {failure[0]!r}") from failure[0]


def event_pass_seconds(read_model: Engine, since: dt.datetime) -> float:
    """Seconds the event passes that started after ``since`` spent in their stages."""
    p = pipeline_run.c
    with read_model.connect() as conn:
        seconds = conn.execute(
            select(func.sum(func.extract("epoch", p.finished_at - p.started_at))).where(
                p.trigger == "event", p.started_at >= since, p.status == "succeeded"
            )
        ).scalar_one()
    return float(seconds or 0)


def run(settings: Settings, *, rounds: int = 3, poll_seconds: float = 0.05) -> FreshnessResult:
    bus = bench_bus(settings)
    client = redis.Redis.from_url(str(settings.event_bus_redis_url))
    read_model = read_model_engine(settings)
    source = make_engine(ecommerce_source_url(settings))
    lms = make_engine(lms_url_of(settings))
    stream = stream_names(bus)[0]
    try:
        target = _pick_target(read_model, lms, dt.datetime.now(dt.UTC))
        results = []
        refresher = PipelineRefresher(bus, check_alerts=False)
        with running_consumer(bus, client, read_model, refresher):
            for _ in range(rounds):
                before = _redeemed(read_model, settings, target)
                insert_enrollment_order(source, target)
                fields = producer.enrollment_created_fields(target.lms_user_id)
                xadd = dt.datetime.now(dt.UTC)
                started = time.perf_counter()
                producer.publish(client, stream, fields)
                after = before
                deadline = started + 10 * GOAL_SECONDS
                while after < before + ORDER_AMOUNT and time.perf_counter() < deadline:
                    time.sleep(poll_seconds)
                    after = _redeemed(read_model, settings, target)
                seconds = time.perf_counter() - started
                if after < before + ORDER_AMOUNT:
                    raise FreshnessBenchError(
                        f"the page never showed the new spend (redeemed {before} → {after})"
                    )
                passed = event_pass_seconds(read_model, xadd)
                results.append(Round(seconds, passed, before, after))
        return FreshnessResult(str(target.enterprise), target.offer_id, target.lms_user_id, results)
    finally:
        client.close()
        for engine in (read_model, source, lms):
            engine.dispose()
