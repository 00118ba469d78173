"""Attacks through the source: rows a tester planted in the ecommerce and LMS databases.

No bad row fails a pass, nothing is dropped silently, and a row the landing could not read still
counts as a row the source has (the spend it carries is withheld and accounted for, never moved
onto the rows that did land).
"""

from __future__ import annotations

import sqlite3
import uuid
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from lcm_etl import pipeline
from lcm_etl.schema import offer_redemption, offer_summary, pipeline_run, rejected_record

from support.readmodel import snapshot
from support.sourcebuilder import SourceBuilder

ACME = uuid.UUID("a11ce000-0000-4000-8000-0000000000aa")
GLOBEX = uuid.UUID("91000000-0000-4000-8000-0000000000bb")


@pytest.fixture
def source(sqlite_source_url) -> SourceBuilder:
    return SourceBuilder(sqlite_source_url)


@pytest.fixture
def settings(make_settings, sqlite_source_url):
    return make_settings(ecommerce_database_url=sqlite_source_url.render_as_string())


def poke(source: SourceBuilder, statement: str, **params: Any) -> None:
    """Write a value the ORM never would (SQLite keeps whatever it is given)."""
    with source.engine.begin() as conn:
        conn.execute(text(statement), params)


def rejections(engine: Engine) -> dict[tuple[str, str], Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(rejected_record).where(rejected_record.c.resolved_at.is_(None))
        ).all()
    return {(row.source_table, row.reason): row for row in rows}


def summary(engine: Engine, enterprise: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(offer_summary).where(offer_summary.c.enterprise_customer_uuid == enterprise)
        ).one()


def two_line_order(source: SourceBuilder) -> tuple[int, dict[str, Any]]:
    offer = source.offer(ACME, name="Acme", max_discount=D("5000.00"))
    source.order(offer, "one@acme.example", [("course-v1:edX+A+2026", D("50.00"), D("0.00"))])
    order = source.order(
        offer,
        "two@acme.example",
        [
            ("course-v1:edX+B+2026", D("99.00"), D("0.00")),
            ("course-v1:edX+C+2026", D("99.00"), D("0.00")),
        ],
        placed="2026-03-02 10:00:00",
    )
    return offer, order


# --- defect 1: a line rejected at landing ---------------------------------------------------------


def test_a_line_rejected_at_landing_rejects_its_orders_discount(source, settings, engine) -> None:
    """Defect 1: with one of two lines unreadable, 99 + 99 became 198 on the other line."""
    _, order = two_line_order(source)
    poke(source, "UPDATE order_line SET quantity = 'x' WHERE id = :id", id=order["line_ids"][1])

    result = pipeline.run_pass(settings, mode="full", trigger="manual")

    assert result.publish.status == "succeeded"
    found = rejections(engine)
    assert found[("order_line", "unreadable_value")].natural_key == str(order["line_ids"][1])
    discount = found[("order_orderdiscount", "order_has_invalid_line")]
    assert discount.natural_key == str(order["discount_ids"][0])
    assert discount.amount == D("198.00")  # withheld, and accounted for by the reconciliation
    with engine.connect() as conn:
        lines = conn.execute(
            select(offer_redemption.c.order_line_id, offer_redemption.c.amount)
        ).all()
    assert [amount for _, amount in lines] == [D("50.00")]
    assert not {line_id for line_id, _ in lines} & set(order["line_ids"])
    acme = summary(engine, ACME)
    assert (acme.amount_spent, acme.enrollment_count) == (D("50.00"), 1)


def test_a_line_that_turns_unreadable_rejects_the_discount_in_an_incremental_pass(
    source, settings, engine
) -> None:
    _, order = two_line_order(source)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert summary(engine, ACME).amount_spent == D("248.00")

    poke(source, "UPDATE order_line SET quantity = 'x' WHERE id = :id", id=order["line_ids"][1])
    pipeline.run_pass(settings, mode="incremental", trigger="manual")

    acme = summary(engine, ACME)
    assert (acme.amount_spent, acme.enrollment_count) == (D("50.00"), 1)
    assert ("order_orderdiscount", "order_has_invalid_line") in rejections(engine)

    # Fixed at the source: the order counts again, whole.
    poke(source, "UPDATE order_line SET quantity = 1 WHERE id = :id", id=order["line_ids"][1])
    pipeline.run_pass(settings, mode="full", trigger="manual")
    acme = summary(engine, ACME)
    assert (acme.amount_spent, acme.enrollment_count) == (D("248.00"), 3)
    assert ("order_orderdiscount", "order_has_invalid_line") not in rejections(engine)


def test_an_unreadable_refund_line_withholds_its_orders_discount(source, settings, engine) -> None:
    """A refund the landing could not read may have given money back: the order is not counted
    as if it had none."""
    _, order = two_line_order(source)
    refund = source.refund(order["order_id"], [order["line_ids"][0]])
    poke(source, "UPDATE refund_refundline SET quantity = 'lots' WHERE refund_id = :r", r=refund)

    pipeline.run_pass(settings, mode="full", trigger="manual")

    found = rejections(engine)
    assert ("refund_refundline", "unreadable_value") in found
    assert found[("order_orderdiscount", "order_has_invalid_line")].amount == D("198.00")
    assert summary(engine, ACME).amount_spent == D("50.00")


