"""The ledger events land their transaction in ``lcm_raw`` as they arrive (issue 14).

``subsidy_ledger_transaction.{created,committed,failed,reversed}`` carry the whole transaction
(and, once reversed, its reversal). The consumer calls :func:`apply` in the transaction that
lands the events: each transaction is upserted by uuid **in state order** — created < pending <
committed = failed — so a duplicate or a late, older event never moves a state backwards; a
reversal is inserted once by uuid. The events carry no enterprise: it is the landed subsidy's
whose ledger the transaction is in, and the event is marked for a targeted refresh of it (when the
subsidy is not landed yet, the consumer's own resolution stands). The hourly pass stays the safety
net: it reads the services' databases (the events lack the email, title and metadata).

A row the events write takes a landing run id above every run so far, so the next publish
(whose scope is "landed after the last publish's ingest") picks it up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select, text

from lcm_etl import sqlfiles
from lcm_etl.events.avro import LEDGER_EVENTS
from lcm_etl.events.message import BusEvent
from lcm_etl.schema import pipeline_run, raw_subsidy

STATE_RANK = {"created": 0, "pending": 1, "committed": 2, "failed": 2}


class BadLedgerEvent(ValueError):
    """A ledger event whose transaction cannot be landed (the event itself still is)."""


def _hex(value: Any) -> str | None:
    if value is None:
        return None
    return uuid.UUID(str(value)).hex


def _time(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def transaction_row(data: dict[str, Any], run: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The landing rows (transaction, reversal or None) of one event's ``ledger_transaction``."""
    tx = data.get("ledger_transaction")
    if not isinstance(tx, dict):
        raise BadLedgerEvent("no ledger_transaction record")
    try:
        state = str(tx["state"])
        if state not in STATE_RANK:
            raise BadLedgerEvent(f"unknown state {state!r}")
        row = {
            "uuid": _hex(tx["uuid"]),
            "created": _time(tx["created"]),
            "modified": _time(tx["modified"]),
            "idempotency_key": str(tx["idempotency_key"]),
            "quantity": int(tx["quantity"]),
            "lms_user_id": tx.get("lms_user_id"),
            "ledger_id": _hex(tx.get("ledger_uuid")),
            "content_key": tx.get("content_key"),
            "state": state,
            "policy": _hex(tx.get("subsidy_access_policy_uuid")),
            "fulfillment_identifier": tx.get("fulfillment_identifier"),
            "parent_content_key": tx.get("parent_content_key"),
            "run": run,
        }
        reversal = None
        found = tx.get("reversal")
        if isinstance(found, dict):
            reversal = {
                "uuid": _hex(found["uuid"]),
                "created": _time(found["created"]),
                "modified": _time(found["modified"]),
                "idempotency_key": str(found["idempotency_key"]),
                "quantity": int(found["quantity"]),
                "transaction_id": row["uuid"],
                "state": str(found["state"]),
                "run": run,
            }
    except (KeyError, TypeError, ValueError) as exc:
        raise BadLedgerEvent(f"unreadable ledger_transaction: {exc}") from None
    return row, reversal


@dataclasses.dataclass(frozen=True)
class Applied:
    owners: dict[uuid.UUID, uuid.UUID]
    """Event id → the enterprise of the landed subsidy whose ledger the transaction is in."""
    transactions: int
    reversals: int
    unreadable: list[tuple[uuid.UUID, str]]


def apply(conn: Connection, events: Sequence[BusEvent]) -> Applied:
    """Land the ledger events' transactions (state order) and reversals; say which enterprise
    each event's subsidy belongs to, where that subsidy is landed."""
    ledger = [event for event in events if event.event_type in LEDGER_EVENTS]
    if not ledger:
        return Applied({}, 0, 0, [])
    run = int(
        conn.execute(select(func.coalesce(func.max(pipeline_run.c.run_id), 0) + 1)).scalar_one()
    )
    best: dict[str, dict[str, Any]] = {}
    reversals: dict[str, dict[str, Any]] = {}
    ledgers: dict[uuid.UUID, str] = {}
    unreadable: list[tuple[uuid.UUID, str]] = []
    for event in ledger:
        try:
            row, reversal = transaction_row(event.data, run)
        except BadLedgerEvent as exc:
            unreadable.append((event.event_id, str(exc)))
            continue
        if row["ledger_id"]:
            ledgers[event.event_id] = row["ledger_id"]
        key = str(row["uuid"])
        known = best.get(key)
        if known is None or STATE_RANK[row["state"]] > STATE_RANK[known["state"]]:
            best[key] = row
        if reversal is not None:
            reversals[str(reversal["uuid"])] = reversal
    # Sorted: two consumers landing overlapping batches lock rows in the same order.
    for key in sorted(best):
        conn.execute(text(sqlfiles.load("landing/ledger_transaction_event.sql")), best[key])
    for key in sorted(reversals):
        conn.execute(text(sqlfiles.load("landing/ledger_reversal_event.sql")), reversals[key])
    enterprise_of = {
        row.ledger_id: uuid.UUID(row.enterprise_customer_uuid)
        for row in conn.execute(
            select(raw_subsidy.c.ledger_id, raw_subsidy.c.enterprise_customer_uuid).where(
                raw_subsidy.c.ledger_id.in_(sorted(set(ledgers.values())))
            )
        )
    }
    owners = {
        event_id: enterprise_of[ledger_key]
        for event_id, ledger_key in ledgers.items()
        if ledger_key in enterprise_of
    }
    return Applied(owners, len(best), len(reversals), unreadable)


__all__ = ["STATE_RANK", "Applied", "BadLedgerEvent", "apply", "transaction_row"]
