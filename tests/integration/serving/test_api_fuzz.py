"""Fuzzing: schemathesis over the OpenAPI document, and hypothesis over the query parameters of
an enterprise with data, find no 5xx and no answer outside the documented shapes."""

from __future__ import annotations

import datetime as dt
import string
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from .serving_support import ACME, GLOBEX, OPERATOR

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure is reproducible
)


@pytest.fixture
def populated(read_model):
    current = read_model.offer(offer_id=8812, max_discount="10000.00", net="8000.00")
    read_model.offer(offer_id=8813, max_discount=None, end=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    read_model.offer(GLOBEX, offer_id=9000)
    for index, email in enumerate(["a%b@x.example", "o'neil@x.example", None, "z_z@x.example"]):
        read_model.redemption(
            current, user_email=email, course_list_price=None if index == 2 else "99.50"
        )
    read_model.publish_run()
    return current


@pytest.fixture
def api_schema(client, populated):
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_openapi_fuzz_finds_no_server_error(api_schema, mode, data) -> None:
    """Every operation of /openapi.json, with schema-valid (positive) and schema-violating
    (negative) parameters: never a 5xx, and every answer matches its documented schema."""
    case = data.draw(api_schema.as_strategy(generation_mode=mode))
    response = case.call(headers=OPERATOR)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


text_values = st.none() | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30
)
sql_like = st.sampled_from(["%", "_", "\\", "'", ";", "%_\\';", "' OR '1'='1", "\x00", "a%b"])
orderings = st.lists(
    st.sampled_from(
        ["user_email", "-course_title", "course_list_price", "-enrollment_date", "amount", "x"]
    ),
    max_size=3,
).map(",".join)
numbers = (
    st.none()
    | st.sampled_from(["1", "2", "0", "-1", "last", "abc", "1e3", "999999"])
    | (st.integers(-5, 2000).map(str))
)


@FUZZ
@given(
    page=numbers,
    page_size=numbers,
    ordering=st.none() | orderings,
    search=text_values | sql_like,
    search_course=text_values | sql_like,
    offer_id=st.none() | st.sampled_from(["8812", "9000", "abc", "-1", "0a9ad1e6-6f5e"]),
    ignore_null=st.none() | st.sampled_from(["", "true", "false"]),
)
def test_enrollment_parameters_never_cause_a_server_error(
    client, populated, page, page_size, ordering, search, search_course, offer_id, ignore_null
) -> None:
    params = {
        "page": page,
        "page_size": page_size,
        "ordering": ordering,
        "search": search,
        "search_course": search_course,
        "offer_id": offer_id,
        "ignore_null_course_list_price": ignore_null,
    }
    params = {key: value for key, value in params.items() if value is not None}
    response = client.get(
        f"/enterprise/api/v1/enterprise/{ACME}/enrollments/", params=params, headers=OPERATOR
    )
    assert response.status_code in {200, 400, 404}, response.text
    body = response.json()
    if response.status_code == 200:
        assert body["count"] >= len(body["results"])
        assert all(row["enterprise_customer_uuid"] == str(ACME) for row in body["results"])
    else:
        assert isinstance(body["detail"], str)
        assert body["detail"]


@FUZZ
@given(
    path=st.sampled_from(
        [
            "/api/v1/enterprises/{e}/learner-credit",
            "/enterprise/api/v1/enterprise/{e}/offers/",
            "/enterprise/api/v1/enterprise/{e}/offers/{o}/",
            "/api/v2/enterprise/{e}/enterprise-admin-offers/",
            "/api/v2/enterprise/{e}/enterprise-admin-offers/{o}/",
            "/enterprise/api/v1/enterprise/{e}/enrollments.csv",
        ]
    ),
    enterprise=st.sampled_from([str(ACME), ACME.hex, str(GLOBEX)])
    | st.text(alphabet=string.printable, max_size=40),
    offer=st.text(alphabet=string.ascii_letters + string.digits + "-%._", min_size=1, max_size=25),
    query=st.dictionaries(
        st.sampled_from(
            [
                "page",
                "page_size",
                "is_current",
                "usage_type",
                "discount_value",
                "status",
                "ordering",
                "offer_id",
                "no_page",
                "max_user_discount__isnull",
            ]
        ),
        text_values.filter(lambda v: v is not None) | sql_like,
        max_size=4,
    ),
)
def test_any_path_and_query_never_cause_a_server_error(
    client, populated, path, enterprise, offer, query
) -> None:
    url = path.format(e=quote(enterprise, safe=""), o=quote(offer, safe=""))
    response = client.get(url, params=query, headers=OPERATOR)
    assert response.status_code < 500, (url, query, response.text)
