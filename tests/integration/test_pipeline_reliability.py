"""Re-runs, incremental passes, concurrency and the reconciliation guard (killed passes:
tests/security/test_kill_points.py)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from lcm_etl import pipeline, queries, sqlfiles
from lcm_etl.db import make_engine, pipeline_lock
from lcm_etl.schema import offer_summary, pipeline_run

from support import golden_source as g
from support.readmodel import snapshot
from support.sourcebuilder import ts


@pytest.fixture
def golden_settings(make_settings, sqlite_source_url):
    builder = g.build(sqlite_source_url)
    settings = make_settings(ecommerce_database_url=sqlite_source_url.render_as_string())
    return builder, settings


def test_rerunning_a_pass_leaves_the_read_model_identical(golden_settings, engine) -> None:
    _, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    first = snapshot(engine)
    again = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert snapshot(engine) == first
    # Nothing changed, so the second publish rewrote no redemption and no daily row.
    assert again.publish.counts["redemptions_written"] == 0
    assert again.publish.counts["daily_written"] == 0
    incremental = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert snapshot(engine) == first
    assert incremental.ingest.counts["landed"] == 0
    assert incremental.publish.counts["published"] == 0


def _change_the_source(builder) -> None:
    """What an hour of ecommerce looks like: new orders, refunds, a top-up, a pending order
    completing, a new offer, and a bad row fixed at the source."""
    builder.order(
        101,
        "new1@seventy.example",
        [("course-v1:edX+New+2026", D("250.00"), D("0.00"))],
        placed="2026-05-01 10:00:00",
    )
    multi = builder.order(
        106,
        "new2@refunds.example",
        [
            ("course-v1:edX+A+2026", D("120.00"), D("0.00")),
            ("course-v1:edX+B+2026", D("80.00"), D("0.00")),
        ],
        placed="2026-05-02 10:00:00",
    )
    builder.refund(multi["order_id"], [multi["line_ids"][0]], when="2026-05-03 10:00:00")
    # a refund of an order landed long ago
    with builder.engine.connect() as conn:
        old = conn.execute(
            text(
                "SELECT id FROM order_line WHERE order_id = "
                "(SELECT order_id FROM order_orderdiscount WHERE offer_id = 103 "
                "ORDER BY id LIMIT 1)"
            )
        ).scalar_one()
        pending = conn.execute(
            text("SELECT id FROM order_order WHERE status = 'Pending'")
        ).scalar_one()
        old_order = conn.execute(
            text("SELECT order_id FROM order_line WHERE id = :l"), {"l": old}
        ).scalar_one()
    builder.refund(old_order, [old], when="2026-05-04 10:00:00")
    builder.set_order_status(pending, "Complete")  # Pending → Complete: now it is spend
    # Learner counts under change: a learner already counted buys again (still one learner); a
    # learner's only order is refunded while they buy anew (still counted).
    builder.order(
        101,
        "ada@seventy.example",
        [("course-v1:edX+Again+2026", D("50.00"), D("0.00"))],
        placed="2026-05-06 10:00:00",
    )
    with builder.engine.connect() as conn:
        per_user = conn.execute(
            text(
                "SELECT r.id, l.id FROM order_order r JOIN order_line l ON l.order_id = r.id "
                "JOIN order_orderdiscount d ON d.order_id = r.id WHERE d.offer_id = 108"
            )
        ).one()
    builder.refund(per_user[0], [per_user[1]], when="2026-05-07 10:00:00")
    builder.order(
        108,
        "pa@peruser.example",
        [("course-v1:edX+Again+2026", D("60.00"), D("0.00"))],
        placed="2026-05-07 11:00:00",
    )
    builder.set_offer(104, max_discount=D("3000.00"))  # a top-up: Low is no longer low
    builder.set_offer(109, end_datetime=ts("2026-12-31 00:00:00"))
    new_offer = builder.offer(g.UNCAPPED, name="Uncapped", max_discount=D("900.00"), offer_id=120)
    builder.order(
        new_offer,
        "new3@uncapped.example",
        [("course-v1:edX+C+2026", D("900.00"), D("0.00"))],
        placed="2026-05-05 10:00:00",
    )


def test_an_incremental_pass_equals_a_full_pass_after_source_changes(
    golden_settings, engine, make_settings, pg_admin_url, template_database
) -> None:
    builder, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    _change_the_source(builder)
    result = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert result.publish.mode == "incremental"
    incremental = snapshot(engine)

    # The same source read by a full pass into a brand-new read model.
    from conftest import _create_database, _drop_database

    name = "lcm_full_" + os.urandom(5).hex()
    url = _create_database(pg_admin_url, name, template=template_database)
    try:
        full_settings = make_settings(
            database_url=url.render_as_string(hide_password=False),
            ecommerce_database_url=settings.ecommerce_database_url,
        )
        pipeline.run_pass(full_settings, mode="full", trigger="manual")
        other = make_engine(url)
        full = snapshot(other)
        other.dispose()
    finally:
        _drop_database(pg_admin_url, name)
    assert incremental == full

    with engine.connect() as conn:
        states = dict(
            conn.execute(select(offer_summary.c.offer_id, offer_summary.c.balance_state)).all()
        )
        top_up = conn.execute(
            select(offer_summary.c.max_discount).where(offer_summary.c.offer_id == 104)
        ).scalar_one()
    assert top_up == D("3000.00")
    assert states[104] == "ok"  # the top-up shows in the very next incremental pass
    assert states[109] == "ok"  # the offer whose dates were fixed is no longer rejected
    assert states[120] == "depleted"


def _summary_versions(engine) -> dict[int, tuple[str, str, dt.datetime]]:
    """Each summary's row version (xmin: changes whenever the row is rewritten), balance state
    and data_as_of."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT offer_id, xmin::text, balance_state, data_as_of FROM lcm.offer_summary")
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _last_publish_as_of(engine) -> dt.datetime:
    with engine.connect() as conn:
        as_of: dt.datetime = conn.execute(
            select(pipeline_run.c.data_as_of)
            .where(pipeline_run.c.stage == "publish", pipeline_run.c.status == "succeeded")
            .order_by(pipeline_run.c.run_id.desc())
            .limit(1)
        ).scalar_one()
    return as_of


