"""Balance alerts: notify an offer's admins once per balance_state transition.

Like ecommerce's usage-alert emails (``send_api_triggered_offer_emails``: low_balance at ≥ 75 %
used, out_of_balance at ≤ $100 left, each sent once until the offer is replenished), but driven by
the read model's ``balance_state`` (the page's own thresholds, docs/architecture.md):

- an offer's state moving **to low** → ``low_balance``; **to depleted** → ``no_balance``; from low
  or depleted **back to ok** (a top-up, or refunds) → ``replenished``. Other moves (ok ↔ uncapped)
  are recorded, not notified: an uncapped offer has no balance to warn about.
- The first time an offer is seen its state is recorded; it is notified only if it is already low
  or depleted (its admins have not been told yet — ecommerce sends such an offer its email too).
- ``lcm.offer_balance_state`` keeps the last state per offer; ``lcm.balance_alert`` has one row per
  offer per transition, unique on (offer_id, transition_seq), written in the same transaction
  under an advisory lock, so re-runs and concurrent runs never record a transition twice.
- Delivery (``LCM_NOTIFIER``): ``smtp`` (smtplib, to ``emails_for_usage_alert``), ``webhook``
  (JSON POST to ``LCM_WEBHOOK_URL``) or ``none`` (recorded as skipped). Each pending alert is
  locked (``FOR UPDATE SKIP LOCKED``) while it is sent and marked delivered in the same
  transaction, so a delivered alert is never sent again; a failed one stays pending, with the
  error, and the next run retries it.
- Offers that have ended are recorded as skipped: nobody can spend them any more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import smtplib
from collections.abc import Mapping
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, Protocol

import httpx
from sqlalchemy import Connection, Engine, Row, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from lcm_etl.db import read_model_engine
from lcm_etl.schema import balance_alert, offer_balance_state, offer_summary
from lcm_etl.settings import Notifier as NotifierSetting
from lcm_etl.settings import Settings

log = logging.getLogger(__name__)

# Serializes transition detection (the pipeline's own key + 2; see db.PIPELINE_LOCK_KEY).
ALERTS_LOCK_KEY = 0x5F3C_9A23

LOW_BALANCE = "low_balance"
NO_BALANCE = "no_balance"
REPLENISHED = "replenished"

PENDING = "pending"
DELIVERED = "delivered"
SKIPPED = "skipped"


def alert_kind(previous: str | None, current: str) -> str | None:
    """The notification a move from ``previous`` (None: first seen) to ``current`` deserves."""
    if current == "low":
        return LOW_BALANCE
    if current == "depleted":
        return NO_BALANCE
    if current == "ok" and previous in ("low", "depleted"):
        return REPLENISHED
    return None


def parse_recipients(emails_for_usage_alert: str | None) -> list[str]:
    """ecommerce's ``emails_for_usage_alert``: a comma-separated list (tolerating ; and spaces)."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,;\s]+", emails_for_usage_alert or ""):
        if part:
            seen.setdefault(part, None)
    return list(seen)


@dataclasses.dataclass(frozen=True)
class AlertsResult:
    offers_checked: int
    transitions: int
    alerts_recorded: int
    delivered: int
    failed: int


@dataclasses.dataclass(frozen=True)
class Notification:
    alert_id: int
    kind: str
    offer_id: int
    enterprise_customer_uuid: str
    from_state: str | None
    to_state: str
    recipients: list[str]
    facts: dict[str, Any]
    data_as_of: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"data_as_of": self.data_as_of.isoformat()}


class NotificationFailed(RuntimeError):
    """One delivery attempt failed; the alert stays pending and is retried by the next run."""


class Notifier(Protocol):
    channel: str

    def send(self, notification: Notification) -> None: ...


# --- detection ---------------------------------------------------------------------------------


