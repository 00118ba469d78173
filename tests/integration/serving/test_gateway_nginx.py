"""The gateway (docker/gateway/) under a real nginx: each path the admin portal calls on its four
base URLs (analytics and ecommerce for offers; enterprise-access and enterprise-subsidy for
budgets) reaches the right upstream — lcm-etl for exactly the Learner Credit Management reads,
the original services for the rest and for every write — with the JWT cookies, the portal's
headers and the upstream's CORS answer intact. Loopback HTTP servers stand in for the
upstreams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from .nginx_gateway import REPO, TEMPLATE, TEMPLATE_VARIABLES, Gateway, echo_server, run_gateway

ENTERPRISE = "0a9ad1e6-6f5e-4c3b-9a57-1d2c3b4a5e6f"
DATA = f"/enterprise/api/v1/enterprise/{ENTERPRISE}"
ADMIN_OFFERS = f"/api/v2/enterprise/{ENTERPRISE}/enterprise-admin-offers/"
POLICY = "4b9f3c6e-2d7a-4f1e-9c55-0f3a8b2e6d11"
SUBSIDY = "0c8a5f2d6b1e4a9cb3d75e2f1a0c9b84"  # the services accept both UUID spellings
CONFIGURATION = "9d2e4b1a-3c5f-4e6a-8b7c-1d0e2f3a4b5c"
POLICIES = "/api/v1/subsidy-access-policies/"
ASSIGNMENTS = f"/api/v1/assignment-configurations/{CONFIGURATION}/admin/assignments/"
TRANSACTIONS = f"/api/v2/subsidies/{SUBSIDY}/admin/transactions/"
PORTAL = "http://localhost:1991"
COOKIES = "; ".join(
    [
        "edx-jwt-cookie-header-payload=eyJhbGciOiJSUzUxMiJ9.eyJyb2xlcyI6W119",
        "edx-jwt-cookie-signature=c2ln",
    ]
)
LCM_TABLE = (
    "page=1&page_size=20&offer_id=8812&ignore_null_course_list_price=true&ordering=-enrollment_date"
)

# (base URL, path with query, upstream that must answer)
ROUTES = [
    ("analytics", f"{DATA}/offers/8812/", "lcm"),
    ("analytics", f"{DATA}/offers/", "lcm"),
    ("analytics", f"{DATA}/offers/?offer_id=8812&ordering=-status", "lcm"),
    ("analytics", f"{DATA}/enrollments/?{LCM_TABLE}", "lcm"),
    ("analytics", f"{DATA}/enrollments/?{LCM_TABLE}&search=alice&search_course=demo", "lcm"),
    ("analytics", f"{DATA}/enrollments/?offer_id=8812", "lcm"),
    # The learner progress report and the other pages stay with the analytics API.
    ("analytics", f"{DATA}/enrollments/?page=1&page_size=50&ordering=user_email", "analytics"),
    ("analytics", f"{DATA}/enrollments/?page=1&offer_id=", "analytics"),
    ("analytics", f"{DATA}/enrollments/?offer_idx=8812", "analytics"),
    ("analytics", f"{DATA}/enrollments/", "analytics"),
    ("analytics", f"{DATA}/enrollments.csv/?page=1&page_size=50&no_page=true", "analytics"),
    ("analytics", f"{DATA}/enrollments/overview/", "analytics"),
    ("analytics", f"{DATA}/enrollments/overview/?offer_id=8812", "analytics"),
    ("analytics", f"{DATA}/users/?page=1&page_size=50&has_enrollments=false", "analytics"),
    ("analytics", "/enterprise/api/v1/enterprise/not-a-uuid!/offers/", "analytics"),
    ("analytics", "/health/", "analytics"),
    # ecommerce: only the admin offers.
    ("ecommerce", f"{ADMIN_OFFERS}?is_current=true", "lcm"),
    ("ecommerce", f"{ADMIN_OFFERS}8812/", "lcm"),
    ("ecommerce", f"/api/v2/enterprise/coupons/{ENTERPRISE}/overview/?page=1", "ecommerce"),
    ("ecommerce", f"/api/v2/enterprise/{ENTERPRISE}/enterprise-learner/", "ecommerce"),
    ("ecommerce", "/api/v2/enterprise/customers", "ecommerce"),
    # enterprise-access: the budget list and detail, and the Assigned table.
    ("access", f"{POLICIES}?enterprise_customer_uuid={ENTERPRISE}&active=true", "lcm"),
    ("access", f"{POLICIES}{POLICY}/", "lcm"),
    ("access", f"{ASSIGNMENTS}?state__in=allocated,errored&page=1&page_size=25", "lcm"),
    ("access", f"{POLICIES}{POLICY}/group-members?group_uuid={CONFIGURATION}", "access"),
    ("access", f"/api/v1/policy-allocation/{POLICY}/allocate/", "access"),
    (
        "access",
        f"/api/v1/policy-redemption/credits_available/?enterprise_customer_uuid={ENTERPRISE}",
        "access",
    ),
    ("access", f"/api/v1/learner-credit-requests/?enterprise_customer_uuid={ENTERPRISE}", "access"),
    ("access", f"/api/v1/assignment-configurations/{CONFIGURATION}/", "access"),
    ("access", f"{ASSIGNMENTS}cancel/", "access"),
    # enterprise-subsidy: the Spent table only.
    (
        "subsidy",
        f"{TRANSACTIONS}?state=committed&subsidy_access_policy_uuid={POLICY}&page=1",
        "lcm",
    ),
    ("subsidy", f"/api/v1/subsidies/{SUBSIDY}/", "subsidy"),
    ("subsidy", f"/api/v2/subsidies/{SUBSIDY}/admin/deposits/", "subsidy"),
    ("subsidy", f"/api/v1/transactions/{POLICY}/", "subsidy"),
]

# Writes on the paths lcm-etl reads stay with the services (a POST of transactions is a
# redemption), and so do their preflights.
WRITES = [
    ("access", "POST", POLICIES, "access"),
    ("access", "PATCH", f"{POLICIES}{POLICY}/", "access"),
    ("access", "DELETE", f"{POLICIES}{POLICY}/", "access"),
    ("access", "POST", ASSIGNMENTS, "access"),
    ("subsidy", "POST", TRANSACTIONS, "subsidy"),
]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with (
        echo_server("lcm") as lcm,
        echo_server("analytics") as analytics,
        echo_server("ecommerce") as ecommerce,
        echo_server("access") as access,
        echo_server("subsidy") as subsidy,
        run_gateway(
            tmp_path_factory.mktemp("gateway"),
            lcm_api=lcm.address,
            analytics_api=analytics.address,
            ecommerce=ecommerce.address,
            enterprise_access=access.address,
            enterprise_subsidy=subsidy.address,
        ) as running,
    ):
        yield running


def base(gateway: Gateway, host: str) -> str:
    return {
        "analytics": gateway.analytics_url,
        "ecommerce": gateway.ecommerce_url,
        "access": gateway.access_url,
        "subsidy": gateway.subsidy_url,
    }[host]


def portal_request(method: str, url: str, **headers: str) -> httpx.Response:
    return httpx.request(
        method,
        url,
        headers={"Origin": PORTAL, "Cookie": COOKIES, "USE-JWT-COOKIE": "true", **headers},
        follow_redirects=False,
    )


def echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("host", "path", "upstream"), ROUTES)
def test_each_path_reaches_the_right_upstream_intact(gateway, host, path, upstream) -> None:
    response = portal_request("GET", base(gateway, host) + path)
    seen = echoed(response)
    assert seen["upstream"] == upstream
    assert seen["method"] == "GET"
    assert seen["path"] == path  # path and query string untouched
    assert seen["headers"]["cookie"] == COOKIES
    assert seen["headers"]["use-jwt-cookie"] == "true"
    assert seen["headers"]["origin"] == PORTAL
    assert "authorization" not in seen["headers"]
    # The upstream's CORS answer comes back as it was sent.
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["x-upstream"] == upstream


@pytest.mark.parametrize(("host", "path", "upstream"), ROUTES)
def test_preflights_reach_the_same_upstream_as_the_request(gateway, host, path, upstream) -> None:
    response = portal_request(
        "OPTIONS",
        base(gateway, host) + path,
        **{
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "use-jwt-cookie",
        },
    )
    seen = echoed(response)
    assert (seen["upstream"], seen["method"], seen["path"]) == (upstream, "OPTIONS", path)
    assert seen["headers"]["access-control-request-headers"] == "use-jwt-cookie"
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "use-jwt-cookie" in response.headers["access-control-allow-headers"]


@pytest.mark.parametrize(("host", "method", "path", "upstream"), WRITES)
def test_writes_on_the_ledger_paths_reach_the_services(
    gateway, host, method, path, upstream
) -> None:
    seen = echoed(portal_request(method, base(gateway, host) + path))
    assert (seen["upstream"], seen["method"], seen["path"]) == (upstream, method, path)
    preflight = portal_request(
        "OPTIONS", base(gateway, host) + path, **{"Access-Control-Request-Method": method}
    )
    assert echoed(preflight)["upstream"] == upstream


def test_the_gateway_adds_no_cors_of_its_own(gateway) -> None:
    response = httpx.get(f"{gateway.analytics_url}{DATA}/offers/8812/")
    assert echoed(response)["upstream"] == "lcm"
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_forwarding_headers_name_the_client_and_keep_the_host(gateway) -> None:
    seen = echoed(portal_request("GET", f"{gateway.ecommerce_url}{ADMIN_OFFERS}?is_current=true"))
    assert seen["headers"]["host"] == gateway.ecommerce_url.removeprefix("http://")
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "http"


def test_compose_runs_the_shipped_template_with_every_variable() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    service = compose["services"]["gateway"]
    mount = f"./{TEMPLATE.relative_to(REPO)}:/etc/nginx/templates/{TEMPLATE.name}:ro"
    assert mount in service["volumes"]
    assert TEMPLATE.name.endswith(".template")  # the image renders only *.template files
    assert set(service["environment"]) == set(TEMPLATE_VARIABLES)
    assert service["environment"]["GATEWAY_LCM_API"] == "lcm-api:8000"
    listens = {
        service["environment"][f"GATEWAY_{n}_LISTEN"]
        for n in ("ANALYTICS", "ECOMMERCE", "ACCESS", "SUBSIDY")
    }
    assert {f"{port}:{port}" for port in listens} <= set(service["ports"])
    assert "lcm-api" in service["depends_on"]


def test_ci_installs_nginx_when_missing() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "apt-get install -y nginx" in ci
