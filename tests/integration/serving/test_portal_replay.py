"""The admin portal's Learner Credit Management page, replayed against a real ``lcm-etl serve``.

A read model built by a full pass over the demo source; the server started as an operator
starts it (the CLI, JWKS verification, the portal's origin allowed); then the page's requests in
the order and the exact form the offer-era portal (frontend-app-admin-portal, 2023) sends them:
each one preflighted (its custom ``USE-JWT-COOKIE`` header forces it), then sent with the LMS's
split JWT cookies, credentials and no ``Authorization`` header. Every field the page reads is
checked the way the page uses it. Where nginx is installed, the same replay runs through the
gateway of docker/gateway/, with stand-ins for the original analytics API and ecommerce.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.engine import URL

from lcm_etl import demo, pipeline
from lcm_etl.bench.load import running_server
from lcm_etl.settings import Settings, load_settings

from .nginx_gateway import echo_server, run_gateway
from .serving_support import jwt_cookies, make_token, rsa_jwk

PORTAL = "http://localhost:1991"  # the portal's origin (its devstack port)
ACME = uuid.UUID(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
LMS_KID = "lms-2026-01"
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")


@dataclasses.dataclass(frozen=True)
class Served:
    base: str
    lms_key: Any
    settings: Settings


@pytest.fixture
def served(tmp_path: Path, database_url: URL) -> Iterator[Served]:
    """A read model from the demo source (scale S, with its LMS and license-manager tables),
    served by ``lcm-etl serve`` with the LMS's JWKS and the portal's origin."""
    source = f"sqlite:///{tmp_path / 'demo-source.sqlite'}"
    demo.generate(source, seed=7, scale="S", replace=True)
    lms_key, lms_jwk = rsa_jwk(LMS_KID)
    variables = {
        "LCM_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "LCM_DATA_DIR": str(tmp_path / "data"),
        "LCM_ECOMMERCE_DATABASE_URL": source,
        "LCM_LMS_DATABASE_URL": source,
        "LCM_LICENSE_MANAGER_DATABASE_URL": source,
        "LCM_LOCK_TIMEOUT_SECONDS": "60",
        "LCM_API_AUTH": "jwt",
        "LCM_JWT_PUBLIC_KEYS": json.dumps({"keys": [lms_jwk]}),
        "LCM_CORS_ALLOWED_ORIGINS": PORTAL,
    }
    settings = load_settings(**{k.removeprefix("LCM_").lower(): v for k, v in variables.items()})
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"
    executable = shutil.which("lcm-etl", path=str(Path(sys.executable).parent))
    assert executable is not None, "lcm-etl is not installed in this environment"
    # `lcm-etl serve` as an operator runs it, on a free loopback port, until /healthz answers.
    with running_server((executable, "serve"), variables, tmp_path / "serve.log") as server:
        yield Served(server.base_url, lms_key, settings)


def lms_jwt(private_key: Any) -> str:
    """A token as the LMS puts it in the browser's cookies: RS512, the LMS's claims."""
    return make_token(
        [f"enterprise_admin:{ACME}"],
        key=private_key,
        algorithm="RS512",
        headers={"kid": LMS_KID},
        aud="openedx",
        iss="http://localhost:18000/oauth2",
        sub="5f2a1c1e0b9d4f5e8a7c6b5a4d3c2b1a",
        email="lc-admin@acme.example",
        administrator=False,
        version="1.2.0",
        scopes=["read", "write", "email", "profile"],
        filters=["user:me"],
    )


class Portal:
    """The portal's HTTP client: preflight, then the request with cookies and credentials."""

    def __init__(self, token: str) -> None:
        self.cookies = jwt_cookies(token)

    def get(self, url: str) -> dict[str, Any]:
        preflight = httpx.options(
            url,
            headers={
                "Origin": PORTAL,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "use-jwt-cookie",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == PORTAL
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "use-jwt-cookie" in preflight.headers["access-control-allow-headers"].lower()
        assert "GET" in preflight.headers["access-control-allow-methods"]
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = httpx.get(
            url,
            headers={
                "Origin": PORTAL,
                "Cookie": cookie,
                "USE-JWT-COOKIE": "true",
                "Accept": "application/json, text/plain, */*",
            },
        )
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == PORTAL
        assert response.headers["access-control-allow-credentials"] == "true"
        body: dict[str, Any] = response.json()
        return body


def replay_lcm_page(ecommerce_base: str, data_api_base: str, portal: Portal) -> None:
    """The page's requests and what it reads from them (LearnerCreditManagement and its hooks)."""
    # 1. EnterpriseSubsidiesContext: ecommerce's current offers (`?is_current=true`).
    offers = portal.get(
        f"{ecommerce_base}/api/v2/enterprise/{ACME}/enterprise-admin-offers/?is_current=true"
    )
    results = offers["results"]
    assert len(results) == 1  # the page is offered only to customers with exactly one offer
    offer = results[0]
    assert isinstance(offer["id"], int)
    assert (
        offer["display_name"]
        == "Acme Corp - "
        + dt.datetime.fromisoformat(offer["start_datetime"]).strftime("%b%y").upper()
    )
    assert ISO_DATETIME.fullmatch(offer["start_datetime"])
    assert ISO_DATETIME.fullmatch(offer["end_datetime"])
    assert offer["is_current"] is True  # the "Active" badge

    # 2. useOfferSummary: the analytics API's offer row (the summary cards).
    data_api = f"{data_api_base}/enterprise/api/v1/enterprise/{ACME}"
    summary = portal.get(f"{data_api}/offers/{offer['id']}/")
    assert summary["offer_id"] == str(offer["id"])
    for field in ("max_discount", "amount_of_offer_spent", "remaining_balance"):
        assert isinstance(summary[field], float), field
    assert isinstance(summary["percent_of_offer_spent"], float)
    # transformOfferSummary's arithmetic: the showcase is low on balance (> 75 % spent, > $100).
    total, spent = summary["max_discount"], summary["amount_of_offer_spent"]
    assert 0 < spent <= total
    assert summary["remaining_balance"] == pytest.approx(total - spent, abs=0.01)
    assert 0.75 < summary["percent_of_offer_spent"] <= 1
    assert summary["percent_of_offer_spent"] == pytest.approx(spent / total, abs=1e-6)
    assert summary["remaining_balance"] > 100

    # 3. useOfferRedemptions: the table, exactly as fetchCourseEnrollments builds the URL.
    enrollments = f"{data_api}/enrollments/"
    table_query = (
        f"page=1&page_size=20&offer_id={offer['id']}&ignore_null_course_list_price=true"
        "&ordering=-enrollment_date"
    )
    table = portal.get(f"{enrollments}?{table_query}")
    assert table["count"] > 20
    assert table["num_pages"] == -(-table["count"] // 20)
    rows = table["results"]
    assert len(rows) == 20
    check_table_rows(rows)
    dates = [row["enrollment_date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    # The "Data last updated on" label reads the first row's `created`.
    assert ISO_DATETIME.fullmatch(rows[0]["created"])

    # The page's filters: search (email) and search_course (title), with the same base params.
    email = next(row["user_email"] for row in rows if row["user_email"])
    fragment = email.split("@")[0][1:5].upper()
    searched = portal.get(f"{enrollments}?{table_query}&search={quote(fragment)}")
    assert 0 < searched["count"] < table["count"]
    check_table_rows(searched["results"])
    assert all(fragment.lower() in row["user_email"].lower() for row in searched["results"])
    title = rows[0]["course_title"]
    word = max(title.split(), key=len).lower()
    by_course = portal.get(f"{enrollments}?{table_query}&search_course={quote(word)}")
    assert 0 < by_course["count"] <= table["count"]
    check_table_rows(by_course["results"])
    assert all(word in row["course_title"].lower() for row in by_course["results"])
    # Page 2 continues where page 1 stopped (the table's own paging).
    second = portal.get(f"{enrollments}?{table_query.replace('page=1', 'page=2', 1)}")
    check_table_rows(second["results"])
    assert second["results"][0]["enrollment_date"] <= rows[-1]["enrollment_date"]


def check_table_rows(rows: list[dict[str, Any]]) -> None:
    """transformUtilizationTableResults keeps six fields per row; the table and its tracking
    events use them as these types."""
    for row in rows:
        assert ISO_DATETIME.fullmatch(row["created"])
        eid = row["enterprise_enrollment_id"]
        assert isinstance(eid, int)
        assert not isinstance(eid, bool)
        assert eid > 0
        assert row["user_email"] is None or "@" in row["user_email"]  # null: "Email hidden"
        assert isinstance(row["course_title"], str)
        assert row["course_title"]
        assert isinstance(row["course_list_price"], float)  # `$${courseListPrice}`
        assert ISO_DATE.fullmatch(row["enrollment_date"])


def test_the_lcm_page_replayed_against_lcm_etl_serve(served: Served) -> None:
    portal = Portal(lms_jwt(served.lms_key))
    replay_lcm_page(served.base, served.base, portal)
    # Without the cookies (and no header) the portal is told to log in, readably (CORS).
    response = httpx.get(
        f"{served.base}/enterprise/api/v1/enterprise/{ACME}/offers/",
        headers={"Origin": PORTAL, "USE-JWT-COOKIE": "true"},
    )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == PORTAL
    # The enrollment ids the portal sends in its tracking events survive the next pass.
    url = f"{served.base}/enterprise/api/v1/enterprise/{ACME}/enrollments/?page_size=1000"
    before = portal.get(url)["results"]
    assert pipeline.run_pass(served.settings, mode="full", trigger="manual").publish.status == (
        "succeeded"
    )
    after = portal.get(url)["results"]
    assert [row["created"] for row in after] != [row["created"] for row in before]  # a new pass

    def rows_of(answer: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k != "created"} for row in answer]

    assert rows_of(after) == rows_of(before)


def test_the_lcm_page_replayed_through_the_gateway(served: Served, tmp_path: Path) -> None:
    with (
        echo_server("analytics") as analytics,
        echo_server("ecommerce") as ecommerce,
        run_gateway(
            tmp_path / "gateway",
            lcm_api=served.base.removeprefix("http://"),
            analytics_api=analytics.address,
            ecommerce=ecommerce.address,
        ) as gateway,
    ):
        replay_lcm_page(
            gateway.ecommerce_url, gateway.analytics_url, Portal(lms_jwt(served.lms_key))
        )
