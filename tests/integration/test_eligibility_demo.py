"""The demo source generates every eligibility case and learners who declined consent; a pass
over it gives each showcase its reason, `lcm-etl page` shows it, and emails follow consent."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from lcm_etl import cli, demo, pipeline
from lcm_etl.schema import enterprise_eligibility
from lcm_etl.settings import get_settings

REASONS = {
    demo.SHOWCASE_LOW_BALANCE_ENTERPRISE: [],
    demo.SHOWCASE_DEPLETED_ENTERPRISE: [],
    demo.SHOWCASE_UNCAPPED_ENTERPRISE: [],
    demo.SHOWCASE_HEALTHY_ENTERPRISE: [],
    demo.SHOWCASE_SUBSCRIPTION_ENTERPRISE: ["has_subscription_plan"],
    demo.SHOWCASE_COUPON_ENTERPRISE: ["has_coupon_codes"],
    demo.SHOWCASE_SCREEN_DISABLED_ENTERPRISE: ["lcm_screen_disabled"],
    demo.SHOWCASE_TWO_OFFERS_ENTERPRISE: ["multiple_current_offers"],
    demo.SHOWCASE_NOT_FCFS_ENTERPRISE: ["offer_not_fcfs_org_wide"],
    demo.SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE: ["no_current_offer"],
    demo.SHOWCASE_LARGE_ENTERPRISE: [],
}


@pytest.fixture
def demo_pass(make_settings, engine):
    settings = make_settings()  # no source URLs: the demo file is every source
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    demo.generate(f"sqlite:///{settings.demo_source_path}", seed=7, scale="S", replace=True)
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    return settings, result


def test_every_showcase_gets_its_reason(demo_pass, engine) -> None:
    _, result = demo_pass
    assert set(result.ingest.counts) >= {
        "landed.lms.enterprise_enterprisecustomer",
        "landed.lms.consent_datasharingconsent",
        "landed.license_manager.subscriptions_subscriptionplan",
        "landed.ecommerce.voucher_voucher_offers",
    }
    with engine.connect() as conn:
        reasons = dict(
            conn.execute(
                select(
                    enterprise_eligibility.c.enterprise_customer_uuid,
                    enterprise_eligibility.c.reasons,
                )
            ).all()
        )
    assert {str(k): v for k, v in reasons.items() if str(k) in REASONS} == REASONS


def test_lcm_etl_page_fills_eligibility(demo_pass, database_url, monkeypatch) -> None:
    settings, _ = demo_pass
    monkeypatch.setenv("LCM_DATABASE_URL", database_url.render_as_string(hide_password=False))
    monkeypatch.setenv("LCM_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        answers = {
            showcase: CliRunner().invoke(cli.app, ["page", showcase])
            for showcase in (demo.SHOWCASE_COUPON_ENTERPRISE, demo.SHOWCASE_HEALTHY_ENTERPRISE)
        }
    finally:
        get_settings.cache_clear()
    coupon = json.loads(answers[demo.SHOWCASE_COUPON_ENTERPRISE].stdout)
    assert (coupon["eligible"], coupon["reasons"]) == (False, ["has_coupon_codes"])
    current = [o["offer_id"] for o in coupon["offers"] if o["is_current"]]
    assert coupon["lcm_offer_id"] == current[0]
    healthy = json.loads(answers[demo.SHOWCASE_HEALTHY_ENTERPRISE].stdout)
    assert (healthy["eligible"], healthy["reasons"]) == (True, [])
    assert healthy["lcm_offer_id"] == healthy["offers"][0]["offer_id"]


def test_declined_learners_emails_are_hidden(demo_pass, engine) -> None:
    settings, _ = demo_pass
    acme = uuid.UUID(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
    source = create_engine(f"sqlite:///{settings.demo_source_path}")
    with source.connect() as conn:
        granted = set(
            conn.execute(
                text(
                    "SELECT username, course_id FROM consent_datasharingconsent "
                    "WHERE enterprise_customer_id = :e AND granted = 1"
                ),
                {"e": acme.hex},
            ).all()
        )
    source.dispose()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.username, r.courserun_key, r.course_key, r.user_email, u.email "
                "FROM lcm.offer_redemption AS r "
                "JOIN lcm_raw.ecommerce_user AS u ON u.id = r.ecommerce_user_id "
                "WHERE r.enterprise_customer_uuid = :e"
            ),
            {"e": acme},
        ).all()
        hooli = conn.execute(
            text(
                "SELECT count(*), count(user_email) FROM lcm.offer_redemption "
                "WHERE enterprise_customer_uuid = :e"
            ),
            {"e": uuid.UUID(demo.SHOWCASE_HEALTHY_ENTERPRISE)},
        ).one()
    hidden = 0
    for username, run, course, served, email in rows:
        shown = (username, run) in granted or (username, course) in granted
        assert served == (email if shown else None)
        hidden += not shown
    assert 0 < hidden < len(rows)  # ~2.5 % of Acme's learners declined
    assert hooli[0] == hooli[1] > 0  # consent managed outside edX: every email shown
