"""lcm.enterprise_eligibility and the page's verdict for a hand-made source with one enterprise
per rule and per combination (tests/eligibility_builder.py), with the LMS and license-manager
tables next to the ecommerce ones in one SQLite file (MariaDB: test_eligibility_mysql.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lcm_etl import pipeline, queries
from lcm_etl.schema import enterprise_eligibility, pipeline_run, rejected_record, watermark

from support import eligibility_builder as eb

UTC = dt.UTC

FACT_COLUMNS = (
    enterprise_eligibility.c.lcm_screen_enabled,
    enterprise_eligibility.c.offer_count,
    enterprise_eligibility.c.current_offer_count,
    enterprise_eligibility.c.current_fcfs_offer_count,
    enterprise_eligibility.c.active_subscription_plan_count,
    enterprise_eligibility.c.active_coupon_code_count,
    enterprise_eligibility.c.reasons,
)


def stored(engine: Engine) -> dict[uuid.UUID, Any]:
    with engine.connect() as conn:
        return {
            row.enterprise_customer_uuid: row
            for row in conn.execute(select(enterprise_eligibility))
        }


def facts(engine: Engine) -> dict[uuid.UUID, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(enterprise_eligibility.c.enterprise_customer_uuid, *FACT_COLUMNS)
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def open_rejections(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                rejected_record.c.source, rejected_record.c.source_table, rejected_record.c.reason
            )
            .where(rejected_record.c.stage == "landing", rejected_record.c.resolved_at.is_(None))
            .distinct()
        ).all()
    return {tuple(row) for row in rows}


@pytest.fixture
def golden(make_settings, sqlite_source_url, engine):
    now = dt.datetime.now(UTC)
    builders = eb.build_golden(sqlite_source_url, now)
    url = sqlite_source_url.render_as_string()
    settings = make_settings(
        ecommerce_database_url=url, lms_database_url=url, license_manager_database_url=url
    )
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    return settings, result, builders, now


def test_every_reason_code_and_combination_is_stored(golden, engine) -> None:
    got = facts(engine)
    for enterprise, expected in eb.EXPECTED.items():
        assert got[enterprise] == expected, enterprise
    rows = stored(engine)
    for enterprise, (*_, reasons) in eb.EXPECTED.items():
        assert rows[enterprise].is_eligible is (reasons == [])


def test_the_page_gives_the_same_verdict_as_the_stored_row(golden, engine) -> None:
    settings, *_ = golden
    rows = stored(engine)
    for enterprise, (*_, reasons) in eb.EXPECTED.items():
        page = queries.learner_credit_page(engine, enterprise, settings=settings)
        assert page is not None
        assert (page["eligible"], page["reasons"]) == (reasons == [], reasons), enterprise
        stored_offer = rows[enterprise].lcm_offer_id
        assert page["lcm_offer_id"] == (None if stored_offer is None else str(stored_offer))
        current = [o["offer_id"] for o in page["offers"] if o["is_current"]]
        assert page["lcm_offer_id"] == (current[0] if len(current) == 1 else None)


def test_an_enterprise_without_offers_has_a_page_that_says_why(golden, engine) -> None:
    settings, *_ = golden
    page = queries.learner_credit_page(engine, eb.LMS_ONLY, settings=settings)
    assert page is not None
    assert page["enterprise_name"] == "Lms Only"
    assert (page["eligible"], page["reasons"], page["offers"]) == (
        False,
        ["no_current_offer"],
        [],
    )
    assert page["lcm_offer_id"] is None
    assert page["data_as_of"] is not None
    unknown = uuid.UUID("e1191b1e-0000-4000-8000-0000000000ff")
    assert queries.learner_credit_page(engine, unknown, settings=settings) is None


def test_windows_are_stored_for_request_time(golden, engine) -> None:
    rows = stored(engine)
    # Only the plans that can still count: the expired, inactive, internal and bad ones are gone.
    assert rows[eb.ELIGIBLE].subscription_plan_windows == []
    assert rows[eb.ELIGIBLE].coupon_code_windows == []
    assert len(rows[eb.SUBSCRIBED].subscription_plan_windows) == 1
    future = rows[eb.FUTURE_PLAN].subscription_plan_windows
    assert len(future) == 1
    assert future[0].lower > rows[eb.FUTURE_PLAN].data_as_of
    # Three codes with one window: one window, counted three times.
    assert len(rows[eb.COUPONS].coupon_code_windows) == 1
    assert rows[eb.COUPONS].coupon_code_counts == [3]


def test_bad_rows_are_rejected_with_reasons(golden, engine) -> None:
    assert open_rejections(engine) >= eb.EXPECTED_REJECTIONS | eb.EXPECTED_LOOSE_REJECTIONS
    with engine.connect() as conn:
        bad_plan = conn.execute(
            select(rejected_record.c.enterprise_customer_uuid, rejected_record.c.payload).where(
                rejected_record.c.reason == "plan_expiration_before_start"
            )
        ).one()
    assert bad_plan.enterprise_customer_uuid == eb.ELIGIBLE
    assert bad_plan.payload["title"].startswith("plan ")
    _, result, *_ = golden
    # The run log counts them (ecommerce landing rejects nothing in this source).
    assert result.ingest.counts["rejected"] == len(
        eb.EXPECTED_REJECTIONS | eb.EXPECTED_LOOSE_REJECTIONS
    )
    # A rejected enterprise UUID does not become an enterprise.
    assert all(isinstance(key, uuid.UUID) for key in stored(engine))


def test_the_run_log_records_the_sources_that_took_part(golden, engine) -> None:
    _, result, *_ = golden
    with engine.connect() as conn:
        sources = conn.execute(
            select(pipeline_run.c.sources).where(pipeline_run.c.run_id == result.ingest.run_id)
        ).scalar_one()
    assert set(sources) == {"ecommerce", "lms", "license_manager", "subsidy", "access"}
    took_part = ("ecommerce", "lms", "license_manager")
    assert all(sources[name].startswith("sqlite:///") for name in took_part)
    # No ledger-era source here: the run log says they took no part.
    assert sources["subsidy"] is None
    assert sources["access"] is None
    assert result.ingest.counts["landed.license_manager.subscriptions_subscriptionplan"] > 0


def test_rerunning_passes_gives_identical_eligibility(golden, engine) -> None:
    settings, *_ = golden
    before = facts(engine)
    again = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert facts(engine) == before
    quiet = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert facts(engine) == before
    assert quiet.ingest.counts["landed"] == 0
    assert again.publish.counts["eligibility_written"] == len(before)  # data_as_of moved


def test_incremental_passes_follow_the_sources(golden, engine) -> None:
    settings, _, (_, e, ids), now = golden
    # The LMS turns the flag off; a plan starts; a plan and a code disappear at the source.
    e.set_customer(eb.ELIGIBLE, enable_portal_learner_credit_management_screen=False)
    e.plan(e.agreement(eb.HALF_PRICE), now - eb.DAY, now + 30 * eb.DAY)
    with e.engine.begin() as conn:
        from lcm_etl.ingest.sources import license_manager as lm

        conn.execute(
            lm.subscription_plan.delete().where(
                lm.subscription_plan.c.customer_agreement_id == ids["subscribed_agreement"]
            )
        )
    for code in ids["coupon_codes"][:2]:
        e.delete_voucher(code)
    result = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    got = facts(engine)
    assert got[eb.ELIGIBLE][-1] == ["lcm_screen_disabled"]
    assert got[eb.HALF_PRICE][-1] == ["offer_not_fcfs_org_wide", "has_subscription_plan"]
    assert got[eb.SUBSCRIBED][-1] == []
    assert got[eb.COUPONS][-2:] == (1, ["has_coupon_codes"])
    assert result.ingest.counts["deleted.license_manager.subscriptions_subscriptionplan"] == 2
    assert result.ingest.counts["deleted.ecommerce.voucher_voucher_offers"] == 2


def test_without_an_lms_source_the_screen_flag_is_unknown(golden, engine, make_settings) -> None:
    settings, *_ = golden
    url = settings.ecommerce_database_url
    without_lms = make_settings(ecommerce_database_url=url, license_manager_database_url=url)
    result = pipeline.run_pass(without_lms, mode="incremental", trigger="manual")
    got = facts(engine)
    assert all(fact[0] is None for fact in got.values())
    assert all("lcm_screen_disabled" not in fact[-1] for fact in got.values())
    assert got[eb.SCREEN_OFF][-1] == []
    assert got[eb.EVERYTHING][-1] == [
        "multiple_current_offers",
        "has_subscription_plan",
        "has_coupon_codes",
    ]
    page = queries.learner_credit_page(engine, eb.SCREEN_OFF, settings=without_lms)
    assert page is not None
    assert (page["eligible"], page["reasons"]) == (True, [])
    with engine.connect() as conn:
        sources = conn.execute(
            select(pipeline_run.c.sources).where(pipeline_run.c.run_id == result.ingest.run_id)
        ).scalar_one()
        markers = set(conn.execute(select(watermark.c.source).distinct()).scalars())
    assert sources["lms"] is None
    assert sources["license_manager"] is not None
    assert "lms" not in markers
    # The LMS comes back: its facts are known again, read from scratch.
    pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert facts(engine)[eb.SCREEN_OFF][-1] == ["lcm_screen_disabled"]


def test_without_license_manager_subscriptions_are_unknown(golden, engine, make_settings) -> None:
    settings, *_ = golden
    url = settings.ecommerce_database_url
    pipeline.run_pass(
        make_settings(ecommerce_database_url=url, lms_database_url=url),
        mode="full",
        trigger="manual",
    )
    rows = stored(engine)
    assert all(row.subscription_plan_windows is None for row in rows.values())
    assert all(row.active_subscription_plan_count is None for row in rows.values())
    assert rows[eb.SUBSCRIBED].reasons == []
    assert rows[eb.NOT_FCFS_SUBSCRIBED].reasons == ["offer_not_fcfs_org_wide"]


def test_an_lms_without_the_tables_is_unknown_not_an_error(
    golden, engine, make_settings, tmp_path
) -> None:
    settings, *_ = golden
    empty = f"sqlite:///{tmp_path / 'empty-lms.sqlite'}"
    result = pipeline.run_pass(
        make_settings(
            ecommerce_database_url=settings.ecommerce_database_url,
            license_manager_database_url=settings.ecommerce_database_url,
            lms_database_url=empty,
        ),
        mode="incremental",
        trigger="manual",
    )
    assert result.ingest.counts["unknown.lms.enterprise_enterprisecustomer"] == 1
    assert all(fact[0] is None for fact in facts(engine).values())


def test_a_targeted_pass_reads_only_its_enterprises(golden, engine) -> None:
    settings, _, (_, e, _), _ = golden
    e.set_customer(eb.ELIGIBLE, enable_portal_learner_credit_management_screen=False)
    e.set_customer(eb.SUBSCRIBED, enable_portal_learner_credit_management_screen=False)
    result = pipeline.run_pass(
        settings, mode="targeted", trigger="event", enterprise_uuids=[eb.ELIGIBLE]
    )
    assert result.ingest.counts["landed.lms.enterprise_enterprisecustomer"] == 1
    got = facts(engine)
    assert got[eb.ELIGIBLE][-1] == ["lcm_screen_disabled"]
    assert got[eb.SUBSCRIBED][-1] == ["has_subscription_plan"]  # not read yet