def test_a_publish_rewrites_only_the_summaries_it_changes(golden_settings, engine) -> None:
    """Issue 12: a publish no longer stamps data_as_of on every summary (a cost that grew with
    the offers, not with the change); the freshness every reader shows comes from the run."""
    builder, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    before = _summary_versions(engine)
    builder.order(
        108,
        "late@peruser.example",
        [("course-v1:edX+Late+2026", D("60.00"), D("0.00"))],
        placed="2026-05-01 10:00:00",
    )
    pipeline.run_pass(settings, mode="incremental", trigger="manual")
    after = _summary_versions(engine)
    as_of = _last_publish_as_of(engine)
    assert {offer for offer in after if after[offer] != before[offer]} == {108}
    assert after[108][2] == as_of
    assert after[101][2] < as_of  # untouched: as it was computed

    # Every reader's data_as_of is the last publish's, for untouched offers too.
    with engine.connect() as conn:
        shown = conn.execute(text("SELECT DISTINCT data_as_of FROM lcm.v_offer_balance"))
        assert shown.scalars().all() == [as_of]
        for enterprise in (g.SEVENTY_FIVE, g.PER_USER):
            assert queries.enterprise_data_as_of(conn, enterprise) == as_of
            page_as_of = conn.execute(
                text("SELECT data_as_of FROM lcm.page_data_as_of(:e)"), {"e": enterprise}
            ).scalar_one()
            assert page_as_of == as_of
        offers = queries.analytics_offers(
            conn, g.SEVENTY_FIVE, queries.PageRequest(1, queries.UNPAGED)
        ).results
        assert [o["export_timestamp"] for o in offers] == [queries.iso_datetime(as_of)]

    # A threshold setting that changes a state: that summary is re-derived and stamped, no other.
    tighter = settings.model_copy(update={"low_balance_fraction": D("0.7")})  # 101 is at 75 %
    pipeline.run_pass(tighter, mode="incremental", trigger="manual")
    again = _summary_versions(engine)
    assert {offer for offer in again if again[offer] != after[offer]} == {101}
    assert again[101][1:] == ("low", _last_publish_as_of(engine))


def test_passes_are_serialized_by_the_advisory_lock(golden_settings, engine) -> None:
    _, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pipeline.run_pass(settings, mode="incremental", trigger="manual")
        except BaseException as exc:
            errors.append(exc)

    with pipeline_lock(engine, timeout_seconds=5):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        with engine.connect() as conn:
            started = conn.execute(
                select(pipeline_run.c.run_id).where(pipeline_run.c.run_id > 2)
            ).all()
        assert started == []  # both passes wait for the lock: neither has begun
    for t in threads:
        t.join(60)
    assert errors == []
    with engine.connect() as conn:
        runs = conn.execute(
            select(pipeline_run.c.started_at, pipeline_run.c.finished_at)
            .where(pipeline_run.c.run_id > 2)
            .order_by(pipeline_run.c.started_at)
        ).all()
    assert len(runs) == 4
    for before, after in itertools.pairwise(runs):
        assert before.finished_at <= after.started_at  # no two stages ever overlapped


