"""Attacks on the HTTP parameters and headers: injection in every parameter, oversized values,
numeric extremes, Host-header poisoning of links, formula injection in the CSV export.

Every attempt must end in a JSON 4xx (or an empty/literal result) — never a 5xx, never rows of
another tenant, never a cell a spreadsheet would execute.
"""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from serving.serving_support import ACME, GLOBEX, admin_of

from lcm_etl.api import create_app

ENROLLMENTS = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
ENROLLMENTS_CSV = f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv"
ANALYTICS_OFFERS = f"/enterprise/api/v1/enterprise/{ACME}/offers/"
ADMIN_OFFERS = f"/api/v2/enterprise/{ACME}/enterprise-admin-offers/"
PAGE = f"/api/v1/enterprises/{ACME}/learner-credit"
ACME_ADMIN = admin_of(ACME)


@pytest.fixture
def acme(read_model):
    offer = read_model.offer(offer_id=8812)
    read_model.offer(GLOBEX, offer_id=9000)
    for index in range(25):
        read_model.redemption(offer, user_email=f"learner{index}@acme.example")
    read_model.redemption(9000, GLOBEX, user_email="secret@globex.example")
    read_model.publish_run()
    return offer


# --- Host header and links -------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:443", "lcm.example.com@evil.example"]
)
def test_host_header_is_never_echoed_into_links(client, acme, host) -> None:
    """Defect 10b: ``next``/``previous`` were built from the request's Host header."""
    response = client.get(ENROLLMENTS, headers={**ACME_ADMIN, "Host": host}, params={"page": 2})
    assert response.status_code == 200
    body = response.json()
    for link in (body["next"], body["previous"]):
        assert link is not None
        assert "evil" not in link
        assert link.startswith("/enterprise/api/v1/")


def test_links_start_with_the_configured_public_base_url(api_settings, engine, acme) -> None:
    settings = api_settings(public_base_url="https://lcm.example.com/")
    with TestClient(create_app(settings, engine=engine)) as client:
        response = client.get(
            ENROLLMENTS, headers={**ACME_ADMIN, "Host": "evil.example"}, params={"page": 2}
        )
    body = response.json()
    assert body["next"] == f"https://lcm.example.com{ENROLLMENTS}?page=3"
    assert body["previous"] == f"https://lcm.example.com{ENROLLMENTS}"


# --- formula injection in the CSV export ---------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _csv_rows(client: TestClient) -> list[dict[str, str]]:
    response = client.get(ENROLLMENTS_CSV, headers=ACME_ADMIN)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_text_cells_that_start_a_formula_are_neutralised(client, read_model, formula) -> None:
    """Defect 2: learner emails and partner course titles were written unchanged."""
    offer = read_model.offer(offer_id=8812)
    read_model.redemption(offer, user_email=formula + "@x.example", course_title=formula)
    rows = _csv_rows(client)
    assert len(rows) == 1
    assert rows[0]["user_email"] == "'" + formula + "@x.example"
    assert rows[0]["course_title"] == "'" + formula


def test_csv_numbers_and_harmless_text_are_untouched(client, read_model) -> None:
    offer = read_model.offer(offer_id=8812)
    read_model.redemption(
        offer,
        user_email="o'neil@x.example",
        course_title="C++ for = people",
        course_list_price="-5.00",  # a number, even a negative one, is never prefixed
        amount="300.00",
    )
    row = _csv_rows(client)[0]
    assert row["user_email"] == "o'neil@x.example"
    assert row["course_title"] == "C++ for = people"
    assert row["course_list_price"] == "-5.0"
    assert row["amount"] == "300.0"


def test_json_answers_keep_the_text_as_stored(client, read_model) -> None:
    offer = read_model.offer(offer_id=8812)
    read_model.redemption(offer, course_title="=1+1")
    body = client.get(ENROLLMENTS, headers=ACME_ADMIN).json()
    assert body["results"][0]["course_title"] == "=1+1"


# --- oversized parameters and headers -------------------------------------------------------------


