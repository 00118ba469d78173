"""The admin portal's way of calling: the JWT split across two cookies (real HS256 and JWKS-signed
tokens), cross-origin with credentials, after a CORS preflight."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lcm_etl.api import create_app

from .serving_support import (
    ACME,
    GLOBEX,
    admin_of,
    cookie_header,
    jwt_cookies,
    make_token,
    rsa_jwk,
)

PORTAL = "https://portal.example.com"
OTHER_PORTAL = "https://evil.example.net"
PAGE = f"/api/v1/enterprises/{ACME}/learner-credit"
API_ROUTES = [
    PAGE,
    f"/enterprise/api/v1/enterprise/{ACME}/offers/",
    f"/enterprise/api/v1/enterprise/{ACME}/offers/8812/",
    f"/enterprise/api/v1/enterprise/{ACME}/enrollments/?offer_id=8812",
    f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv?offer_id=8812",
    f"/api/v2/enterprise/{ACME}/enterprise-admin-offers/?is_current=true",
    f"/api/v2/enterprise/{ACME}/enterprise-admin-offers/8812/",
]


@pytest.fixture(autouse=True)
def acme_offer(read_model) -> None:
    offer_id = read_model.offer(offer_id=8812)
    read_model.redemption(offer_id)


@pytest.fixture
def portal_client(api_settings, engine):
    settings = api_settings(cors_allowed_origins=f"{PORTAL},http://localhost:1991")
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def as_portal(token: str, **extra: str) -> dict[str, str]:
    """What the portal's HTTP client sends: credentials as cookies, no Authorization header."""
    return {"Cookie": cookie_header(jwt_cookies(token)), "USE-JWT-COOKIE": "true", **extra}


def acme_admin_token(**kwargs: Any) -> str:
    return make_token([f"enterprise_admin:{ACME}"], **kwargs)


# ------------------------------------------------------------------------------------------------
# Cookie auth
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", API_ROUTES)
def test_every_route_accepts_the_split_jwt_cookies(client, path) -> None:
    response = client.get(path, headers=as_portal(acme_admin_token()))
    assert response.status_code == 200, response.text
    other = client.get(path, headers=as_portal(make_token([f"enterprise_admin:{GLOBEX}"])))
    assert other.status_code == 403
    assert other.json()["detail"].startswith("MISSING: ")


def test_the_use_jwt_cookie_header_is_not_required(client) -> None:
    cookies = cookie_header(jwt_cookies(acme_admin_token()))
    assert client.get(PAGE, headers={"Cookie": cookies}).status_code == 200


@pytest.mark.parametrize("kept", ["edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"])
def test_a_lone_cookie_half_is_401(client, kept) -> None:
    half = {kept: jwt_cookies(acme_admin_token())[kept]}
    response = client.get(PAGE, headers={"Cookie": cookie_header(half), "USE-JWT-COOKIE": "true"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("JWT")
    missing = ({"edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"} - {kept}).pop()
    assert missing in response.json()["detail"]


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        (acme_admin_token(key="another-secret-of-at-least-32-bytes!"), "Invalid token"),
        (acme_admin_token(expires_in=dt.timedelta(seconds=-5)), "expired"),
    ],
)
def test_a_cookie_token_that_fails_verification_is_401_with_a_drf_body(
    client, token, fragment
) -> None:
    response = client.get(PAGE, headers=as_portal(token))
    assert response.status_code == 401
    assert list(response.json()) == ["detail"]
    assert fragment in response.json()["detail"]


def test_swapping_in_another_tokens_signature_is_401(client) -> None:
    mine = jwt_cookies(acme_admin_token())
    theirs = jwt_cookies(make_token(["enterprise_openedx_operator:*"]))
    forged = {**theirs, "edx-jwt-cookie-signature": mine["edx-jwt-cookie-signature"]}
    response = client.get(PAGE, headers={"Cookie": cookie_header(forged)})
    assert response.status_code == 401


def test_the_authorization_header_wins_over_the_cookies(client) -> None:
    acme_cookies = as_portal(acme_admin_token())
    # A GLOBEX admin's header with an ACME admin's cookies: the header decides (403).
    both = {**acme_cookies, **admin_of(GLOBEX)}
    assert client.get(PAGE, headers=both).status_code == 403
    # A bad header with good cookies: still the header (401), not a fallback to the cookies.
    bad = {**acme_cookies, "Authorization": "JWT not.a.token"}
    assert client.get(PAGE, headers=bad).status_code == 401
    # A good header with a lone cookie half: the header alone counts.
    lone = {"Cookie": "edx-jwt-cookie-signature=abc", **admin_of(ACME)}
    assert client.get(PAGE, headers=lone).status_code == 200


