"""Contract tests: our HTTP answers against the real services' payload shapes, field by field.

The expected key sets and JSON types below are copied from the services' serializers (named at
each constant; docs/architecture.md, "Contracts served"), not from lcm_etl, so a drift in our code
cannot hide itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import insert

from lcm_etl import queries
from lcm_etl.schema import offer_redemption

from .serving_support import ACME, CATALOG, GLOBEX, NOW, ReadModel, admin_of

ACME_ADMIN = admin_of(ACME)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
DASHED_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# edx-enterprise-data, HEAD shape of EnterpriseOfferSerializer, with JSON types.
ANALYTICS_OFFER_TYPES = {
    "offer_id": str,
    "budgets": list,
    "enterprise_customer_uuid": str,
    "enterprise_name": (str, type(None)),
    "sum_amount_learner_paid": (float, type(None)),
    "sum_course_price": (float, type(None)),
    "status": (str, type(None)),
    "offer_type": (str, type(None)),
    "date_created": (str, type(None)),
    "emails_for_usage_alert": (str, type(None)),
    "discount_type": (str, type(None)),
    "discount_value": (float, type(None)),
    "max_discount": (float, type(None)),
    "total_discount_ecommerce": (float, type(None)),
    "amount_of_offer_spent": (float, type(None)),
    "percent_of_offer_spent": (float, type(None)),
    "remaining_balance": (float, type(None)),
    "amount_offer_spent_ocm": (float, type(None)),
    "amount_offer_spent_exec_ed": (float, type(None)),
    "export_timestamp": (str, type(None)),
}
ANALYTICS_ENVELOPE = ["next", "previous", "count", "num_pages", "current_page", "start", "results"]

# edx-enterprise-data: EnrollmentsCSVRenderer.header at HEAD — the serializer's field order.
ENROLLMENT_HEADER = """enrollment_id, enterprise_enrollment_id, is_consent_granted, paid_by,
user_current_enrollment_mode, enrollment_date, unenrollment_date, unenrollment_end_within_date,
is_refunded, seat_delivery_method, offer_id, offer_name, offer_type, coupon_code, coupon_name,
contract_id, course_list_price, amount_learner_paid, course_key, courserun_key, course_title,
course_pacing_type, course_start_date, course_end_date, course_duration_weeks, course_max_effort,
course_min_effort, course_primary_program, primary_program_type, course_primary_subject,
has_passed, last_activity_date, progress_status, passed_date, current_grade, letter_grade,
enterprise_user_id, user_email, user_account_creation_date, user_country_code, user_username,
user_first_name, user_last_name, enterprise_name, enterprise_customer_uuid, enterprise_sso_uid,
created, course_api_url, total_learning_time_hours, is_subsidy, course_product_line, budget_id,
enterprise_flex_group_name, enterprise_flex_group_uuid, course_progress, course_passing_grade"""
SERVICE_ENROLLMENT_FIELDS = [f.strip() for f in ENROLLMENT_HEADER.replace("\n", " ").split(",")]

# ecommerce EnterpriseAdminOfferApiSerializer: ConditionalOffer fields + its 8 appended keys.
ADMIN_OFFER_TYPES = {
    "id": int,
    "name": str,
    "slug": str,
    "description": str,
    "offer_type": str,
    "exclusive": bool,
    "status": str,
    "priority": int,
    "start_datetime": (str, type(None)),
    "end_datetime": (str, type(None)),
    "max_global_applications": (int, type(None)),
    "max_user_applications": (int, type(None)),
    "max_basket_applications": (int, type(None)),
    "max_discount": (str, type(None)),
    "total_discount": str,
    "num_applications": int,
    "num_orders": int,
    "redirect_url": str,
    "date_created": str,
    "email_domains": (str, type(None)),
    "sales_force_id": (str, type(None)),
    "salesforce_opportunity_line_item": (str, type(None)),
    "max_user_discount": (str, type(None)),
    "emails_for_usage_alert": str,
    "usage_email_frequency": str,
    "condition": int,
    "benefit": int,
    "site": (int, type(None)),
    "partner": (int, type(None)),
    "enterprise_contract_metadata": (int, type(None)),
    "combinations": list,
    "usage_type": (str, type(None)),
    "discount_value": (float, type(None)),
    "enterprise_customer_uuid": str,
    "enterprise_catalog_uuid": (str, type(None)),
    "display_name": (str, type(None)),
    "remaining_balance": (str, type(None)),
    "remaining_applications": (int, type(None)),
    "is_current": bool,
}


def assert_types(row: dict, types: dict) -> None:  # type: ignore[type-arg]
    assert set(row) == set(types)
    for key, expected in types.items():
        # bool is an int subclass in Python but not in JSON: check it strictly.
        value = row[key]
        allowed = expected if isinstance(expected, tuple) else (expected,)
        assert type(value) in allowed, f"{key}: {value!r} is not {allowed}"


# ------------------------------------------------------------------------------------------------
# The learner-credit page
# ------------------------------------------------------------------------------------------------


def test_page_endpoint_returns_the_query_modules_json(client, read_model, engine, make_settings):
    read_model.offer(max_discount="10000.00", net="8000.00")
    response = client.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=ACME_ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body == queries.learner_credit_page(engine, ACME, settings=make_settings())
    assert body["offers"][0]["alerts"] == [{"kind": "low_balance", "dismissible": True}]
    assert response.headers["X-Data-As-Of"] == body["data_as_of"] == "2026-03-01T06:00:41Z"


def test_page_of_an_unknown_enterprise_is_404(client, read_model):
    read_model.offer(GLOBEX)
    response = client.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=ACME_ADMIN)
    assert response.status_code == 404
    assert "not in the read model" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/enterprises/{u}/learner-credit",
        "/enterprise/api/v1/enterprise/{u}/offers/",
        "/enterprise/api/v1/enterprise/{u}/enrollments/",
        "/api/v2/enterprise/{u}/enterprise-admin-offers/",
    ],
)
@pytest.mark.parametrize("bad", ["not-a-uuid", "0a9ad1e6-6f5e-4c3b-9a57", "'; DROP TABLE x;--"])
def test_a_malformed_enterprise_uuid_is_a_400_with_a_message(client, path, bad):
    response = client.get(path.format(u=bad), headers=ACME_ADMIN)
    assert response.status_code == 400
    assert "is not an enterprise customer UUID" in response.json()["detail"]


def test_undashed_uppercase_uuid_is_the_same_enterprise(client, read_model):
    read_model.offer()
    response = client.get(
        f"/api/v1/enterprises/{ACME.hex.upper()}/learner-credit", headers=ACME_ADMIN
    )
    assert response.status_code == 200
    assert response.json()["enterprise_customer_uuid"] == str(ACME)


# ------------------------------------------------------------------------------------------------
# Analytics API: offers
# ------------------------------------------------------------------------------------------------


def test_analytics_offer_detail_has_the_head_shape(client, read_model: ReadModel):
    offer_id = read_model.offer(max_discount="50000.00", net="12000.00")
    response = client.get(
        f"/enterprise/api/v1/enterprise/{ACME}/offers/{offer_id}/", headers=ACME_ADMIN
    )
    assert response.status_code == 200
    row = response.json()
    assert_types(row, ANALYTICS_OFFER_TYPES)
    assert row["offer_id"] == str(offer_id)
    assert row["budgets"] == []
    assert row["enterprise_customer_uuid"] == str(ACME)
    assert DASHED_UUID.match(row["enterprise_customer_uuid"])
    # Raw warehouse-style values (the portal clamps them, not the API); percent is a fraction.
    assert row["max_discount"] == 50000.0
    assert row["amount_of_offer_spent"] == 12000.0
    assert row["remaining_balance"] == 38000.0
    assert row["percent_of_offer_spent"] == 0.24
    assert row["discount_type"] == "Percentage"
    assert row["discount_value"] == 100.0
    assert row["export_timestamp"] == "2026-03-01T06:00:41Z"
    assert row["date_created"] == "2021-12-20T16:05:11.482913Z"
    assert response.headers["X-Data-As-Of"] == "2026-03-01T06:00:41Z"


def test_analytics_offer_keeps_raw_overspend_and_null_cap(client, read_model):
    overspent = read_model.offer(max_discount="1.00", net="1.34")
    uncapped = read_model.offer(max_discount=None, net="100.00")
    base = f"/enterprise/api/v1/enterprise/{ACME}/offers"
    row = client.get(f"{base}/{overspent}/", headers=ACME_ADMIN).json()
    assert (row["remaining_balance"], row["percent_of_offer_spent"]) == (-0.34, 1.34)
    row = client.get(f"{base}/{uncapped}/", headers=ACME_ADMIN).json()
    assert (row["max_discount"], row["remaining_balance"], row["percent_of_offer_spent"]) == (
        None,
        None,
        None,
    )


def test_analytics_offer_of_another_enterprise_is_404(client, read_model):
    theirs = read_model.offer(GLOBEX)
    base = f"/enterprise/api/v1/enterprise/{ACME}/offers"
    for offer_id in (theirs, "nope", "99999999999999999999999"):
        response = client.get(f"{base}/{offer_id}/", headers=ACME_ADMIN)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_analytics_offer_list_envelope_paging_and_cap(client, read_model):
    ids = [read_model.offer(offer_id=100 + i) for i in range(105)]
    read_model.offer(GLOBEX, offer_id=999)
    base = f"/enterprise/api/v1/enterprise/{ACME}/offers/"
    first = client.get(base, headers=ACME_ADMIN)
    assert first.status_code == 200
    body = first.json()
    assert list(body) == ANALYTICS_ENVELOPE
    assert (body["count"], body["num_pages"], body["current_page"], body["start"]) == (
        105,
        11,
        1,
        0,
    )  # default page size 10
    assert body["previous"] is None
    assert body["next"] == f"http://testserver{base}?page=2"
    assert [r["offer_id"] for r in body["results"]] == [str(i) for i in ids[:10]]
    capped = client.get(base, params={"page_size": 500, "page": 2}, headers=ACME_ADMIN).json()
    assert (capped["num_pages"], capped["current_page"], capped["start"]) == (2, 2, 100)
    assert len(capped["results"]) == 5
    assert capped["previous"] == f"http://testserver{base}?page_size=500"
    unpaged = client.get(base, params={"no_page": "1"}, headers=ACME_ADMIN).json()
    assert isinstance(unpaged, list)
    assert len(unpaged) == 105


def test_analytics_offer_list_filters_and_orders(client, read_model):
    read_model.offer(offer_id=1, status="Open", net="10.00")
    read_model.offer(offer_id=2, status="Consumed", net="30.00")
    read_model.offer(offer_id=3, status="Open", net="20.00")
    base = f"/enterprise/api/v1/enterprise/{ACME}/offers/"

    def ids(**params):
        response = client.get(base, params=params, headers=ACME_ADMIN)
        assert response.status_code == 200, response.text
        return [r["offer_id"] for r in response.json()["results"]]

    assert ids(status="Open") == ["1", "3"]
    assert ids(offer_id="2") == ["2"]
    assert ids(offer_id="0a9ad1e66f5e4c3b9a571d2c3b4a5e6f") == []
    assert ids(ordering="-amount_of_offer_spent") == ["2", "3", "1"]
    assert ids(ordering="status,-offer_id") == ["2", "3", "1"]
    bad = client.get(base, params={"ordering": "password"}, headers=ACME_ADMIN)
    assert bad.status_code == 400
    assert "password" in bad.json()["detail"]
    assert "amount_of_offer_spent" in bad.json()["detail"]


# ------------------------------------------------------------------------------------------------
# Analytics API: enrollments
# ------------------------------------------------------------------------------------------------


def enrollments(client, **params):
    return client.get(
        f"/enterprise/api/v1/enterprise/{ACME}/enrollments/", params=params, headers=ACME_ADMIN
    )


def test_enrollment_rows_have_the_service_fields_in_order_plus_amount(client, read_model):
    offer_id = read_model.offer()
    read_model.redemption(
        offer_id,
        course_list_price="300.00",
        amount="300.00",
        amount_learner_paid="0.00",
        enrollment_date=dt.date(2022, 3, 14),
        enterprise_enrollment_id=5583021,
    )
    response = enrollments(client)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ANALYTICS_ENVELOPE
    row = body["results"][0]
    assert list(row) == [*SERVICE_ENROLLMENT_FIELDS, "amount"]
    assert row["offer_id"] == str(offer_id)  # HEAD: a string
    assert row["course_list_price"] == 300.0  # a number (FloatField), not "300.00"
    assert type(row["course_list_price"]) is float
    assert row["amount"] == 300.0
    assert row["amount_learner_paid"] == 0.0
    assert row["enrollment_date"] == "2022-03-14"
    assert row["is_refunded"] is False
    assert row["user_email"] == "alice@acme.example"
    assert row["course_title"] == "Demonstration Course"
    assert row["course_key"] == "edX+DemoX"
    assert row["courserun_key"] == "course-v1:edX+DemoX+2T2026"
    assert row["enterprise_customer_uuid"] == str(ACME)
    assert row["enterprise_name"] == "Acme Corp"
    assert row["offer_type"] == "Site"
    assert row["created"] == "2026-03-01T06:00:41Z"  # data_as_of: "Data last updated on"
    assert row["course_api_url"] == (
        f"/enterprise/v1/enterprise-catalogs/{ACME}/courses/course-v1:edX+DemoX+2T2026"
    )
    assert row["is_subsidy"] is False
    # What the read model does not hold is null, never invented.
    # The admin portal's row id: an integer, never null (the LMS's, or the order line's).
    assert row["enterprise_enrollment_id"] == 5583021
    for field in ("enrollment_id", "has_passed", "user_username"):
        assert row[field] is None
    assert response.headers["X-Data-As-Of"] == "2026-03-01T06:00:41Z"


def test_hidden_email_and_missing_price_are_null(client, read_model):
    offer_id = read_model.offer()
    read_model.redemption(offer_id, user_email=None, course_list_price=None)
    row = enrollments(client).json()["results"][0]
    assert row["user_email"] is None
    assert row["course_list_price"] is None


def test_enrollments_filters(client, read_model):
    first = read_model.offer()
    second = read_model.offer()
    read_model.offer(GLOBEX)
    read_model.redemption(first, user_email="Ann@Acme.example", course_title="Python 101")
    read_model.redemption(first, user_email="bob@acme.example", course_list_price=None)
    read_model.redemption(second, user_email="cy@acme.example", course_title="Data Science")
    read_model.redemption(999, GLOBEX, user_email="ann@globex.example")

    def emails(**params):
        response = enrollments(client, **params)
        assert response.status_code == 200, response.text
        return sorted(r["user_email"] for r in response.json()["results"])

    assert emails() == ["Ann@Acme.example", "bob@acme.example", "cy@acme.example"]
    assert emails(offer_id=str(first)) == ["Ann@Acme.example", "bob@acme.example"]
    assert emails(offer_id="0a9ad1e6-6f5e-4c3b-9a57-1d2c3b4a5e6f") == []
    assert emails(ignore_null_course_list_price="true") == ["Ann@Acme.example", "cy@acme.example"]
    # Any non-empty value, even "false", drops null prices — like the service.
    assert emails(ignore_null_course_list_price="false") == [
        "Ann@Acme.example",
        "cy@acme.example",
    ]
    assert emails(search="ANN") == ["Ann@Acme.example"]
    assert emails(search_course="science") == ["cy@acme.example"]
    assert emails(search="acme", search_course="python") == ["Ann@Acme.example"]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("%", ["100%_off@acme.example"]),
        ("_", ["100%_off@acme.example", "a_b@acme.example"]),
        ("\\", ["back\\slash@acme.example"]),
        ("'", ["o'brien@acme.example"]),
        (";", ["semi;colon@acme.example"]),
        ("%_", ["100%_off@acme.example"]),
        ("a%b", []),
        ("'; DROP TABLE lcm.offer_redemption; --", []),
    ],
)
def test_search_matches_sql_metacharacters_literally(client, read_model, needle, expected):
    offer_id = read_model.offer()
    for email in (
        "100%_off@acme.example",
        "a_b@acme.example",
        "back\\slash@acme.example",
        "o'brien@acme.example",
        "semi;colon@acme.example",
        "plain@acme.example",
    ):
        read_model.redemption(offer_id, user_email=email)
    response = enrollments(client, search=needle)
    assert response.status_code == 200
    assert sorted(r["user_email"] for r in response.json()["results"]) == expected
    assert enrollments(client).json()["count"] == 6  # the table survived


def test_enrollments_ordering(client, read_model):
    offer_id = read_model.offer()
    read_model.redemption(offer_id, user_email="b@x", enrollment_date=dt.date(2026, 1, 2))
    read_model.redemption(offer_id, user_email="a@x", enrollment_date=dt.date(2026, 1, 3))
    read_model.redemption(offer_id, user_email="c@x", enrollment_date=dt.date(2026, 1, 1))
    read_model.redemption(offer_id, user_email="d@x", enrollment_date=dt.date(2026, 1, 3))

    def emails(**params):
        response = enrollments(client, **params)
        assert response.status_code == 200, response.text
        return [r["user_email"] for r in response.json()["results"]]

    # Default -enrollment_date (the LCM page's order); ties broken newest-row-first.
    assert emails() == ["d@x", "a@x", "b@x", "c@x"]
    assert emails(ordering="user_email") == ["a@x", "b@x", "c@x", "d@x"]
    assert emails(ordering="-enrollment_date,user_email") == ["a@x", "d@x", "b@x", "c@x"]
    assert emails(ordering=" enrollment_date , -user_email ") == ["c@x", "b@x", "d@x", "a@x"]
    assert emails(ordering="") == emails()


def test_unknown_ordering_is_a_400_listing_the_allowed_fields(client, read_model):
    read_model.offer()
    response = enrollments(client, ordering="user_email,-secret_column")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "-secret_column" in detail
    for allowed in ("user_email", "course_title", "course_list_price", "enrollment_date"):
        assert allowed in detail


def test_enrollment_pages_like_drf(client, read_model, engine):
    offer_id = read_model.offer()
    rows = [
        {
            "order_discount_id": i,
            "order_line_id": i,
            "enterprise_enrollment_id": i,
            "offer_id": offer_id,
            "enterprise_customer_uuid": ACME,
            "order_id": i,
            "order_number": f"EDX-{i}",
            "user_email": f"learner{i:04d}@acme.example",
            "course_title": "Course",
            "course_list_price": Decimal("10.00"),
            "amount": Decimal("10.00"),
            "redeemed_at": NOW,
            "enrollment_date": NOW.date(),
            "is_refunded": False,
            "amount_refunded": Decimal(0),
        }
        for i in range(1, 1006)
    ]
    with engine.begin() as conn:
        conn.execute(insert(offer_redemption), rows)
    body = enrollments(client, page_size=5000).json()  # capped at 1000
    assert (body["count"], body["num_pages"], len(body["results"])) == (1005, 2, 1000)
    last = enrollments(client, page_size=1000, page=2).json()
    assert (last["current_page"], last["start"], len(last["results"]), last["next"]) == (
        2,
        1000,
        5,
        None,
    )
    assert enrollments(client, page="last", page_size=1000).json()["current_page"] == 2
    default = enrollments(client, page_size="abc").json()  # not a positive int → default 10
    assert len(default["results"]) == 10
    assert len(enrollments(client, page_size="0").json()["results"]) == 10
    for bad_page in ("3", "0", "-1", "abc", "1.5", "99999999999999"):
        response = enrollments(client, page=bad_page, page_size=1000)
        assert response.status_code == 404, bad_page
        assert response.json() == {"detail": "Invalid page."}


def test_an_empty_result_still_has_page_one(client, read_model):
    read_model.offer()
    body = enrollments(client).json()
    assert body == {
        "next": None,
        "previous": None,
        "count": 0,
        "num_pages": 1,
        "current_page": 1,
        "start": 0,
        "results": [],
    }
    assert enrollments(client, page=2).status_code == 404


def test_enrollments_no_page_is_a_bare_streamed_array(client, read_model):
    offer_id = read_model.offer()
    for _ in range(3):
        read_model.redemption(offer_id)
    response = enrollments(client, no_page="true")
    assert response.status_code == 200
    rows = response.json()
    assert isinstance(rows, list)
    assert len(rows) == 3
    assert list(rows[0]) == [*SERVICE_ENROLLMENT_FIELDS, "amount"]


@pytest.mark.parametrize("suffix", ["enrollments.csv", "enrollments.csv/"])
def test_enrollments_csv_streams_every_row_in_the_service_column_order(
    client, read_model, engine, suffix
):
    offer_id = read_model.offer()
    read_model.redemption(offer_id, user_email=None, is_refunded=True, course_title='Say "hi", ok')
    rows = [
        {
            "order_discount_id": 10_000 + i,
            "order_line_id": 10_000 + i,
            "enterprise_enrollment_id": 10_000 + i,
            "offer_id": offer_id,
            "enterprise_customer_uuid": ACME,
            "order_id": i,
            "order_number": f"EDX-{i}",
            "user_email": f"learner{i}@acme.example",
            "course_title": "Course",
            "course_list_price": Decimal("10.00"),
            "amount": Decimal("10.00"),
            "redeemed_at": NOW,
            "enrollment_date": dt.date(2020, 1, 1),
            "is_refunded": False,
            "amount_refunded": Decimal(0),
        }
        for i in range(2500)
    ]
    with engine.begin() as conn:
        conn.execute(insert(offer_redemption), rows)
    with client.stream(
        "GET",
        f"/enterprise/api/v1/enterprise/{ACME}/{suffix}",
        params={"page": 1, "page_size": 50, "no_page": "true"},  # what the portal sends; ignored
        headers=ACME_ADMIN,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == (
            'attachment; filename="learner_progress_report.csv"'
        )
        assert response.headers["X-Data-As-Of"] == "2026-03-01T06:00:41Z"
        chunks = list(response.iter_text())
    assert len(chunks) > 1  # streamed in pieces, not built in one string
    table = list(csv.reader(io.StringIO("".join(chunks))))
    assert table[0] == [*SERVICE_ENROLLMENT_FIELDS, "amount"]
    assert len(table) == 1 + 2501
    first = dict(zip(table[0], table[1], strict=True))  # newest enrollment first
    assert first["user_email"] == ""  # null → empty cell
    assert first["is_refunded"] == "True"
    assert first["course_title"] == 'Say "hi", ok'
    assert first["course_list_price"] == "300.0"
    assert first["offer_id"] == str(offer_id)


def test_csv_with_bad_ordering_fails_before_streaming(client, read_model):
    read_model.offer()
    response = client.get(
        f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv",
        params={"ordering": "nope"},
        headers=ACME_ADMIN,
    )
    assert response.status_code == 400
    assert "nope" in response.json()["detail"]


# ------------------------------------------------------------------------------------------------
# ecommerce: enterprise admin offers
# ------------------------------------------------------------------------------------------------


def admin_offers(client, enterprise=ACME, **params):
    return client.get(
        f"/api/v2/enterprise/{enterprise}/enterprise-admin-offers/",
        params=params,
        headers=admin_of(enterprise),
    )


def test_admin_offer_has_the_serializers_full_key_set_and_types(client, read_model):
    start = dt.datetime(2022, 1, 3, tzinfo=dt.UTC)
    offer_id = read_model.offer(
        start=start,
        end=dt.datetime(2099, 1, 3, tzinfo=dt.UTC),
        max_discount="50000.00",
        net="12000.00",
        total_discount_ecommerce="12000.00",
        num_applications=40,
    )
    response = admin_offers(client)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results"]
    row = body["results"][0]
    assert_types(row, ADMIN_OFFER_TYPES)
    assert row["id"] == offer_id
    assert row["max_discount"] == "50000.00"  # DecimalField → string
    assert row["total_discount"] == "12000.00"
    assert row["remaining_balance"] == "38000.00"  # str(max_discount − total_discount)
    assert row["discount_value"] == 100.0  # raw Decimal in to_representation → number
    assert row["usage_type"] == "Percentage"
    assert row["display_name"] == "Acme Corp - JAN22"
    assert row["enterprise_customer_uuid"] == str(ACME)
    assert row["enterprise_catalog_uuid"] == str(CATALOG)
    assert row["start_datetime"] == "2022-01-03T00:00:00Z"
    assert row["date_created"] == "2021-12-20T16:05:11.482913Z"
    assert row["is_current"] is True
    assert row["combinations"] == []
    assert (row["condition"], row["benefit"], row["partner"], row["site"]) == (9120, 9031, 1, None)
    assert (row["priority"], row["max_basket_applications"], row["exclusive"]) == (10, 1, True)
    assert row["num_applications"] == 40
    assert row["remaining_applications"] is None
    assert "X-Data-As-Of" in response.headers


def test_admin_offer_remaining_balance_like_ecommerces_test(client, read_model):
    # ecommerce's test_enterprise_offer_remaining_balance: max 20, seats 13.37 + 5 → "1.63".
    read_model.offer(max_discount="20.00", net="18.37", max_global_applications=10)
    row = admin_offers(client).json()["results"][0]
    assert row["remaining_balance"] == "1.63"
    assert row["remaining_applications"] == 7
    read_model.offer(GLOBEX, max_discount="1.00", net="1.34")
    read_model.offer(GLOBEX, max_discount=None)
    rows = admin_offers(client, GLOBEX).json()["results"]
    assert [r["remaining_balance"] for r in rows] == ["-0.34", None]
    assert rows[1]["max_discount"] is None


def test_admin_offers_is_current_filter_at_request_time(client, read_model):
    current = read_model.offer(offer_id=1)
    read_model.offer(offer_id=2, end=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    future = read_model.offer(offer_id=3, start=NOW + dt.timedelta(days=2))
    assert [r["id"] for r in admin_offers(client, is_current="true").json()["results"]] == [current]
    ended = admin_offers(client, is_current="false").json()["results"]
    assert [(r["id"], r["is_current"]) for r in ended] == [(2, False), (future, False)]
    assert admin_offers(client).json()["count"] == 3
    bad = admin_offers(client, is_current="maybe")
    assert bad.status_code == 400
    assert "is_current" in bad.json()["detail"]


def test_admin_offers_other_filters(client, read_model):
    read_model.offer(offer_id=1)
    read_model.offer(offer_id=2, usage_type="Absolute", discount_value="50.00")
    read_model.offer(offer_id=3, max_user_discount="100.00", status="Consumed")
    read_model.offer(offer_id=4, offer_type="Voucher")  # not a Site offer: never listed

    def ids(**params):
        response = admin_offers(client, **params)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [1, 2, 3]
    assert ids(usage_type="ABSOLUTE") == [2]
    assert ids(usage_type="percentage,absolute") == [1, 2, 3]
    assert ids(discount_value="50") == [2]
    assert ids(status="Consumed") == [3]
    assert ids(max_user_discount__isnull="true") == [1, 2]
    assert ids(max_user_applications__isnull="false") == []
    assert admin_offers(client, usage_type="bogus").status_code == 400
    assert admin_offers(client, discount_value="NaN").status_code == 400


def test_admin_offer_detail_and_paging(client, read_model):
    for i in range(25):
        read_model.offer(offer_id=i + 1)
    theirs = read_model.offer(GLOBEX, offer_id=500)
    first = admin_offers(client).json()
    assert (first["count"], len(first["results"])) == (25, 20)  # PAGE_SIZE 20
    assert first["next"].endswith("/enterprise-admin-offers/?page=2")
    assert admin_offers(client, page=3).json() == {"detail": "Invalid page."}
    assert len(admin_offers(client, page_size=20000).json()["results"]) == 25
    base = f"/api/v2/enterprise/{ACME}/enterprise-admin-offers"
    detail = client.get(f"{base}/7/", headers=ACME_ADMIN)
    assert detail.status_code == 200
    assert_types(detail.json(), ADMIN_OFFER_TYPES)
    for missing in (theirs, 9999, "abc"):
        response = client.get(f"{base}/{missing}/", headers=ACME_ADMIN)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


# ------------------------------------------------------------------------------------------------
# Health
# ------------------------------------------------------------------------------------------------


def test_healthz_is_503_before_the_first_publish(client, read_model):
    read_model.publish_run(status="failed")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_reports_the_age_of_the_last_successful_publish(client, read_model):
    finished = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    read_model.publish_run(finished_at=finished)
    read_model.publish_run(status="failed", finished_at=dt.datetime.now(dt.UTC))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert 600 <= body["age_seconds"] < 3600
    assert ISO_Z.match(body["last_publish_finished_at"])
    assert body["data_as_of"] == response.headers["X-Data-As-Of"] == "2026-03-01T06:00:41Z"
    # Read from the primary: no replica, no lag (tests/integration/replica has the standby).
    assert body["replication"] == {"role": "primary", "lag_seconds": None, "last_replay_at": None}


def test_openapi_document_lists_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/v1/enterprises/{enterprise_uuid}/learner-credit",
        "/enterprise/api/v1/enterprise/{enterprise_uuid}/offers/",
        "/enterprise/api/v1/enterprise/{enterprise_uuid}/offers/{offer_id}/",
        "/enterprise/api/v1/enterprise/{enterprise_uuid}/enrollments/",
        "/enterprise/api/v1/enterprise/{enterprise_uuid}/enrollments.csv",
        "/api/v2/enterprise/{enterprise_uuid}/enterprise-admin-offers/",
        "/api/v2/enterprise/{enterprise_uuid}/enterprise-admin-offers/{offer_id}/",
        "/healthz",
        "/api/v1/subsidy-access-policies/",
        "/api/v1/subsidy-access-policies/{policy_uuid}/",
        "/api/v1/assignment-configurations/{configuration_uuid}/admin/assignments/",
        "/api/v2/subsidies/{subsidy_uuid}/admin/transactions/",
    }
    assert client.get("/docs").status_code == 200


def test_every_timestamp_is_utc_with_z(client, read_model):
    read_model.offer(
        start=dt.datetime(2026, 1, 1, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    )
    page = client.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=ACME_ADMIN).json()
    assert page["offers"][0]["start_datetime"] == "2026-01-01T00:30:00Z"
    assert all(ISO_Z.match(v) for v in (page["data_as_of"], page["offers"][0]["end_datetime"]))
    uuid.UUID(page["enterprise_customer_uuid"])


def test_an_abandoned_csv_download_gives_its_connection_back(client, read_model, engine):
    offer_id = read_model.offer()
    rows = [
        {
            "order_discount_id": i,
            "order_line_id": i,
            "enterprise_enrollment_id": i,
            "offer_id": offer_id,
            "enterprise_customer_uuid": ACME,
            "order_id": i,
            "order_number": f"EDX-{i}",
            "user_email": f"learner{i}@acme.example",
            "course_title": "A course title long enough to fill the chunks " * 3,
            "course_list_price": Decimal("10.00"),
            "amount": Decimal("10.00"),
            "redeemed_at": NOW,
            "enrollment_date": NOW.date(),
            "is_refunded": False,
            "amount_refunded": Decimal(0),
        }
        for i in range(1, 5001)
    ]
    with engine.begin() as conn:
        conn.execute(insert(offer_redemption), rows)
    with client.stream(
        "GET", f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv", headers=ACME_ADMIN
    ) as response:
        first = next(response.iter_text())
        assert first.startswith("enrollment_id,")
    assert engine.pool.checkedout() == 0