def test_an_offer_unreadable_at_landing_is_not_an_unknown_offer(source, settings, engine) -> None:
    offer, _ = two_line_order(source)
    poke(source, "UPDATE offer_conditionaloffer SET max_discount = 'lots' WHERE id = :o", o=offer)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    found = rejections(engine)
    assert ("offer_conditionaloffer", "unreadable_value") in found
    assert ("order_orderdiscount", "discount_unknown_offer") not in found
    withheld = found[("order_orderdiscount", "discount_offer_rejected")]
    assert withheld.amount in (D("50.00"), D("198.00"))


# --- defect 6: one bad cell must not fail the pass ------------------------------------------------


def test_an_amount_of_1e20_is_an_unreadable_value_and_the_pass_goes_on(
    source, settings, engine
) -> None:
    """Defect 6: 1e20 broke the source control totals ('decimal out of range')."""
    _, order = two_line_order(source)
    other = source.offer(GLOBEX, name="Globex")
    source.order(other, "g@globex.example", [("course-v1:edX+G+2026", D("10.00"), D("0.00"))])
    poke(
        source,
        "UPDATE order_orderdiscount SET amount = 1e20 WHERE id = :id",
        id=order["discount_ids"][0],
    )

    result = pipeline.run_pass(settings, mode="full", trigger="manual")

    assert result.publish.status == "succeeded"
    found = rejections(engine)
    bad = found[("order_orderdiscount", "unreadable_value")]
    assert bad.natural_key == str(order["discount_ids"][0])
    assert "amount" in bad.detail
    assert summary(engine, ACME).amount_spent == D("50.00")
    assert summary(engine, GLOBEX).amount_spent == D("10.00")


@pytest.mark.parametrize(
    ("table", "column"),
    [("courses_course", "name"), ("ecommerce_user", "email"), ("order_line", "title")],
)
def test_invalid_utf8_in_a_text_cell_is_an_unreadable_value_and_the_pass_goes_on(
    source, settings, engine, table, column
) -> None:
    """Defect 6: invalid UTF-8 in a SQLite text cell escaped ``fetchmany``."""
    two_line_order(source)
    poke(
        source,
        f"UPDATE {table} SET {column} = CAST(X'41C328FF42' AS TEXT) "
        f"WHERE rowid = (SELECT max(rowid) FROM {table})",
    )

    result = pipeline.run_pass(settings, mode="full", trigger="manual")

    assert result.publish.status == "succeeded"
    bad = rejections(engine)[(table, "unreadable_value")]
    assert column in bad.detail
    assert "UTF-8" in bad.detail


# --- defect 10c: oversized source cells ---------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [("courses_course", "name"), ("ecommerce_user", "email"), ("offer_conditionaloffer", "name")],
)
def test_a_10_mb_source_string_is_rejected_not_landed_and_served(
    source, settings, engine, table, column
) -> None:
    two_line_order(source)
    poke(
        source,
        f"UPDATE {table} SET {column} = :huge WHERE rowid = (SELECT max(rowid) FROM {table})",
        huge="x" * 10_000_000,
    )

    result = pipeline.run_pass(settings, mode="full", trigger="manual")

    assert result.publish.status == "succeeded"
    bad = rejections(engine)[(table, "unreadable_value")]
    assert "longer than" in bad.detail
    assert len(str(bad.payload)) < 100_000  # the payload keeps a prefix, not 10 MB
    with engine.connect() as conn:
        longest = conn.execute(
            text("SELECT max(length(t::text)) FROM (SELECT * FROM lcm.offer_redemption) AS t")
        ).scalar()
    assert (longest or 0) < 100_000


# --- defect 9: a configured source without its tables --------------------------------------------


def test_a_configured_lms_source_without_its_tables_fails_the_pass(
    source, make_settings, sqlite_source_url, engine, tmp_path: Path
) -> None:
    """Defect 9: a mistyped SQLite path is created empty; the screen flags read as unknown made
    enterprises whose flag is off eligible. Now the pass fails and the last state stays."""
    two_line_order(source)
    good = make_settings(ecommerce_database_url=sqlite_source_url.render_as_string())
    pipeline.run_pass(good, mode="full", trigger="manual")
    before = snapshot(engine)

    typo = tmp_path / "lsm.sqlite"
    sqlite3.connect(typo).close()
    broken = make_settings(
        ecommerce_database_url=sqlite_source_url.render_as_string(),
        lms_database_url=f"sqlite:///{typo}",
    )
    with pytest.raises(pipeline.PassFailed, match="LCM_LMS_DATABASE_URL") as failure:
        pipeline.run_pass(broken, mode="full", trigger="manual")
    assert "enterprise_enterprisecustomer" in str(failure.value)
    assert snapshot(engine) == before
    with engine.connect() as conn:
        statuses = conn.execute(
            select(pipeline_run.c.stage, pipeline_run.c.status).order_by(pipeline_run.c.run_id)
        ).all()
    assert [tuple(s) for s in statuses][-1] == ("ingest", "failed")


def test_an_unset_lms_source_keeps_its_documented_behaviour(source, settings, engine) -> None:
    two_line_order(source)
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"