@pytest.mark.parametrize("name", ["search", "search_course"])
@pytest.mark.parametrize("path", [ENROLLMENTS, ENROLLMENTS_CSV])
def test_searches_longer_than_an_email_are_400(client, acme, name, path) -> None:
    """Defect 4: a 60,000-character ``%_`` pattern ran until the statement timeout."""
    assert client.get(path, params={name: "a" * 254}, headers=ACME_ADMIN).status_code == 200
    for size in (255, 30_000):  # 30,000 percent-encoded: near the URL limit
        response = client.get(path, params={name: ("%_" * size)[:size]}, headers=ACME_ADMIN)
        assert response.status_code == 400, response.text
        assert "at most 254 characters" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        (ENROLLMENTS, "ordering", ",".join(["-user_email"] * 3_000)),
        (ENROLLMENTS, "ordering", "x" * 60_000),
        (ANALYTICS_OFFERS, "ordering", "x," * 15_000),
        (ENROLLMENTS, "offer_id", "9" * 10_000),
        (ANALYTICS_OFFERS, "status", "O" * 10_000),
        (ADMIN_OFFERS, "usage_type", ",".join(["bogus"] * 5_000)),
        (ADMIN_OFFERS, "discount_value", "1" * 10_000),
        (ADMIN_OFFERS, "status", "Open" * 5_000),
    ],
)
def test_oversized_parameters_are_short_400s(client, acme, path, name, value) -> None:
    response = client.get(path, params={name: value}, headers=ACME_ADMIN)
    assert response.status_code == 400, response.text[:300]
    assert len(response.content) < 1_000  # the answer does not echo the input back


@pytest.mark.parametrize("page", ["9" * 12, "9" * 13, "9" * 5_000])
def test_huge_page_numbers_are_404(client, acme, page) -> None:
    response = client.get(ENROLLMENTS, params={"page": page}, headers=ACME_ADMIN)
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_huge_page_size_is_capped(client, acme) -> None:
    response = client.get(ENROLLMENTS, params={"page_size": "9" * 12}, headers=ACME_ADMIN)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 25


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "JWT " + "e30." * 20_000},
        {"X-Forwarded-For": "1.1.1.1, " * 5_000},
        {"Cookie": "edx-jwt-cookie-header-payload=" + "a" * 30_000},
        {"Accept-Language": "x" * 30_000},
    ],
    ids=["authorization", "forwarded-for", "cookie", "accept-language"],
)
def test_oversized_headers_never_cause_a_server_error(client, acme, headers) -> None:
    response = client.get(PAGE, headers={**ACME_ADMIN, **headers})
    assert response.status_code in {200, 400, 401, 431}, response.text[:300]


def test_enrollment_queries_run_under_a_shorter_statement_timeout(
    client, acme, monkeypatch
) -> None:
    """Defect 4: the enrollments queries give up well before the API's own 30 s."""
    from lcm_etl import queries
    from lcm_etl.api.enrollmentreader import EnrollmentReader

    seen: list[str] = []
    real_script, real_iter = EnrollmentReader.script, queries.iter_enrollments

    def spy_script(self, *args, **kwargs):
        # The page is one message: the timeout is set in it, before the page's statement.
        script, parameters = real_script(self, *args, **kwargs)
        setting = script.index("set_config('statement_timeout', %(timeout)s, true)")
        assert setting < script.index("lcm.offer_redemption")
        seen.append(parameters["timeout"])
        return script, parameters

    def spy_iter(conn, *args, **kwargs):
        seen.append(conn.exec_driver_sql("SHOW statement_timeout").scalar_one())
        return real_iter(conn, *args, **kwargs)

    monkeypatch.setattr(EnrollmentReader, "script", spy_script)
    monkeypatch.setattr(queries, "iter_enrollments", spy_iter)
    assert client.get(ENROLLMENTS, headers=ACME_ADMIN).status_code == 200
    assert client.get(ENROLLMENTS_CSV, headers=ACME_ADMIN).status_code == 200
    assert client.get(ENROLLMENTS, params={"no_page": 1}, headers=ACME_ADMIN).status_code == 200
    assert seen == ["5s", "5s", "5s"]
    assert queries.STATEMENT_TIMEOUT == "30s"


