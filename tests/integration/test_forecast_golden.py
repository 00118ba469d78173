"""The depletion forecast on golden budgets with recent activity: the page's forecast (Python)
and the analysts' view lcm.v_depletion_forecast (SQL) give the same, hand-worked answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import select, text

from lcm_etl import pipeline, queries
from lcm_etl.api.pagereader import PageReader
from lcm_etl.bench import baseline
from lcm_etl.schema import pipeline_run

from support.ledger_builder import LedgerBuilder, dashed
from support.sourcebuilder import SourceBuilder

SPEND = "PerLearnerSpendCreditAccessPolicy"


def test_page_and_view_forecasts_agree_on_golden_budgets(
    make_settings, sqlite_source_url, engine, database_url
) -> None:
    SourceBuilder(sqlite_source_url).engine.dispose()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    b = LedgerBuilder(sqlite_source_url)
    b.subsidy("S1", "fore", starting_balance=1_000_000, expires=now + dt.timedelta(days=365))
    b.subsidy("S2", "fore", starting_balance=1_000_000, expires=now + dt.timedelta(days=20))
    b.policy("P1", "fore", "S1", SPEND, spend_limit=100_000)
    b.redemption("S1", "P1", "old", 10_000, created=now - dt.timedelta(days=60))
    b.redemption("S1", "P1", "recent-a", 20_000, created=now - dt.timedelta(days=3))
    b.redemption("S1", "P1", "recent-b", 10_000, created=now - dt.timedelta(days=10))
    b.redemption("S1", "P1", "refunded", 6_000, created=now - dt.timedelta(days=5))
    b.reversal("refunded", 6_000, created=now - dt.timedelta(days=4))
    b.redemption("S1", "P1", "failed", 9_000, state="failed", created=now - dt.timedelta(days=2))
    b.policy("P2", "fore", "S2", SPEND, spend_limit=100_000)
    b.redemption("S2", "P2", "slow", 3_000, created=now - dt.timedelta(days=1))
    b.policy("P3", "fore", "S1", SPEND, spend_limit=50_000)
    b.dispose()
    url = sqlite_source_url.render_as_string()
    settings = make_settings(
        ecommerce_database_url=url, subsidy_database_url=url, access_database_url=url
    )
    pipeline.run_pass(settings, mode="full", trigger="manual")
    with engine.connect() as conn:
        as_of = conn.execute(
            select(pipeline_run.c.data_as_of).where(pipeline_run.c.stage == "publish")
        ).scalar_one()
        view = {
            row.subject_id: row
            for row in conn.execute(text("SELECT * FROM lcm.v_depletion_forecast"))
        }
    enterprise = uuid.UUID(dashed("enterprise:fore"))
    now = dt.datetime.now(dt.UTC)
    page = queries.learner_credit_page(engine, enterprise, settings=settings, now=now)
    assert page is not None
    # The benchmark's compute-on-read baseline gives the same budgets from the landing rows.
    with engine.connect() as conn:
        assert (
            baseline.budgets_from_landing(conn, enterprise, now=now, as_of=as_of)
            == (page["budgets"])
        )
    forecasts = {item["budget_id"]: item["forecast"] for item in page["budgets"]}

    p1, p2, p3 = dashed("policy:P1"), dashed("policy:P2"), dashed("policy:P3")
    # P1: spent 100 + 200 + 100 = $400 of $1,000 (the refund nets out, failed never counts);
    # the window holds $300 net: $10/day, so $600 lasts 60 days.
    expected_day = (as_of + dt.timedelta(days=60)).astimezone(dt.UTC).date()
    assert forecasts[p1] == {
        "method": "trailing_30_day_net_spend",
        "window_days": 30,
        "status": "projected",
        "daily_net_spend": 10.0,
        "projected_depletion_date": expected_day.isoformat(),
    }
    # P2: $1/day against $970 left, but its subsidy ends in 20 days.
    assert forecasts[p2]["status"] == "after_expiry"
    assert forecasts[p2]["daily_net_spend"] == 1.0
    assert forecasts[p3]["status"] == "no_recent_spend"

    for key, forecast in forecasts.items():
        row = view[key]
        assert row.status == forecast["status"]
        assert row.projected_depletion_date == (
            None
            if forecast["projected_depletion_date"] is None
            else dt.date.fromisoformat(forecast["projected_depletion_date"])
        )
        rate = None if row.daily_net_spend_usd is None else float(row.daily_net_spend_usd)
        assert rate == forecast["daily_net_spend"]
    # The API reads each budget's window spend with the budget's row (lcm.page_budgets,
    # migration 0023), the CLI groups the daily rows: the same page, byte for byte.
    reader = PageReader(database_url, settings, max_size=1)

    async def served() -> bytes | None:
        try:
            return await reader.page(enterprise, now=now)
        finally:
            await reader.close()

    assert asyncio.run(served()) == queries.page_json(page)
