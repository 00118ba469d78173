"""The eligibility sources on a real MariaDB holding the real LMS, license-manager and ecommerce DDL
(foreign keys, NOT NULL columns without defaults, datetime(6)), including the native ``uuid``
column edx-enterprise's migration 0242 gives enterprise_enterprisecustomer on MariaDB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from test_consent_email import emails
from test_eligibility_golden import facts, open_rejections

from lcm_etl import pipeline, queries
from lcm_etl.db import make_engine
from lcm_etl.ingest.sources import ddl

from support import eligibility_builder as eb
from support.sourcebuilder import SourceBuilder

pytestmark = pytest.mark.mysql

UTC = dt.UTC


def _load(mysql_url, *, native_uuid: bool = False) -> None:
    source = make_engine(mysql_url)
    ddl.load(source, ("lms_enterprise.sql", "license_manager.sql", "ecommerce.sql"))
    if native_uuid:
        with source.begin() as conn:
            # What edx-enterprise 0242_mariadb_uuid_conversion leaves: the customer's uuid is a
            # native (dashed) uuid, the char(32) columns pointing at it are unchanged.
            for constraint in (
                (
                    "consent_datasharingconsent",
                    "consent_datasharingconsent_enterprise_customer_id_fk",
                ),
                (
                    "enterprise_enterprisecustomeruser",
                    "enterprise_enterprisecustomeruser_enterprise_customer_id_fk",
                ),
            ):
                conn.execute(text(f"ALTER TABLE {constraint[0]} DROP FOREIGN KEY {constraint[1]}"))
            conn.execute(
                text("ALTER TABLE enterprise_enterprisecustomer MODIFY uuid uuid NOT NULL")
            )
    source.dispose()


def _settings(make_settings, mysql_url):
    url = mysql_url.render_as_string(hide_password=False)
    return make_settings(
        ecommerce_database_url=url, lms_database_url=url, license_manager_database_url=url
    )


@pytest.mark.parametrize("native_uuid", [False, True], ids=["char32", "native-uuid"])
def test_golden_eligibility_over_mariadb(mysql_url, make_settings, engine, native_uuid) -> None:
    _load(mysql_url, native_uuid=native_uuid)
    eb.build_golden(mysql_url, dt.datetime.now(UTC), create=False, native_uuid=native_uuid)
    settings = _settings(make_settings, mysql_url)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert facts(engine) == eb.EXPECTED
    expected_rejections = set(eb.EXPECTED_REJECTIONS)
    if native_uuid:
        expected_rejections.discard(
            ("lms", "enterprise_enterprisecustomer", "invalid_enterprise_uuid")
        )
    assert open_rejections(engine) == expected_rejections
    page = queries.learner_credit_page(engine, eb.EVERYTHING, settings=settings)
    assert page is not None
    assert page["reasons"] == eb.EXPECTED[eb.EVERYTHING][-1]
    # An incremental pass over the same source changes nothing.
    quiet = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert quiet.ingest.counts["landed"] == 0
    assert facts(engine) == eb.EXPECTED


def test_consent_over_mariadb_and_an_incremental_change(mysql_url, make_settings, engine) -> None:
    _load(mysql_url)
    b = SourceBuilder(mysql_url, create=False)
    e = eb.EligibilitySource(mysql_url, b, create=False)
    e.customer(eb.ELIGIBLE, "Eligible")
    offer = b.offer(eb.ELIGIBLE, name="Eligible")
    run = "course-v1:edX+DemoX+2026"
    for email in ("ann@e.example", "bob@e.example"):
        b.order(offer, email, [(run, D("100.00"), D("0.00"))])
    e.consent(eb.ELIGIBLE, "ann", run, True)
    bob = e.consent(eb.ELIGIBLE, "bob", run, False)
    settings = _settings(make_settings, mysql_url)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert emails(engine) == {"ann@e.example": True, "bob@e.example": False}
    e.set_consent(bob, True)
    result = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert emails(engine) == {"ann@e.example": True, "bob@e.example": True}
    assert result.ingest.counts["landed.lms.consent_datasharingconsent"] == 1
