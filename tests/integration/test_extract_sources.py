"""The extractor against a real MariaDB holding the real ecommerce DDL (foreign keys and all)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lcm_etl import pipeline
from lcm_etl.db import make_engine
from lcm_etl.sources import ddl

import golden_source as g
from readmodel import as_text, snapshot
from test_pipeline_golden import EXPECTED_REJECTIONS, _summary_rows

pytestmark = pytest.mark.mysql


@pytest.fixture
def mysql_golden(mysql_url, make_settings):  # type: ignore[no-untyped-def]
    source = make_engine(mysql_url)
    ddl.load(source, ("ecommerce.sql",))
    source.dispose()
    builder = g.build(mysql_url, create=False)
    settings = make_settings(ecommerce_database_url=mysql_url.render_as_string(hide_password=False))
    return builder, settings


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