def test_cookie_names_come_from_the_settings(api_settings, engine) -> None:
    settings = api_settings(
        jwt_auth_cookie_header_payload="stage-edx-jwt-cookie-header-payload",
        jwt_auth_cookie_signature="stage-edx-jwt-cookie-signature",
    )
    token = acme_admin_token()
    header_payload, _, signature = token.rpartition(".")
    staged = {
        "stage-edx-jwt-cookie-header-payload": header_payload,
        "stage-edx-jwt-cookie-signature": signature,
    }
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get(PAGE, headers={"Cookie": cookie_header(staged)}).status_code == 200
        default_names = client.get(PAGE, headers=as_portal(token))
        assert default_names.status_code == 401
        assert "credentials were not provided" in default_names.json()["detail"]


def test_cookies_signed_by_the_lms_jwks(api_settings, engine) -> None:
    """The LMS signs the cookie JWT with its asymmetric key (RS512) and publishes a JWKS."""
    lms_key, lms_jwk = rsa_jwk("lms-2026")
    stranger, _ = rsa_jwk("lms-2026")
    settings = api_settings(jwt_secret=None, jwt_public_keys=json.dumps({"keys": [lms_jwk]}))
    roles = [f"enterprise_admin:{ACME}"]
    with TestClient(create_app(settings, engine=engine)) as client:
        for algorithm in ("RS512", "RS256"):
            token = make_token(roles, key=lms_key, algorithm=algorithm, headers={"kid": "lms-2026"})
            assert client.get(PAGE, headers=as_portal(token)).status_code == 200
        forged = make_token(roles, key=stranger, algorithm="RS512", headers={"kid": "lms-2026"})
        assert client.get(PAGE, headers=as_portal(forged)).status_code == 401
        # Without a secret, an HS256 cookie token is refused outright.
        assert client.get(PAGE, headers=as_portal(acme_admin_token())).status_code == 401


# ------------------------------------------------------------------------------------------------
# CORS
# ------------------------------------------------------------------------------------------------


def preflight(client: TestClient, path: str, origin: str, headers: str) -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": headers,
        },
    )


def allow_headers_of(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


@pytest.mark.parametrize("path", API_ROUTES)
def test_preflight_is_answered_for_every_api_route(portal_client, path) -> None:
    response = preflight(portal_client, path, PORTAL, "use-jwt-cookie")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"use-jwt-cookie", "authorization"} <= allowed
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "Origin" in response.headers["vary"]
    # The portal's real request that follows: the exact origin echoed, never "*".
    real = portal_client.get(path, headers=as_portal(acme_admin_token(), Origin=PORTAL))
    assert real.status_code == 200
    assert real.headers["access-control-allow-origin"] == PORTAL
    assert real.headers["access-control-allow-credentials"] == "true"
    assert "x-data-as-of" in real.headers["access-control-expose-headers"].lower()


def test_preflight_for_the_authorization_header_and_both(portal_client) -> None:
    for headers in ("authorization", "authorization, use-jwt-cookie", "USE-JWT-COOKIE"):
        assert preflight(portal_client, PAGE, PORTAL, headers).status_code == 200
    assert preflight(portal_client, PAGE, PORTAL, "x-something-else").status_code == 400


def test_an_error_answer_carries_cors_headers_so_the_portal_can_read_it(portal_client) -> None:
    response = portal_client.get(PAGE, headers={"Origin": PORTAL, "USE-JWT-COOKIE": "true"})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-allow-credentials"] == "true"


def test_an_unlisted_origin_gets_no_allow_headers(portal_client) -> None:
    for origin in (OTHER_PORTAL, "https://portal.example.com.evil.net", "null"):
        response = preflight(portal_client, PAGE, origin, "use-jwt-cookie")
        assert response.status_code == 400
        assert allow_headers_of(response) == {}
        real = portal_client.get(PAGE, headers=as_portal(acme_admin_token(), Origin=origin))
        assert real.status_code == 200  # the server answers; the browser hides it from the page
        assert allow_headers_of(real) == {}
        assert "Origin" in real.headers["vary"]


def test_no_origins_configured_means_no_cross_origin_access(client) -> None:
    response = preflight(client, PAGE, PORTAL, "use-jwt-cookie")
    assert allow_headers_of(response) == {}
    real = client.get(PAGE, headers=as_portal(acme_admin_token(), Origin=PORTAL))
    assert real.status_code == 200
    assert allow_headers_of(real) == {}