def test_a_pass_waiting_too_long_for_the_lock_fails_clearly(
    golden_settings, engine, make_settings
) -> None:
    _, settings = golden_settings
    impatient = make_settings(
        ecommerce_database_url=settings.ecommerce_database_url, lock_timeout_seconds=0.2
    )
    with (
        pipeline_lock(engine, timeout_seconds=5),
        pytest.raises(Exception, match="holds the pipeline lock"),
    ):
        pipeline.run_pass(impatient, mode="full", trigger="manual")


# kill -9 at several points of a pass: tests/security/test_kill_points.py.


def test_a_reconciliation_mismatch_fails_the_pass_and_keeps_the_previous_state(
    golden_settings, engine, monkeypatch
) -> None:
    builder, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    before = snapshot(engine)
    builder.order(
        106,
        "late@refunds.example",
        [
            ("course-v1:edX+A+2026", D("10.00"), D("0.00")),
            ("course-v1:edX+B+2026", D("10.00"), D("0.00")),
            ("course-v1:edX+C+2026", D("10.00"), D("0.00")),
        ],
        amount=D("10.00"),
        placed="2026-05-01 10:00:00",
    )
    # A transform bug: the last line no longer takes the rounding remainder, so three lines of
    # $3.33 add up to $9.99 instead of $10.00. The reconciliation must catch the lost cent.
    buggy = sqlfiles.load("transform/offer_redemption.sql").replace(
        "THEN amount - (sum(rounded_share) OVER (PARTITION BY order_discount_id) - rounded_share)",
        "THEN rounded_share",
    )
    original_load = sqlfiles.load
    monkeypatch.setattr(
        sqlfiles,
        "load",
        lambda name: buggy if name == "transform/offer_redemption.sql" else original_load(name),
    )
    with pytest.raises(pipeline.PassFailed, match="reconciliation failed for 1 enterprise"):
        pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert snapshot(engine) == before
    with engine.connect() as conn:
        failed = conn.execute(
            select(pipeline_run.c.stage, pipeline_run.c.status, pipeline_run.c.error)
            .order_by(pipeline_run.c.run_id.desc())
            .limit(1)
        ).one()
    assert (failed.stage, failed.status) == ("publish", "failed")
    assert "landed spend 10.00 − rejected 0 ≠ redeemed 9.99" in failed.error


def test_finished_at_is_when_the_work_ended_not_when_its_transaction_began(
    golden_settings, engine, monkeypatch
) -> None:
    """``finished_at`` was ``now()``, the work transaction's start, so /healthz understated the
    age of the data by the length of the publish."""
    _, settings = golden_settings
    work_done: list[object] = []
    real_publish = getattr(pipeline, "publish_read_model")  # noqa: B009 (patched below)

    def publish_then_note_the_time(conn, **kwargs):
        outcome = real_publish(conn, **kwargs)
        work_done.append(conn.execute(text("SELECT clock_timestamp()")).scalar_one())
        return outcome

    monkeypatch.setattr(pipeline, "publish_read_model", publish_then_note_the_time)
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    with engine.connect() as conn:
        runs = {
            row.run_id: row
            for row in conn.execute(
                select(pipeline_run.c.run_id, pipeline_run.c.finished_at, pipeline_run.c.data_as_of)
            )
        }
    assert runs[result.publish.run_id].finished_at >= work_done[0]
    # The ingest reads data_as_of (now()) first thing in its transaction; it ends later.
    ingest = runs[result.ingest.run_id]
    assert ingest.finished_at > ingest.data_as_of


def test_incremental_passes_reread_only_recent_pending_orders(golden_settings, engine) -> None:
    """order_order has no modification time: an incremental pass re-reads the Pending orders
    placed within LCM_PENDING_ORDER_LOOKBACK_DAYS of the newest landed order; an older one that
    completes waits for the next full pass."""
    builder, settings = golden_settings
    # No id overlap: in this small source it re-reads every discount, and so every order.
    narrow = settings.model_copy(
        update={"pending_order_lookback_days": 1e-6, "extract_id_overlap": 0}
    )
    wide = narrow.model_copy(update={"pending_order_lookback_days": 3650})
    pipeline.run_pass(narrow, mode="full", trigger="manual")
    before = snapshot(engine)
    with builder.engine.connect() as conn:
        pending = conn.execute(
            text("SELECT id FROM order_order WHERE status = 'Pending'")
        ).scalar_one()
    builder.set_order_status(pending, "Complete")

    missed = pipeline.run_pass(narrow, mode="incremental", trigger="manual")
    assert missed.ingest.counts["landed"] == 0, missed.ingest.counts
    assert snapshot(engine) == before
    seen = pipeline.run_pass(wide, mode="incremental", trigger="manual")
    assert seen.ingest.counts["landed"] > 0
    after_incremental = snapshot(engine)
    assert after_incremental != before
    pipeline.run_pass(narrow, mode="full", trigger="manual")
    assert snapshot(engine) == after_incremental
