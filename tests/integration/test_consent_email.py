"""Data-sharing consent: where the customer requests consent and the learner has not granted it for
the course, the learner's email is NULL in lcm.offer_redemption and everywhere it is served, and a
change of consent reaches the read model in the next incremental pass."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal as D

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from lcm_etl import pipeline
from lcm_etl.api import create_app
from lcm_etl.ingest.sources.lms import CONSENT_EXTERNALLY_MANAGED
from lcm_etl.schema import enterprise_eligibility

from support.eligibility_builder import EligibilitySource
from support.sourcebuilder import SourceBuilder

CONSENTING = uuid.UUID("c0a5e000-0000-4000-8000-000000000001")  # requests consent
EXTERNAL = uuid.UUID("c0a5e000-0000-4000-8000-000000000002")  # consent externally managed
NO_PROMPT = uuid.UUID("c0a5e000-0000-4000-8000-000000000003")  # consent prompt disabled
UNKNOWN = uuid.UUID("c0a5e000-0000-4000-8000-000000000004")  # the LMS does not know it
RUN = "course-v1:edX+DemoX+2026"
COURSE = "edX+DemoX"
SECRET = "consent-tests-hs256-secret-of-at-least-32-bytes"

#: email -> shown after a full pass with the LMS (and why)
EXPECTED = {
    "ann@consenting.example": True,  # granted for the course run
    "bob@consenting.example": False,  # declined
    "cat@consenting.example": False,  # never asked
    "dan@consenting.example": True,  # granted for the course (key, not run)
    "eve@consenting.example": False,  # asked, not answered (granted NULL)
    "fay@consenting.example": False,  # granted for another course only
    "gus@consenting.example": False,  # granted to another enterprise only
    "hal@external.example": True,  # consent managed outside edX
    "ivy@noprompt.example": True,  # the customer does not ask for consent
    "jan@unknown.example": True,  # consent unknown: shown by default
}


@pytest.fixture
def source(sqlite_source_url):
    b = SourceBuilder(sqlite_source_url)
    e = EligibilitySource(sqlite_source_url, b)
    e.customer(CONSENTING, "Consenting")
    e.customer(EXTERNAL, "External", enforce=CONSENT_EXTERNALLY_MANAGED)
    e.customer(NO_PROMPT, "No Prompt", consent=False)
    offers = {
        owner: b.offer(owner, name=name)
        for owner, name in (
            (CONSENTING, "Consenting"),
            (EXTERNAL, "External"),
            (NO_PROMPT, "No Prompt"),
            (UNKNOWN, "Unknown"),
        )
    }
    owners = {"consenting": CONSENTING, "external": EXTERNAL, "noprompt": NO_PROMPT}
    owners["unknown"] = UNKNOWN
    for email in EXPECTED:
        owner = owners[email.split("@")[1].split(".")[0]]
        b.order(offers[owner], email, [(RUN, D("100.00"), D("0.00"))])
    ids = {
        "ann": e.consent(CONSENTING, "ann", RUN, True),
        "bob": e.consent(CONSENTING, "bob", RUN, False),
        "dan": e.consent(CONSENTING, "dan", COURSE, True),
        "eve": e.consent(CONSENTING, "eve", RUN, None),
        "fay": e.consent(CONSENTING, "fay", "course-v1:edX+Other+2026", True),
        "gus": e.consent(EXTERNAL, "gus", RUN, True),
    }
    return b, e, ids


def settings_for(make_settings, url, *, lms: bool = True, **overrides):
    text_url = url.render_as_string()
    return make_settings(
        ecommerce_database_url=text_url,
        lms_database_url=text_url if lms else None,
        api_auth="jwt",
        jwt_secret=SECRET,
        **overrides,
    )


def emails(engine: Engine) -> dict[str, bool]:
    """Each learner's ecommerce email -> whether offer_redemption shows it."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.email, r.user_email FROM lcm.offer_redemption AS r "
                "JOIN lcm_raw.ecommerce_user AS u ON u.id = r.ecommerce_user_id"
            )
        ).all()
    shown = {}
    for email, served in rows:
        assert served in (None, email)  # an email is shown as is, or not at all
        shown[email] = served is not None
    return shown


def test_emails_follow_data_sharing_consent(source, make_settings, sqlite_source_url, engine):
    pipeline.run_pass(settings_for(make_settings, sqlite_source_url), mode="full", trigger="manual")
    assert emails(engine) == EXPECTED
    with engine.connect() as conn:
        visibility = dict(
            conn.execute(
                select(
                    enterprise_eligibility.c.enterprise_customer_uuid,
                    enterprise_eligibility.c.email_visibility,
                )
            ).all()
        )
    assert visibility == {
        CONSENTING: "consent_required",
        EXTERNAL: "shown",
        NO_PROMPT: "shown",
        UNKNOWN: "shown_consent_unknown",
    }


