"""Which token a request carries: the Authorization header, else the two JWT cookies joined; and
the settings that name the cookies and the CORS origins."""

from __future__ import annotations

import pytest

from lcm_etl.api.auth import AuthError, JwtCookieNames, cookie_token, request_token
from lcm_etl.settings import ConfigError, load_settings

EDX = JwtCookieNames("edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature")
BOTH = {"edx-jwt-cookie-header-payload": "aGVhZGVy.cGF5bG9hZA", "edx-jwt-cookie-signature": "c2ln"}


def test_both_cookies_are_joined_with_a_dot() -> None:
    assert cookie_token(BOTH, EDX) == "aGVhZGVy.cGF5bG9hZA.c2ln"
    assert request_token(None, BOTH, EDX) == "aGVhZGVy.cGF5bG9hZA.c2ln"
    assert cookie_token({}, EDX) is None


@pytest.mark.parametrize("present", sorted(BOTH))
def test_a_lone_half_is_401_naming_the_missing_cookie(present: str) -> None:
    missing = next(name for name in BOTH if name != present)
    for cookies in ({present: BOTH[present]}, {present: BOTH[present], missing: ""}):
        with pytest.raises(AuthError) as error:
            request_token(None, cookies, EDX)
        assert error.value.status_code == 401
        assert repr(missing) in error.value.detail


def test_the_header_wins_over_the_cookies() -> None:
    assert request_token("JWT from.the.header", BOTH, EDX) == "from.the.header"
    # A malformed header is not rescued by good cookies: the header is what the client chose.
    with pytest.raises(AuthError):
        request_token("Basic dXNlcg==", BOTH, EDX)
    # A blank header counts as absent.
    assert request_token("  ", BOTH, EDX) == "aGVhZGVy.cGF5bG9hZA.c2ln"


def test_neither_header_nor_cookies_is_401() -> None:
    with pytest.raises(AuthError, match="credentials were not provided") as error:
        request_token(None, {"sessionid": "x"}, EDX)
    assert error.value.status_code == 401


def test_cookie_names_are_settings_with_edx_defaults(monkeypatch) -> None:
    for name in ("LCM_JWT_AUTH_COOKIE_HEADER_PAYLOAD", "LCM_JWT_AUTH_COOKIE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)
    assert JwtCookieNames.from_settings(load_settings()) == EDX
    monkeypatch.setenv("LCM_JWT_AUTH_COOKIE_HEADER_PAYLOAD", "stage-jwt-header-payload")
    monkeypatch.setenv("LCM_JWT_AUTH_COOKIE_SIGNATURE", "stage-jwt-signature")
    names = JwtCookieNames.from_settings(load_settings())
    assert names == JwtCookieNames("stage-jwt-header-payload", "stage-jwt-signature")
    with pytest.raises(AuthError, match="credentials were not provided"):
        request_token(None, BOTH, names)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LCM_JWT_AUTH_COOKIE_HEADER_PAYLOAD", "has space"),
        ("LCM_JWT_AUTH_COOKIE_SIGNATURE", "semi;colon"),
        ("LCM_JWT_AUTH_COOKIE_SIGNATURE", ""),
    ],
)
def test_a_bad_cookie_name_stops_start_up(monkeypatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


def test_the_two_cookie_names_must_differ(monkeypatch) -> None:
    monkeypatch.setenv("LCM_JWT_AUTH_COOKIE_SIGNATURE", "edx-jwt-cookie-header-payload")
    with pytest.raises(ConfigError, match="must differ"):
        load_settings()


def test_cors_origins_are_an_exact_comma_list(monkeypatch) -> None:
    monkeypatch.delenv("LCM_CORS_ALLOWED_ORIGINS", raising=False)
    assert load_settings().cors_allowed_origins == ()
    monkeypatch.setenv(
        "LCM_CORS_ALLOWED_ORIGINS",
        " https://Portal.Example.com , http://localhost:1991,http://[::1]:8080,",
    )
    assert load_settings().cors_allowed_origins == (
        "https://portal.example.com",
        "http://localhost:1991",
        "http://[::1]:8080",
    )


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://portal.example.com/",
        "https://portal.example.com/admin",
        "portal.example.com",
        "https://*.example.com",
        "ftp://portal.example.com",
    ],
)
def test_a_cors_origin_that_is_not_exact_stops_start_up(monkeypatch, value: str) -> None:
    monkeypatch.setenv("LCM_CORS_ALLOWED_ORIGINS", f"https://ok.example.com,{value}")
    with pytest.raises(ConfigError, match="LCM_CORS_ALLOWED_ORIGINS") as error:
        load_settings()
    assert value in str(error.value)
