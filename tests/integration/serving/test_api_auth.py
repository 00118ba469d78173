"""Auth over HTTP: JWT (HS256 secret or RS256/RS512 JWKS), exp/aud/iss, edx-rbac roles, 401/403
with JSON bodies, operators, and the demo-only LCM_API_AUTH=none."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lcm_etl import cli
from lcm_etl.api import create_app, server
from lcm_etl.settings import ConfigError, get_settings

from .serving_support import ACME, GLOBEX, OPERATOR, SECRET, admin_of, make_token, rsa_jwk

PAGE = f"/api/v1/enterprises/{ACME}/learner-credit"
ENDPOINTS = [
    (PAGE, "can_access_enterprise"),
    (f"/enterprise/api/v1/enterprise/{ACME}/offers/", "can_access_enterprise"),
    (f"/enterprise/api/v1/enterprise/{ACME}/enrollments/", "can_access_enterprise"),
    (f"/enterprise/api/v1/enterprise/{ACME}/enrollments.csv", "can_access_enterprise"),
    (
        f"/api/v2/enterprise/{ACME}/enterprise-admin-offers/",
        "enterprise.can_view_enterprise_admin_offer",
    ),
]


@pytest.fixture(autouse=True)
def acme_offer(read_model) -> None:
    read_model.offer()


def assert_401(response: Any, fragment: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert fragment in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("JWT")


@pytest.mark.parametrize(("path", "permission"), ENDPOINTS)
def test_every_endpoint_needs_a_token_and_the_right_tenant(client, path, permission) -> None:
    assert_401(client.get(path), "credentials were not provided")
    other = client.get(path, headers=admin_of(GLOBEX))
    assert other.status_code == 403
    assert other.json() == {"detail": f"MISSING: {permission}"}
    assert client.get(path, headers=admin_of(ACME)).status_code == 200
    assert client.get(path, headers=OPERATOR).status_code == 200


def test_expired_token_is_401(client) -> None:
    token = make_token([f"enterprise_admin:{ACME}"], expires_in=dt.timedelta(seconds=-5))
    assert_401(client.get(PAGE, headers={"Authorization": f"JWT {token}"}), "expired")


def test_token_without_exp_is_401(client) -> None:
    import jwt

    token = jwt.encode({"roles": [f"enterprise_admin:{ACME}"]}, SECRET, algorithm="HS256")
    assert_401(client.get(PAGE, headers={"Authorization": f"JWT {token}"}), "exp")


def test_wrong_signature_is_401(client) -> None:
    token = make_token([f"enterprise_admin:{ACME}"], key="another-secret-of-at-least-32-bytes!")
    assert_401(client.get(PAGE, headers={"Authorization": f"JWT {token}"}), "Invalid token")


def test_tampered_payload_is_401(client) -> None:
    header, _, signature = make_token([f"enterprise_admin:{GLOBEX}"]).split(".")
    forged_payload = make_token([f"enterprise_admin:{ACME}"]).split(".")[1]
    forged = f"{header}.{forged_payload}.{signature}"
    assert_401(client.get(PAGE, headers={"Authorization": f"JWT {forged}"}), "Invalid token")


def test_unsigned_alg_none_token_is_401(client) -> None:
    import jwt

    token = jwt.encode(
        {"roles": ["enterprise_openedx_operator:*"], "exp": 4102444800}, "", algorithm="none"
    )
    assert_401(client.get(PAGE, headers={"Authorization": f"JWT {token}"}), "algorithm")


@pytest.mark.parametrize(
    "header",
    ["JWT", "JWT ", "Basic dXNlcjpwYXNz", "JWT not.a.jwt", "JWT a b", "Token abc"],
)
def test_malformed_authorization_headers_are_401(client, header) -> None:
    response = client.get(PAGE, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_bearer_scheme_is_accepted(client) -> None:
    token = make_token([f"enterprise_admin:{ACME}"])
    assert client.get(PAGE, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(PAGE, headers={"Authorization": f"jwt {token}"}).status_code == 200


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        ([f"enterprise_admin:{str(ACME).upper()}"], 200),  # compared as UUIDs
        ([f"enterprise_admin:{ACME.hex}"], 200),
        ([f"enterprise_learner:{ACME}"], 403),  # not an admin role
        ([f"enterprise_catalog_admin:{ACME}"], 403),
        (["enterprise_admin:not-a-uuid", f"enterprise_admin:{GLOBEX}"], 403),
        ([f"enterprise_admin:{GLOBEX}", f"enterprise_admin:{ACME}"], 200),
        ([f"enterprise_openedx_operator:{ACME}"], 200),
        (["enterprise_openedx_operator:*"], 200),
        (["enterprise_learner:*"], 403),
        ([], 403),
    ],
)
def test_roles(client, roles, status) -> None:
    response = client.get(PAGE, headers={"Authorization": f"JWT {make_token(roles)}"})
    assert response.status_code == status


def test_roles_claim_that_is_not_a_list_grants_nothing(client) -> None:
    token = make_token("enterprise_openedx_operator:*")  # a string, not a list
    assert client.get(PAGE, headers={"Authorization": f"JWT {token}"}).status_code == 403


def test_healthz_needs_no_token(client) -> None:
    assert client.get("/healthz").status_code == 503  # no publish yet, but not 401


def test_audience_and_issuer_are_checked_when_configured(api_settings, engine) -> None:
    settings = api_settings(jwt_audience="lcm-etl", jwt_issuer="https://lms.example/oauth2")
    roles = [f"enterprise_admin:{ACME}"]
    with TestClient(create_app(settings, engine=engine)) as client:

        def status(**claims: Any) -> int:
            token = make_token(roles, **claims)
            return int(client.get(PAGE, headers={"Authorization": f"JWT {token}"}).status_code)

        assert status(aud="lcm-etl", iss="https://lms.example/oauth2") == 200
        assert status(aud="someone-else", iss="https://lms.example/oauth2") == 401
        assert status(aud="lcm-etl", iss="https://evil.example") == 401
        assert status(iss="https://lms.example/oauth2") == 401  # aud required once configured


def test_audience_in_the_token_is_ignored_when_not_configured(client) -> None:
    token = make_token([f"enterprise_admin:{ACME}"], aud="openedx")  # as the LMS issues them
    assert client.get(PAGE, headers={"Authorization": f"JWT {token}"}).status_code == 200


def _hs256_signed_with(secret: bytes, roles: list[str], kid: str) -> str:
    """A token HMAC-signed with arbitrary bytes (PyJWT refuses to sign with a public key)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps({"roles": roles, "exp": 4102444800}).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def test_jwks_with_rs256_and_rs512_keys(api_settings, engine) -> None:
    first_key, first_jwk = rsa_jwk("lms-2025")
    second_key, second_jwk = rsa_jwk("lms-2026")
    stranger_key, _ = rsa_jwk("lms-2026")
    jwks = json.dumps({"keys": [first_jwk, second_jwk]})
    settings = api_settings(jwt_secret=None, jwt_public_keys=jwks)
    roles = [f"enterprise_admin:{ACME}"]
    with TestClient(create_app(settings, engine=engine)) as client:

        def status(key: Any, algorithm: str, kid: str | None) -> int:
            headers = {"kid": kid} if kid else None
            token = make_token(roles, key=key, algorithm=algorithm, headers=headers)
            return int(client.get(PAGE, headers={"Authorization": f"JWT {token}"}).status_code)

        assert status(first_key, "RS256", "lms-2025") == 200
        assert status(second_key, "RS512", "lms-2026") == 200
        assert status(second_key, "RS256", None) == 200  # no kid: any key of the set
        assert status(stranger_key, "RS512", "lms-2026") == 401  # right kid, wrong key
        assert status(first_key, "RS256", "unknown-kid") == 401
        # HS256 is off when only a JWKS is configured (no secret to verify with) …
        assert status(SECRET, "HS256", None) == 401
        # … and the public key must never work as an HMAC secret (algorithm confusion).
        pem = first_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for secret in (pem, json.dumps(first_jwk).encode()):
            forged = _hs256_signed_with(secret, roles, kid="lms-2025")
            response = client.get(PAGE, headers={"Authorization": f"JWT {forged}"})
            assert response.status_code == 401


