"""The ledger-era sources read like the others: the same golden budgets from SQLite, MariaDB (the
real DDL) and PostgreSQL sources; incremental passes from the ``modified`` watermarks with the
overlap window; a full and an incremental history giving the same read model; bad rows rejected
with reasons while the rest lands; unset sources said once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL

from lcm_etl import pipeline
from lcm_etl.db import make_engine
from lcm_etl.ingest.sources import ledger as st
from lcm_etl.progress import NullProgress
from lcm_etl.schema import (
    budget,
    budget_assignment,
    budget_transaction,
    budget_utilization_daily,
    raw_ledger_transaction,
    rejected_record,
    subsidy_balance,
    watermark,
)

from support.ledger_builder import LedgerBuilder, hex_uuid
from support.ledger_golden_source import EXPECTED_BUDGETS, build_golden
from support.sourcebuilder import SourceBuilder

LEDGER_TABLES = (
    subsidy_balance,
    budget,
    budget_transaction,
    budget_assignment,
    budget_utilization_daily,
)


@pytest.fixture
def postgres_source_url(pg_admin_url: URL) -> Iterator[URL]:
    """A fresh PostgreSQL database as a ledger-era source."""
    name = f"lcm_ledger_src_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_admin_url.set(database=name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def snapshot(engine: Engine, tables: tuple[Any, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every ledger read-model table as sorted tuples, without the run's data_as_of."""
    found = {}
    with engine.connect() as conn:
        for table in tables:
            columns = [c for c in table.columns if c.name != "data_as_of"]
            rows = conn.execute(select(*columns)).all()
            found[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return found


def _budget_numbers(engine: Engine) -> dict[str, dict[str, int | None]]:
    names = {hex_uuid(f"policy:P{i}"): f"P{i}" for i in range(1, 7)}
    with engine.connect() as conn:
        rows = conn.execute(select(budget)).all()
    return {
        names[row.policy_uuid.hex]: {key: getattr(row, key) for key in EXPECTED_BUDGETS["P1"]}
        for row in rows
    }


def _ecommerce(sqlite_source_url: URL) -> str:
    SourceBuilder(sqlite_source_url).engine.dispose()
    return sqlite_source_url.render_as_string()


@pytest.mark.parametrize("backend", ["sqlite", "mariadb", "postgresql"])
def test_the_golden_budgets_from_every_kind_of_source(
    backend, request, make_settings, sqlite_source_url, engine
) -> None:
    ecommerce = _ecommerce(sqlite_source_url)
    if backend == "sqlite":
        url = sqlite_source_url
    elif backend == "mariadb":
        url = request.getfixturevalue("mysql_url")
    else:
        url = request.getfixturevalue("postgres_source_url")
    builder = LedgerBuilder(url)
    build_golden(builder)
    builder.dispose()
    rendered = url.render_as_string(hide_password=False)
    settings = make_settings(
        ecommerce_database_url=ecommerce,
        subsidy_database_url=rendered,
        access_database_url=rendered,
    )
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"
    assert _budget_numbers(engine) == EXPECTED_BUDGETS


def test_the_mariadb_ddl_is_the_real_one(mysql_url: URL) -> None:
    engine = make_engine(mysql_url)
    try:
        st.create_source_tables(engine, "subsidy")
        st.create_source_tables(engine, "access")
        with engine.connect() as conn:
            created = set(conn.execute(text("SHOW TABLES")).scalars())
    finally:
        engine.dispose()
    assert {t.name for t in st.subsidy_metadata.sorted_tables} <= created
    assert {t.name for t in st.access_metadata.sorted_tables} <= created


@pytest.fixture
def sources(make_settings, sqlite_source_url):
    ecommerce = _ecommerce(sqlite_source_url)
    builder = LedgerBuilder(sqlite_source_url)
    build_golden(builder)
    settings = make_settings(
        ecommerce_database_url=ecommerce,
        subsidy_database_url=ecommerce,
        access_database_url=ecommerce,
        extract_time_overlap_seconds=600,
    )
    yield builder, settings
    builder.dispose()


def _changes(builder: LedgerBuilder) -> None:
    """A day's activity: a new redemption, a reversal of an old one, a top-up, a pending
    redemption committed, a new assignment and a notification (modified moves on each)."""
    later = dt.datetime(2026, 6, 2, 9, 0)
    builder.redemption("S1", "P1", "p1-new", 1_500, lms_user_id=9, created=later)
    builder.reversal("p1-committed", 10_000, created=later)
    builder.deposit("S1", 25_000, "S1:second-top-up")
    builder.set_transaction("p1-pending", state="committed", modified=later)
    builder.assignment("P2", "p2-new", 2_000)
    builder.action("p2-allocated-b", "notified")
    # An external order reference of an old transaction: only the reference row is new.
    builder.external_reference("p1-committed", "geag-late")


def test_incremental_passes_give_what_a_full_pass_gives(sources, engine) -> None:
    builder, settings = sources
    pipeline.run_pass(settings, mode="full", trigger="manual")
    _changes(builder)
    incremental = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert incremental.publish.mode == "incremental"
    # It read only what changed (plus the overlap window), not every row again.
    counts = incremental.ingest.counts
    assert counts["extracted.subsidy.openedx_ledger_transaction"] < 25
    after_incremental = snapshot(engine, LEDGER_TABLES)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert snapshot(engine, LEDGER_TABLES) == after_incremental
    p1 = _budget_numbers(engine)["P1"]
    # 17,000 - 10,000 (refunded) + 1,500 (new) = 8,500 spent
    assert p1["spent_cents"] == 8_500


def test_a_row_modified_inside_the_overlap_window_is_read_again(sources, engine) -> None:
    builder, settings = sources
    pipeline.run_pass(settings, mode="full", trigger="manual")
    with engine.connect() as conn:
        mark = conn.execute(
            select(watermark.c.time_value).where(
                watermark.c.source == "subsidy",
                watermark.c.source_table == "openedx_ledger_transaction",
            )
        ).scalar_one()
    # A save that committed late: its modified is just before the watermark.
    late = mark.replace(tzinfo=None) - dt.timedelta(minutes=5)
    builder.set_transaction("p1-created", state="failed", modified=late)
    pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert _budget_numbers(engine)["P1"]["spent_cents"] == 15_000


def test_bad_rows_are_rejected_with_reasons_and_the_rest_lands(sources, engine) -> None:
    builder, settings = sources
    builder.redemption("S1", "P1", "weird-state", 700)
    builder.set_transaction("weird-state", state="refunded")
    with builder.subsidy_engine.begin() as conn:
        conn.execute(
            st.transaction.insert().values(
                created=dt.datetime(2026, 6, 1),
                modified=dt.datetime(2026, 6, 1),
                uuid="not-a-uuid",
                idempotency_key="k",
                quantity=-1,
                ledger_id=builder.ledgers["S1"],
                state="committed",
            )
        )
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"
    with engine.connect() as conn:
        reasons = {
            (row.source, row.natural_key, row.reason)
            for row in conn.execute(
                select(rejected_record).where(rejected_record.c.stage == "landing")
            )
        }
    assert ("subsidy", hex_uuid("transaction:weird-state"), "ledger_unknown_transaction_state") in (
        reasons
    )
    assert ("subsidy", "not-a-uuid", "invalid_uuid") in reasons
    assert result.ingest.counts["rejected"] >= 2
    assert _budget_numbers(engine)["P1"] == EXPECTED_BUDGETS["P1"]


def test_unset_sources_mean_no_ledger_data_said_once(make_settings, sqlite_source_url) -> None:
    settings = make_settings(ecommerce_database_url=_ecommerce(sqlite_source_url))
    notes: list[str] = []

    class Recorder(NullProgress):
        def note(self, message: str) -> None:
            notes.append(message)

    result = pipeline.run_pass(settings, mode="full", trigger="manual", progress=Recorder())
    assert result.publish.status == "succeeded"
    ledger_notes = [n for n in notes if "LCM_SUBSIDY_DATABASE_URL" in n]
    assert ledger_notes == ["LCM_SUBSIDY_DATABASE_URL is not set: no ledger-era data from it"]
    assert [n for n in notes if "LCM_ACCESS_DATABASE_URL" in n] == [
        "LCM_ACCESS_DATABASE_URL is not set: no ledger-era data from it"
    ]


def test_an_older_snapshot_never_moves_a_landed_state_back(sources, engine) -> None:
    builder, settings = sources
    pipeline.run_pass(settings, mode="full", trigger="manual")
    # A lagging replica answers with the transaction still pending (and a newer modified).
    builder.set_transaction("p1-committed", state="pending", modified=dt.datetime(2026, 6, 5))
    pipeline.run_pass(settings, mode="incremental", trigger="manual")
    with engine.connect() as conn:
        state = conn.execute(
            select(raw_ledger_transaction.c.state).where(
                raw_ledger_transaction.c.uuid == hex_uuid("transaction:p1-committed")
            )
        ).scalar_one()
    assert state == "committed"


def _open_landing_rejections(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {
            (row.natural_key, row.reason)
            for row in conn.execute(
                select(rejected_record).where(
                    rejected_record.c.stage == "landing",
                    rejected_record.c.source == "subsidy",
                    rejected_record.c.resolved_at.is_(None),
                )
            )
        }


@pytest.mark.parametrize("mode", ["incremental", "targeted"])
def test_a_rejected_row_fixed_at_the_source_is_resolved_by_the_next_pass(
    sources, engine, mode
) -> None:
    """An incremental or targeted pass reads the fixed row again (its ``modified`` moved), lands
    it and resolves its rejection, as a publish resolves the transform rejections it recomputes;
    a rejected row it does not read again stays open."""
    builder, settings = sources
    builder.redemption("S1", "P1", "weird-state", 700, lms_user_id=8)
    builder.set_transaction("weird-state", state="refunded")
    builder.redemption("S1", "P1", "still-weird", 300, lms_user_id=9)
    builder.set_transaction("still-weird", state="refunded")
    pipeline.run_pass(settings, mode="full", trigger="manual")
    weird = (hex_uuid("transaction:weird-state"), "ledger_unknown_transaction_state")
    still = (hex_uuid("transaction:still-weird"), "ledger_unknown_transaction_state")
    assert {weird, still} <= _open_landing_rejections(engine)
    builder.set_transaction("weird-state", state="committed", modified=dt.datetime(2026, 6, 9))
    targets = (uuid.UUID(hex_uuid("enterprise:acme")),) if mode == "targeted" else ()
    result = pipeline.run_pass(settings, mode=mode, trigger="manual", enterprise_uuids=targets)
    assert result.publish.status == "succeeded"
    open_now = _open_landing_rejections(engine)
    assert weird not in open_now
    assert still in open_now
    assert (
        _budget_numbers(engine)["P1"]["spent_cents"] == EXPECTED_BUDGETS["P1"]["spent_cents"] + 700
    )


def test_an_unreadable_ledger_value_is_a_landing_rejection(sources, engine) -> None:
    """A value the landing table cannot hold (text in a bigint column, as a SQLite source
    allows) is rejected with ``unreadable_value``, not dropped silently."""
    builder, settings = sources
    builder.redemption("S1", "P1", "garbled", 700, lms_user_id=8)
    builder.set_transaction("garbled", quantity="seven hundred")
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"
    assert (hex_uuid("transaction:garbled"), "unreadable_value") in _open_landing_rejections(engine)


def test_a_source_without_the_external_reference_table_keeps_its_budgets(sources, engine) -> None:
    """A subsidy database written before lcm-etl read the external references (an older demo or
    bench file) is read as having none: its budgets and transactions land as before."""
    builder, settings = sources
    pipeline.run_pass(settings, mode="full", trigger="manual")
    with builder.subsidy_engine.begin() as conn:
        conn.execute(text("DROP TABLE openedx_ledger_externaltransactionreference"))
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"
    assert result.ingest.counts["extracted.subsidy.openedx_ledger_transaction"] > 0
    assert _budget_numbers(engine) == EXPECTED_BUDGETS
    with engine.connect() as conn:
        references = conn.execute(select(budget_transaction.c.external_reference)).scalars().all()
    assert references
    assert all(r == [] for r in references)
