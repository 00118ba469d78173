"""`lcm-etl bench-freshness` end to end on a small source (correctness only, no timing)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert

from lcm_etl import pipeline
from lcm_etl.bench import freshness
from lcm_etl.events.enterprises import enterprise_customer_user
from lcm_etl.settings import Settings

from support.sourcebuilder import SourceBuilder

ACME = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
# The NOT NULL columns of enterprise_enterprisecustomeruser besides the two a lookup reads.
LINK = {
    "created": dt.datetime(2026, 1, 1),
    "modified": dt.datetime(2026, 1, 1),
    "active": True,
    "linked": True,
    "should_inactivate_other_customers": False,
    "is_relinkable": True,
}


def test_bench_freshness_times_rounds_that_reach_the_page(
    bus_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    source = SourceBuilder(source_url)
    offer = source.offer(ACME, name="Acme", max_discount=Decimal("5000.00"))
    source.order(offer, "ada@acme.example", [("course-v1:edX+A+1", Decimal("300"), Decimal("0"))])
    engine = create_engine(source_url)
    enterprise_customer_user.create(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(enterprise_customer_user),
            [{"user_id": 5150, "enterprise_customer_id": ACME.hex, **LINK}],
        )
    engine.dispose()
    settings = bus_settings(ecommerce_database_url=source_url, lms_database_url=source_url)
    pipeline.run_pass(settings, mode="full", trigger="manual")

    result = freshness.run(settings, rounds=2)

    assert (result.enterprise_uuid, result.offer_id, result.lms_user_id) == (str(ACME), offer, 5150)
    assert [(r.redeemed_before, r.redeemed_after) for r in result.rounds] == [
        (Decimal("300"), Decimal("310")),
        (Decimal("310"), Decimal("320")),
    ]
    assert all(r.seconds_to_page >= r.seconds_pass > 0 for r in result.rounds)
    report = result.as_json()
    assert report["goal_seconds"] == freshness.GOAL_SECONDS
    assert len(report["rounds"]) == 2
