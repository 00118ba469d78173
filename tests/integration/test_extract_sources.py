"""The extractor against each kind of source: a real MariaDB holding the real ecommerce DDL
(foreign keys and all), and a PostgreSQL source (read through a server-side cursor)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from lcm_etl import pipeline
from lcm_etl.db import make_engine
from lcm_etl.ingest.sources import ddl

from support import golden_source as g
from support.readmodel import as_text, snapshot
from test_pipeline_golden import EXPECTED_REJECTIONS, _summary_rows


@pytest.fixture
def mysql_golden(mysql_url, make_settings):
    source = make_engine(mysql_url)
    ddl.load(source, ("ecommerce.sql",))
    source.dispose()
    builder = g.build(mysql_url, create=False)
    settings = make_settings(ecommerce_database_url=mysql_url.render_as_string(hide_password=False))
    return builder, settings


@pytest.mark.mysql
def test_a_full_pass_over_mariadb_gives_the_golden_read_model(mysql_golden, engine) -> None:
    _, settings = mysql_golden
    pipeline.run_pass(settings, mode="full", trigger="manual")
    expected, actual = _summary_rows(engine)
    assert actual == expected
    rejections = {
        (t, reason, as_text(a)) for t, _k, reason, a in snapshot(engine)["rejected_record"]
    }
    # MariaDB enforces NOT NULL and types, so the two SQLite-only bad rows cannot exist there.
    sqlite_only = {
        ("order_orderdiscount", "discount_amount_null", ""),
        ("order_order", "unreadable_value", ""),
        ("order_orderdiscount", "discount_order_missing", ""),
    }
    assert rejections == EXPECTED_REJECTIONS - sqlite_only


@pytest.mark.mysql
def test_incremental_pass_over_mariadb_picks_up_new_rows(mysql_golden, engine) -> None:
    from decimal import Decimal as D

    from lcm_etl.schema import offer_summary

    builder, settings = mysql_golden
    pipeline.run_pass(settings, mode="full", trigger="manual")
    builder.order(
        101,
        "late@seventy.example",
        [("course-v1:edX+Late+2026", D("500.00"), D("0.00"))],
        placed="2026-05-01 10:00:00",
    )
    result = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert result.ingest.counts["landed.order_orderdiscount"] == 1
    with engine.connect() as conn:
        spent = conn.execute(
            select(offer_summary.c.amount_of_offer_spent, offer_summary.c.balance_state).where(
                offer_summary.c.offer_id == 101
            )
        ).one()
    assert (as_text(spent[0]), spent[1]) == ("3500.00", "low")


@pytest.fixture
def postgres_source(pg_admin_url):
    from conftest import _create_database, _drop_database

    name = "lcm_src_" + uuid.uuid4().hex[:12]
    url = _create_database(pg_admin_url, name)
    yield url
    _drop_database(pg_admin_url, name)


def test_a_full_pass_over_a_postgresql_source_gives_the_golden_read_model(
    postgres_source, make_settings, engine
) -> None:
    g.build(postgres_source)
    settings = make_settings(
        ecommerce_database_url=postgres_source.render_as_string(hide_password=False),
        batch_size=100,  # several server-side cursor fetches per table
    )
    pipeline.run_pass(settings, mode="full", trigger="manual")
    expected, actual = _summary_rows(engine)
    assert actual == expected
    # PostgreSQL enforces types, so only the unreadable date is impossible there.
    sqlite_only = {
        ("order_order", "unreadable_value", ""),
        ("order_orderdiscount", "discount_order_missing", ""),
    }
    rejections = {
        (t, reason, as_text(a)) for t, _k, reason, a in snapshot(engine)["rejected_record"]
    }
    assert rejections == EXPECTED_REJECTIONS - sqlite_only