def _token(enterprise: uuid.UUID) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "roles": [f"enterprise_admin:{enterprise}"],
        "exp": int((now + dt.timedelta(hours=1)).timestamp()),
    }
    return {"Authorization": f"JWT {jwt.encode(claims, SECRET, algorithm='HS256')}"}


def test_hidden_emails_are_hidden_wherever_they_are_served(
    source, make_settings, sqlite_source_url, engine
):
    settings = settings_for(make_settings, sqlite_source_url)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    with engine.connect() as conn:
        view = set(
            conn.execute(
                text(
                    "SELECT user_email FROM lcm.v_offer_redemption "
                    "WHERE enterprise_customer_uuid = :u"
                ),
                {"u": CONSENTING},
            ).scalars()
        )
    assert view == {None, "ann@consenting.example", "dan@consenting.example"}

    base = f"/enterprise/api/v1/enterprise/{CONSENTING}"
    with TestClient(create_app(settings, engine=engine)) as client:
        answer = client.get(f"{base}/enrollments/", headers=_token(CONSENTING)).json()
        served = sorted(str(row["user_email"]) for row in answer["results"])
        assert served == ["None"] * 5 + ["ann@consenting.example", "dan@consenting.example"]
        csv_text = client.get(f"{base}/enrollments.csv", headers=_token(CONSENTING)).text
        csv_emails = sorted(row["user_email"] for row in csv.DictReader(io.StringIO(csv_text)))
        assert csv_emails == [""] * 5 + ["ann@consenting.example", "dan@consenting.example"]
        # A hidden email cannot be found by searching for it either.
        found = client.get(
            f"{base}/enrollments/", params={"search": "bob@"}, headers=_token(CONSENTING)
        ).json()
        assert found["count"] == 0


def test_a_consent_change_reaches_the_read_model_in_the_next_incremental_pass(
    source, make_settings, sqlite_source_url, engine
):
    _, e, ids = source
    settings = settings_for(make_settings, sqlite_source_url)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    e.set_consent(ids["bob"], True)  # bob changes his mind
    e.set_consent(ids["ann"], False)  # ann revokes hers
    e.consent(CONSENTING, "cat", RUN, True)  # cat is asked and agrees
    result = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    changed = {
        "ann@consenting.example": False,
        "bob@consenting.example": True,
        "cat@consenting.example": True,
    }
    assert emails(engine) == {**EXPECTED, **changed}
    # Only the orders of the learners whose consent changed were recomputed.
    assert result.publish.counts["scope_orders"] == 3
    assert result.ingest.counts["landed.lms.consent_datasharingconsent"] == 3


def test_a_consent_policy_change_recomputes_the_enterprise(
    source, make_settings, sqlite_source_url, engine
):
    _, e, _ = source
    settings = settings_for(make_settings, sqlite_source_url)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    e.set_customer(CONSENTING, enforce_data_sharing_consent=CONSENT_EXTERNALLY_MANAGED)
    pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert all(emails(engine).values())
    e.set_customer(CONSENTING, enforce_data_sharing_consent="at_enrollment")
    quiet = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert emails(engine) == EXPECTED
    assert quiet.publish.counts["scope_orders"] == 7  # the enterprise's orders, no others


def test_without_an_lms_emails_are_shown_unless_the_setting_hides_them(
    source, make_settings, sqlite_source_url, engine
):
    settings = settings_for(make_settings, sqlite_source_url, lms=False)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert all(emails(engine).values())  # as ecommerce has them
    strict = settings_for(
        make_settings, sqlite_source_url, lms=False, hide_emails_when_consent_unknown=True
    )
    result = pipeline.run_pass(strict, mode="incremental", trigger="manual")
    assert not any(emails(engine).values())
    assert result.publish.counts["scope_orders"] == len(EXPECTED)


def test_unsetting_the_lms_never_reveals_hidden_emails(
    source, make_settings, sqlite_source_url, engine
):
    pipeline.run_pass(settings_for(make_settings, sqlite_source_url), mode="full", trigger="manual")
    without_lms = settings_for(make_settings, sqlite_source_url, lms=False)
    pipeline.run_pass(without_lms, mode="full", trigger="manual")
    assert emails(engine) == EXPECTED
    with engine.connect() as conn:
        flags = set(conn.execute(select(enterprise_eligibility.c.lcm_screen_enabled)).scalars())
    assert flags == {None}  # the LMS facts are unknown, its consent settings still apply
