"""Balance alerts against real PostgreSQL, a local SMTP sink (aiosmtpd) and a local HTTP receiver:
one notification per transition, none repeated on re-runs, failed deliveries retried."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, insert, select, update

from lcm_etl import alerts, pipeline
from lcm_etl.schema import balance_alert, offer_balance_state, offer_summary
from lcm_etl.settings import Settings

from support.sourcebuilder import SourceBuilder

ACME = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
AS_OF = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


# balance_state → (net spent, remaining, fraction utilized) of a $5,000 offer (uncapped: no cap).
FIGURES: dict[str, tuple[str, str | None, str | None]] = {
    "ok": ("1000.00", "4000.00", "0.2"),
    "low": ("4000.00", "1000.00", "0.8"),
    "depleted": ("4950.00", "50.00", "0.99"),
    "uncapped": ("700.00", None, None),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """aiosmtpd handler: keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], Any]]] = []
    statuses: ClassVar[list[int]] = []  # answered in order; 200 once exhausted

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((dict(self.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def webhook() -> Iterator[type[Receiver]]:
    handler = type("Handler", (Receiver,), {"received": [], "statuses": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/lcm"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def _offer(
    engine: Engine,
    offer_id: int,
    state: str,
    *,
    emails: str = "admin@acme.example, finance@acme.example",
    end: dt.datetime | None = dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
) -> None:
    """A read-model row as a publish writes it (figures consistent with ``state``)."""
    spent, remaining, percent = FIGURES[state]
    with engine.begin() as conn:
        conn.execute(
            insert(offer_summary).values(
                offer_id=offer_id,
                enterprise_customer_uuid=ACME,
                enterprise_name="Acme",
                display_name="Acme - JAN26",
                offer_name=f"offer {offer_id}",
                offer_type="Site",
                status="Open",
                start_datetime=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                end_datetime=end,
                max_discount=None if state == "uncapped" else Decimal("5000.00"),
                emails_for_usage_alert=emails,
                amount_spent=Decimal(spent),
                amount_refunded=Decimal("0"),
                amount_of_offer_spent=Decimal(spent),
                remaining_balance=remaining and Decimal(remaining),
                percent_of_offer_spent=percent and Decimal(percent),
                redeemed_funds=Decimal(spent),
                remaining_funds=remaining and Decimal(remaining),
                percent_utilized=percent and Decimal(percent),
                balance_state=state,
                enrollment_count=3,
                learner_count=3,
                sum_course_price=Decimal(spent),
                sum_amount_learner_paid=Decimal("0"),
                is_fcfs_org_wide=True,
                source_offer={},
                data_as_of=AS_OF,
            )
        )


def _set_state(engine: Engine, offer_id: int, state: str) -> None:
    spent, remaining, percent = FIGURES[state]
    with engine.begin() as conn:
        conn.execute(
            update(offer_summary)
            .where(offer_summary.c.offer_id == offer_id)
            .values(
                balance_state=state,
                amount_of_offer_spent=Decimal(spent),
                redeemed_funds=Decimal(spent),
                remaining_funds=remaining and Decimal(remaining),
                percent_utilized=percent and Decimal(percent),
            )
        )


def _alerts(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(balance_alert).order_by(balance_alert.c.alert_id)))


def test_one_email_per_transition_and_none_on_reruns(
    make_settings: Any, engine: Engine, inbox: Inbox, smtp_port: int
) -> None:
    settings: Settings = make_settings(notifier="smtp", smtp_host="127.0.0.1", smtp_port=smtp_port)
    _offer(engine, 1, "ok")
    steps = ["ok", "low", "low", "depleted", "depleted", "ok", "ok", "low"]
    sent_after_each = []
    for state in steps:
        _set_state(engine, 1, state)
        alerts.run(settings, engine=engine)
        alerts.run(settings, engine=engine)  # a re-run changes nothing
        sent_after_each.append(len(inbox.messages))

    assert sent_after_each == [0, 1, 1, 2, 2, 3, 3, 4]
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects == [
        "Acme - JAN26: learner credit is over 75.0% utilized",
        "Acme - JAN26: no learner credit funds remaining",
        "Acme - JAN26: learner credit funds replenished",
        "Acme - JAN26: learner credit is over 75.0% utilized",
    ]
    first = inbox.messages[0]
    assert first["X-Envelope-To"] == "admin@acme.example, finance@acme.example"
    assert first["From"] == settings.smtp_from
    assert "Your learner credit is over 75.0% utilized." in first.get_payload()
    rows = _alerts(engine)
    assert [(r.transition_seq, r.from_state, r.to_state, r.kind) for r in rows] == [
        (1, "ok", "low", "low_balance"),
        (2, "low", "depleted", "no_balance"),
        (3, "depleted", "ok", "replenished"),
        (4, "ok", "low", "low_balance"),
    ]
    assert {(r.status, r.channel, r.attempts) for r in rows} == {("delivered", "smtp", 1)}
    with engine.connect() as conn:
        stored = conn.execute(select(offer_balance_state)).one()
    assert (stored.balance_state, stored.transition_count) == ("low", 4)


def test_first_seen_offers_notify_only_when_already_low_or_depleted(
    make_settings: Any, engine: Engine, inbox: Inbox, smtp_port: int
) -> None:
    settings: Settings = make_settings(notifier="smtp", smtp_host="127.0.0.1", smtp_port=smtp_port)
    for offer_id, state in enumerate(["ok", "low", "depleted", "uncapped"], start=1):
        _offer(engine, offer_id, state)
    result = alerts.run(settings, engine=engine)
    assert (result.offers_checked, result.transitions, result.alerts_recorded) == (4, 4, 2)
    assert [(r.offer_id, r.transition_seq, r.from_state, r.kind) for r in _alerts(engine)] == [
        (2, 0, None, "low_balance"),
        (3, 0, None, "no_balance"),
    ]
    assert len(inbox.messages) == 2
    # An uncapped offer that gets a cap and is already low is a transition worth telling.
    _set_state(engine, 4, "low")
    assert alerts.run(settings, engine=engine).delivered == 1


def test_an_unreachable_smtp_server_leaves_the_alert_pending_and_the_next_run_delivers_it_once(
    make_settings: Any, engine: Engine, smtp_port: int
) -> None:
    settings: Settings = make_settings(notifier="smtp", smtp_host="127.0.0.1", smtp_port=smtp_port)
    _offer(engine, 1, "depleted")
    down = alerts.run(settings, engine=engine)  # nothing listens on smtp_port yet
    assert (down.alerts_recorded, down.delivered, down.failed) == (1, 0, 1)
    [row] = _alerts(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.status_detail or "refused" in row.status_detail.lower()

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        up = alerts.run(settings, engine=engine)
        again = alerts.run(settings, engine=engine)
    finally:
        controller.stop()
    assert (up.delivered, again.delivered) == (1, 0)
    assert len(handler.messages) == 1
    [row] = _alerts(engine)
    assert (row.status, row.attempts, row.status_detail) == ("delivered", 2, None)


def test_webhook_delivery_is_retried_after_an_error_and_never_repeated(
    make_settings: Any, engine: Engine, webhook: Any
) -> None:
    settings: Settings = make_settings(notifier="webhook", webhook_url=webhook.url)
    _offer(engine, 7, "ok", emails="")
    alerts.run(settings, engine=engine)
    _set_state(engine, 7, "low")
    webhook.statuses = [500]
    first = alerts.run(settings, engine=engine)
    second = alerts.run(settings, engine=engine)
    third = alerts.run(settings, engine=engine)
    assert [(r.failed, r.delivered) for r in (first, second, third)] == [(1, 0), (0, 1), (0, 0)]
    assert len(webhook.received) == 2  # the failed attempt and its retry; nothing after
    headers, body = webhook.received[-1]
    [row] = _alerts(engine)
    assert headers["Idempotency-Key"] == f"lcm-balance-alert-{row.alert_id}"
    assert body["kind"] == "low_balance"
    assert (body["offer_id"], body["from_state"], body["to_state"]) == (7, "ok", "low")
    assert body["enterprise_customer_uuid"] == str(ACME)
    assert body["recipients"] == []
    assert body["facts"]["remaining_funds"] == "1000.00"
    assert (row.status, row.channel) == ("delivered", "webhook")


def test_with_no_notifier_transitions_are_recorded_not_sent(
    make_settings: Any, engine: Engine
) -> None:
    settings: Settings = make_settings(notifier="none")
    _offer(engine, 1, "ok")
    alerts.run(settings, engine=engine)
    _set_state(engine, 1, "low")
    result = alerts.run(settings, engine=engine)
    assert (result.alerts_recorded, result.delivered) == (1, 0)
    [row] = _alerts(engine)
    assert (row.status, row.status_detail) == ("skipped", "LCM_NOTIFIER=none: recorded, not sent")


def test_ended_offers_and_offers_without_recipients_are_skipped_for_smtp(
    make_settings: Any, engine: Engine, inbox: Inbox, smtp_port: int
) -> None:
    settings: Settings = make_settings(notifier="smtp", smtp_host="127.0.0.1", smtp_port=smtp_port)
    _offer(engine, 1, "low", end=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    _offer(engine, 2, "low", emails=" ")
    alerts.run(settings, engine=engine)
    assert [(r.offer_id, r.status, r.status_detail) for r in _alerts(engine)] == [
        (1, "skipped", "the offer has ended"),
        (2, "skipped", "the offer has no emails_for_usage_alert"),
    ]
    assert inbox.messages == []


def test_transitions_computed_by_the_real_pipeline_notify_once_each(
    make_settings: Any, engine: Engine, inbox: Inbox, smtp_port: int, tmp_path: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    source = SourceBuilder(source_url)
    offer = source.offer(
        ACME, name="Acme", max_discount=Decimal("1000.00"), emails="ops@acme.example"
    )
    source.order(offer, "ada@acme.example", [("course-v1:edX+A+1", Decimal("500"), Decimal("0"))])
    settings: Settings = make_settings(
        ecommerce_database_url=source_url,
        notifier="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
    )

    def pass_then_alerts() -> None:
        pipeline.run_pass(settings, mode="full", trigger="manual")
        alerts.run(settings, engine=engine)

    pass_then_alerts()  # 50 % spent: ok, first seen, no mail
    source.order(offer, "bob@acme.example", [("course-v1:edX+A+2", Decimal("300"), Decimal("0"))])
    pass_then_alerts()  # 80 % spent, $200 left: low
    source.order(offer, "cy@acme.example", [("course-v1:edX+A+3", Decimal("150"), Decimal("0"))])
    pass_then_alerts()  # $50 left: depleted
    pass_then_alerts()  # nothing changed
    source.set_offer(offer, max_discount=Decimal("5000.00"))  # topped up
    pass_then_alerts()

    assert [(r.from_state, r.to_state) for r in _alerts(engine)] == [
        ("ok", "low"),
        ("low", "depleted"),
        ("depleted", "ok"),
    ]
    assert len(inbox.messages) == 3
    assert all(m["X-Envelope-To"] == "ops@acme.example" for m in inbox.messages)