# --- numeric extremes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("100", 200),
        ("100.00", 200),
        ("0", 200),
        ("-0", 200),
        ("1e-10", 200),
        ("1.5000000000000000000000", 200),  # trailing zeros are not precision
        ("9999999999.99", 200),
        ("1e-11", 400),
        ("1e-20000", 400),
        ("-1e-20000", 400),
        ("1e10", 400),
        ("1e20000", 400),
        ("-1e20000", 400),
        ("NaN", 400),
        ("sNaN", 400),
        ("Infinity", 400),
        ("-inf", 400),
        ("0x10", 400),
        ("1_000", 400),
        ("١٠٠", 400),  # Arabic-Indic digits: Decimal() would read 100
        (" 100 ", 200),
        ("+1.5E+2", 200),
        (".5", 200),
        ("5.", 200),
    ],
)
def test_numeric_parameters_are_bounded_on_both_sides(client, acme, value, status) -> None:
    """Defect 5: ``discount_value=1e-20000`` overflowed PostgreSQL's NUMERIC (a 500)."""
    response = client.get(ADMIN_OFFERS, params={"discount_value": value}, headers=ACME_ADMIN)
    assert response.status_code == status, response.text


# --- injection in every parameter ---------------------------------------------------------------

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE lcm.offer_summary; --",
    "1 OR 1=1",
    "1; SELECT pg_sleep(10)",
    "%",
    "_",
    "\\",
    "%' OR enterprise_customer_uuid IS NOT NULL OR '",
    f"{GLOBEX}",
    "$$; RESET ROLE; $$",
    "\x00",
    "ä\u202e\ufeff",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    '{"$gt": ""}',
]
PARAMETERS = [
    (ENROLLMENTS, name)
    for name in (
        "page",
        "page_size",
        "offer_id",
        "ignore_null_course_list_price",
        "ordering",
        "search",
        "search_course",
        "no_page",
    )
] + [
    (ENROLLMENTS_CSV, "search"),
    (ENROLLMENTS_CSV, "ordering"),
    (ANALYTICS_OFFERS, "offer_id"),
    (ANALYTICS_OFFERS, "status"),
    (ANALYTICS_OFFERS, "ordering"),
    (ANALYTICS_OFFERS, "page"),
    (ADMIN_OFFERS, "is_current"),
    (ADMIN_OFFERS, "usage_type"),
    (ADMIN_OFFERS, "discount_value"),
    (ADMIN_OFFERS, "status"),
    (ADMIN_OFFERS, "max_user_applications__isnull"),
    (ADMIN_OFFERS, "max_user_discount__isnull"),
    (ADMIN_OFFERS, "page_size"),
]


@pytest.mark.parametrize(("path", "name"), PARAMETERS)
def test_injection_in_every_parameter(client, engine, acme, path, name) -> None:
    from sqlalchemy import func, select

    from lcm_etl.schema import offer_summary

    for payload in INJECTIONS:
        response = client.get(path, params={name: payload}, headers=ACME_ADMIN)
        assert response.status_code in {200, 400, 404}, (name, payload, response.text[:300])
        assert "globex" not in response.text.lower()
        if response.status_code != 200:
            assert response.json()["detail"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(offer_summary)).scalar_one() == 2


@pytest.mark.parametrize(
    "segment",
    [
        "8812 OR 1=1",
        "8812'--",
        "9000",  # GLOBEX's offer through ACME's URL
        "%25",
        "..%2F..%2Fhealthz",
        "9" * 40,
        "-1",
    ],
)
def test_injection_in_path_segments(client, acme, segment) -> None:
    for path in (
        f"/enterprise/api/v1/enterprise/{ACME}/offers/{segment}/",
        f"/api/v2/enterprise/{ACME}/enterprise-admin-offers/{segment}/",
    ):
        response = client.get(path, headers=ACME_ADMIN)
        assert response.status_code in {400, 404}, (path, response.text[:300])


@pytest.mark.parametrize(
    "enterprise",
    [f"{ACME}' OR '1'='1", f"{ACME};", f"urn:uuid:{ACME}", f"{{{ACME}}}", "*", "%2A"],
)
def test_injection_in_the_enterprise_segment(client, acme, enterprise) -> None:
    response = client.get(
        f"/api/v1/enterprises/{enterprise}/learner-credit",
        headers={"Authorization": ACME_ADMIN["Authorization"]},
    )
    assert response.status_code in {400, 404}, response.text[:300]