def detect(conn: Connection, settings: Settings, now: dt.datetime) -> tuple[int, int, int]:
    """Record transitions since the last check; return (offers checked, transitions, alerts)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ALERTS_LOCK_KEY})
    s = offer_summary.c
    current = conn.execute(
        select(
            s.offer_id,
            s.enterprise_customer_uuid,
            s.balance_state,
            s.display_name,
            s.offer_name,
            s.enterprise_name,
            s.end_datetime,
            s.max_discount,
            s.amount_of_offer_spent,
            s.remaining_balance,
            s.redeemed_funds,
            s.remaining_funds,
            s.percent_utilized,
            s.emails_for_usage_alert,
            s.data_as_of,
        )
    ).all()
    known = {
        row.offer_id: row
        for row in conn.execute(
            select(
                offer_balance_state.c.offer_id,
                offer_balance_state.c.balance_state,
                offer_balance_state.c.transition_count,
            )
        )
    }
    first_seen: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for row in current:
        previous = known.get(row.offer_id)
        if previous is None:
            seq, from_state = 0, None
            first_seen.append(
                {
                    "offer_id": row.offer_id,
                    "enterprise_customer_uuid": row.enterprise_customer_uuid,
                    "balance_state": row.balance_state,
                    "transition_count": 0,
                    "data_as_of": row.data_as_of,
                }
            )
        elif previous.balance_state != row.balance_state:
            seq, from_state = previous.transition_count + 1, previous.balance_state
            changed.append(
                {
                    "b_offer_id": row.offer_id,
                    "b_state": row.balance_state,
                    "b_count": seq,
                    "b_data_as_of": row.data_as_of,
                }
            )
        else:
            continue
        kind = alert_kind(from_state, row.balance_state)
        if kind is not None:
            alerts.append(_alert_row(row, kind, seq, from_state, settings, now))
    if first_seen:
        conn.execute(insert(offer_balance_state).on_conflict_do_nothing(), first_seen)
    if changed:
        t = offer_balance_state
        conn.execute(
            update(t)
            .where(t.c.offer_id == bindparam("b_offer_id"))
            .values(
                balance_state=bindparam("b_state"),
                transition_count=bindparam("b_count"),
                data_as_of=bindparam("b_data_as_of"),
                changed_at=func.now(),
            ),
            changed,
        )
    if alerts:
        conn.execute(
            insert(balance_alert).on_conflict_do_nothing(
                index_elements=[balance_alert.c.offer_id, balance_alert.c.transition_seq]
            ),
            alerts,
        )
    return len(current), len(first_seen) + len(changed), len(alerts)


def _alert_row(
    row: Row[Any, *tuple[Any, ...]],
    kind: str,
    seq: int,
    from_state: str | None,
    settings: Settings,
    now: dt.datetime,
) -> dict[str, Any]:
    recipients = parse_recipients(row.emails_for_usage_alert)
    status, detail = PENDING, None
    if row.end_datetime is not None and row.end_datetime < now:
        status, detail = SKIPPED, "the offer has ended"
    elif settings.notifier is NotifierSetting.NONE:
        status, detail = SKIPPED, "LCM_NOTIFIER=none: recorded, not sent"
    elif settings.notifier is NotifierSetting.SMTP and not recipients:
        status, detail = SKIPPED, "the offer has no emails_for_usage_alert"
    facts = {
        "display_name": row.display_name or row.offer_name,
        "enterprise_name": row.enterprise_name,
        "total_funds": row.max_discount,
        "redeemed_funds": row.redeemed_funds,
        "remaining_funds": row.remaining_funds,
        "percent_utilized": row.percent_utilized,
        "amount_of_offer_spent": row.amount_of_offer_spent,
        "remaining_balance": row.remaining_balance,
        "end_datetime": row.end_datetime,
    }
    return {
        "offer_id": row.offer_id,
        "transition_seq": seq,
        "enterprise_customer_uuid": row.enterprise_customer_uuid,
        "kind": kind,
        "from_state": from_state,
        "to_state": row.balance_state,
        "recipients": recipients,
        "facts": json.loads(json.dumps(facts, default=_json_default)),
        "data_as_of": row.data_as_of,
        "status": status,
        "status_detail": detail,
    }


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# --- delivery ----------------------------------------------------------------------------------


def deliver_pending(engine: Engine, notifier: Notifier) -> tuple[int, int]:
    """Send every pending alert once (oldest first); return (delivered, failed)."""
    delivered = failed = 0
    last_id = 0
    a = balance_alert.c
    while True:
        with engine.begin() as conn:
            row = conn.execute(
                select(balance_alert)
                .where(a.status == PENDING, a.alert_id > last_id)
                .order_by(a.alert_id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return delivered, failed
            last_id = row.alert_id
            attempt = {"attempts": a.attempts + 1, "last_attempt_at": func.now()}
            where = a.alert_id == row.alert_id
            try:
                notifier.send(_notification(row))
            except NotificationFailed as exc:
                failed += 1
                log.warning("balance alert %s not delivered: %s", row.alert_id, exc)
                conn.execute(
                    update(balance_alert).where(where).values(status_detail=str(exc), **attempt)
                )
            else:
                delivered += 1
                conn.execute(
                    update(balance_alert)
                    .where(where)
                    .values(
                        status=DELIVERED,
                        status_detail=None,
                        channel=notifier.channel,
                        delivered_at=func.now(),
                        **attempt,
                    )
                )


def _notification(row: Row[Any]) -> Notification:
    return Notification(
        alert_id=row.alert_id,
        kind=row.kind,
        offer_id=row.offer_id,
        enterprise_customer_uuid=str(row.enterprise_customer_uuid),
        from_state=row.from_state,
        to_state=row.to_state,
        recipients=list(row.recipients),
        facts=dict(row.facts),
        data_as_of=row.data_as_of,
    )


def notifier_for(settings: Settings) -> Notifier | None:
    if settings.notifier is NotifierSetting.SMTP:
        return SmtpNotifier(settings)
    if settings.notifier is NotifierSetting.WEBHOOK:
        return WebhookNotifier(settings)
    return None


def run(
    settings: Settings,
    *,
    engine: Engine | None = None,
    notifier: Notifier | None = None,
    now: dt.datetime | None = None,
) -> AlertsResult:
    """Detect transitions, then deliver what is pending (including earlier failures)."""
    own_engine = engine is None
    engine = engine or read_model_engine(settings)
    try:
        with engine.begin() as conn:
            checked, transitions, recorded = detect(conn, settings, now or dt.datetime.now(dt.UTC))
        notifier = notifier or notifier_for(settings)
        delivered, failed = deliver_pending(engine, notifier) if notifier else (0, 0)
    finally:
        if own_engine:
            engine.dispose()
    return AlertsResult(checked, transitions, recorded, delivered, failed)


# --- notifiers ---------------------------------------------------------------------------------

_TEXT = {
    LOW_BALANCE: (
        "{name}: learner credit is over {threshold} utilized",
        "Your learner credit is over {threshold} utilized. To add additional funds and avoid "
        "downtime for your learners, reach out to customer support.",
    ),
    NO_BALANCE: (
        "{name}: no learner credit funds remaining",
        "Your learner credit no longer has funds remaining. To add additional funds and avoid "
        "downtime for your learners, reach out to customer support.",
    ),
    REPLENISHED: (
        "{name}: learner credit funds replenished",
        "Your learner credit has funds again: your learners can keep enrolling.",
    ),
}


def email_message(notification: Notification, settings: Settings) -> EmailMessage:
    facts = notification.facts
    name = facts.get("display_name") or f"offer {notification.offer_id}"
    threshold = f"{Decimal(settings.low_balance_fraction) * 100:.1f}%"
    subject, lead = (
        part.format(name=name, threshold=threshold) for part in _TEXT[notification.kind]
    )
    lines = [lead, ""]
    for label, key in (
        ("Total funds", "total_funds"),
        ("Redeemed", "redeemed_funds"),
        ("Remaining", "remaining_funds"),
    ):
        if facts.get(key) is not None:
            lines.append(f"{label}: ${Decimal(str(facts[key])):,.2f}")
    if facts.get("percent_utilized") is not None:
        lines.append(f"Utilized: {Decimal(str(facts['percent_utilized'])) * 100:.1f}%")
    lines.append(f"As of: {notification.data_as_of.isoformat()}")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(notification.recipients)
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    # Stable per alert, so a receiver can drop the rare resend after a crash mid-delivery.
    message["Message-ID"] = f"<lcm-balance-alert-{notification.alert_id}@{domain}>"
    message.set_content("\n".join(lines) + "\n")
    return message


class SmtpNotifier:
    channel = "smtp"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, notification: Notification) -> None:
        settings = self._settings
        message = email_message(notification, settings)
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_seconds
            ) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationFailed(
                f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc!r}"
            ) from exc


class WebhookNotifier:
    channel = "webhook"

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        assert settings.webhook_url
        self._url = settings.webhook_url
        self._timeout = settings.notify_timeout_seconds
        self._transport = transport

    def send(self, notification: Notification) -> None:
        headers: Mapping[str, str] = {
            "Idempotency-Key": f"lcm-balance-alert-{notification.alert_id}"
        }
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(self._url, json=notification.as_json(), headers=headers)
        except httpx.HTTPError as exc:
            raise NotificationFailed(f"webhook {self._url}: {exc!r}") from exc
        if not response.is_success:
            raise NotificationFailed(f"webhook {self._url} answered {response.status_code}")
