"""Golden read model for a hand-made source that covers every rule (tests/fixtures/golden)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select, text

from lcm_etl import pipeline
from lcm_etl.schema import offer_redemption, offer_summary, pipeline_run

from support import golden_source as g
from support.readmodel import as_text, snapshot

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden"


@pytest.fixture
def golden(make_settings, sqlite_source_url, engine):
    g.build(sqlite_source_url)
    settings = make_settings(ecommerce_database_url=sqlite_source_url.render_as_string())
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    return settings, result


def _summary_rows(engine):
    with open(GOLDEN / "offer_summary.csv") as handle:
        expected = list(csv.DictReader(handle))
    columns = list(expected[0])
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(offer_summary.c[name] for name in columns)).order_by(offer_summary.c.offer_id)
        ).all()
    actual = [
        {name: as_text(value) for name, value in zip(columns, row, strict=True)} for row in rows
    ]
    return expected, actual


def test_offer_summary_matches_the_golden_file(golden, engine) -> None:
    expected, actual = _summary_rows(engine)
    assert actual == expected


def test_exactly_75_percent_is_not_low_and_exactly_100_dollars_is_depleted(golden, engine) -> None:
    with engine.connect() as conn:
        states = dict(
            conn.execute(
                select(offer_summary.c.enterprise_customer_uuid, offer_summary.c.balance_state)
            ).all()
        )
    assert states[g.SEVENTY_FIVE] == "ok"
    assert states[g.HUNDRED_LEFT] == "depleted"
    assert states[g.LOW] == "low"
    assert states[g.OVERSPENT] == "depleted"
    assert states[g.UNCAPPED] == "uncapped"


def test_redemptions_attribute_discounts_to_lines_and_reverse_refunds(golden, engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                offer_redemption.c.courserun_key,
                offer_redemption.c.user_email,
                offer_redemption.c.amount,
                offer_redemption.c.amount_refunded,
                offer_redemption.c.is_refunded,
                offer_redemption.c.refunded_at,
                offer_redemption.c.enrollment_date,
            )
            .where(offer_redemption.c.offer_id == 106)
            .order_by(offer_redemption.c.order_line_id)
        ).all()
    got = [
        (r[0], r[1], as_text(r[2]), as_text(r[3]), r[4], r[5] is not None, str(r[6])) for r in rows
    ]
    assert got == [
        # the multi-line order: $500 split by each line's discount; only line Y refunded
        (
            "course-v1:edX+X+2026",
            "io@refunds.example",
            "200.00",
            "0.00",
            False,
            False,
            "2026-02-01",
        ),
        (
            "course-v1:edX+Y+2026",
            "io@refunds.example",
            "300.00",
            "300.00",
            True,
            True,
            "2026-02-01",
        ),
        # the fully refunded single-line order
        (
            "course-v1:edX+Z+2026",
            "jo@refunds.example",
            "150.00",
            "150.00",
            True,
            True,
            "2026-02-02",
        ),
        # $100 over three equal lines: the last takes the rounding remainder
        ("course-v1:edX+P+2026", "ka@refunds.example", "33.33", "0.00", False, False, "2026-02-03"),
        ("course-v1:edX+Q+2026", "ka@refunds.example", "33.33", "0.00", False, False, "2026-02-03"),
        ("course-v1:edX+R+2026", "ka@refunds.example", "33.34", "0.00", False, False, "2026-02-03"),
        # a Denied refund gives nothing back
        (
            "course-v1:edX+Z+2026",
            "lu@refunds.example",
            "100.00",
            "0.00",
            False,
            False,
            "2026-02-04",
        ),
        # the Pending order is not there at all
    ]


def test_partial_percentage_offer_separates_list_price_charge_and_learner_payment(
    golden, engine
) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                offer_redemption.c.course_list_price,
                offer_redemption.c.amount,
                offer_redemption.c.amount_learner_paid,
                offer_redemption.c.course_key,
                offer_redemption.c.course_title,
            ).where(offer_redemption.c.offer_id == 107)
        ).one()
    assert [as_text(v) for v in row[:3]] == ["400.00", "200.00", "200.00"]
    assert row.course_key == "edX+DemoX"
    assert row.course_title == "Course course-v1:edX+DemoX+2026"


EXPECTED_REJECTIONS = {
    ("offer_conditionaloffer", "offer_end_before_start", ""),
    ("offer_conditionaloffer", "offer_missing_enterprise_uuid", ""),
    ("offer_conditionaloffer", "offer_invalid_enterprise_uuid", ""),
    ("order_orderdiscount", "discount_amount_null", ""),
    ("order_orderdiscount", "conflicting_duplicate", "20.00"),
    ("order_orderdiscount", "discount_amount_negative", "-50.00"),
    ("order_orderdiscount", "discount_offer_rejected", "75.00"),
    ("order_orderdiscount", "discount_offer_rejected", "1000.00"),
    ("order_orderdiscount", "order_has_invalid_line", "100.00"),
    ("order_orderdiscount", "order_has_invalid_line", "1000.00"),
    ("order_orderdiscount", "discount_unknown_offer", "1000.00"),
    ("order_orderdiscount", "discount_order_missing", ""),
    ("order_line", "line_missing_product", ""),
    ("order_line", "line_missing_course", ""),
    ("order_order", "unreadable_value", ""),
}


def test_every_bad_row_is_kept_with_its_reason(golden, engine) -> None:
    got = {
        (t, reason, as_text(amount))
        for t, _key, reason, amount in snapshot(engine)["rejected_record"]
    }
    assert got == EXPECTED_REJECTIONS
    with engine.connect() as conn:
        unreadable = conn.execute(
            text(
                "SELECT detail, payload FROM lcm_raw.rejected_record "
                "WHERE reason = 'unreadable_value'"
            )
        ).one()
    assert "date_placed" in unreadable.detail
    assert unreadable.payload["date_placed"] == "yesterday"


def test_the_run_log_counts_the_pass(golden, engine) -> None:
    _, result = golden
    assert result.ingest.status == result.publish.status == "succeeded"
    assert result.ingest.counts["rejected"] == 1  # the unreadable order, at landing
    assert result.publish.counts["rejected"] == 14
    assert result.ingest.counts["extracted"] >= result.ingest.counts["landed"] > 0
    with engine.connect() as conn:
        runs = conn.execute(
            select(pipeline_run.c.stage, pipeline_run.c.mode, pipeline_run.c.status).order_by(
                pipeline_run.c.run_id
            )
        ).all()
    assert [tuple(r) for r in runs] == [
        ("ingest", "full", "succeeded"),
        ("publish", "full", "succeeded"),
    ]


def test_noise_is_ignored_not_rejected(golden, engine) -> None:
    with engine.connect() as conn:
        offers = set(
            conn.execute(text("SELECT id FROM lcm_raw.ecommerce_conditionaloffer")).scalars()
        )
    assert 112 not in offers  # a plain Site offer without enterprise
    assert 113 not in offers  # an enterprise coupon (Voucher offer)