def test_jwt_auth_without_a_key_fails_at_start_up(api_settings, engine) -> None:
    settings = api_settings(jwt_secret=None, jwt_public_keys=None)
    with pytest.raises(ConfigError) as error:
        create_app(settings, engine=engine)
    assert "LCM_JWT_SECRET" in str(error.value)
    assert "LCM_JWT_PUBLIC_KEYS" in str(error.value)


def test_jwks_without_rsa_keys_fails_at_start_up(api_settings, engine) -> None:
    jwks = json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})
    with pytest.raises(ConfigError, match="LCM_JWT_PUBLIC_KEYS"):
        create_app(api_settings(jwt_secret=None, jwt_public_keys=jwks), engine=engine)


def test_cli_serve_refuses_to_start_without_a_key(monkeypatch, database_url) -> None:
    monkeypatch.setenv("LCM_DATABASE_URL", database_url.render_as_string(hide_password=False))
    monkeypatch.setenv("LCM_API_AUTH", "jwt")
    monkeypatch.delenv("LCM_JWT_SECRET", raising=False)
    monkeypatch.delenv("LCM_JWT_PUBLIC_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "LCM_JWT_SECRET" in result.output


def test_auth_none_serves_without_a_token_and_says_so_loudly(
    api_settings, engine, monkeypatch, capsys
) -> None:
    settings = api_settings(api_auth="none", jwt_secret=None)
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get(PAGE).status_code == 200
        assert client.get(f"/api/v1/enterprises/{GLOBEX}/learner-credit").status_code == 404
    started: list[dict[str, Any]] = []
    monkeypatch.setattr("lcm_etl.api.server.uvicorn.run", lambda app, **kw: started.append(kw))
    monkeypatch.setattr(server, "create_app", lambda s: object())
    server.serve(settings, host="127.0.0.1", port=8123)
    assert started == [
        {
            "host": "127.0.0.1",
            "port": 8123,
            "log_level": "info",
            "proxy_headers": True,
            "access_log": False,
        }
    ]
    assert "AUTHENTICATION IS OFF" in capsys.readouterr().err
