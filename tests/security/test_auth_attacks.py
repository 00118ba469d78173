"""Auth attacks: malformed tokens, algorithm confusion, ``kid`` games, role and UUID spellings.

Every attempt must end in a JSON 401/403 — never a 500, never access to another tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from serving.serving_support import ACME, GLOBEX, SECRET, make_token

from lcm_etl.api import create_app

PAGE = f"/api/v1/enterprises/{ACME}/learner-credit"


@pytest.fixture(autouse=True)
def acme_offer(read_model) -> None:
    read_model.offer()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: Any, payload: Any = None, secret: bytes = SECRET.encode()) -> str:
    """A token with any header JSON at all, HMAC-SHA256 signed with ``secret``."""
    claims = (
        payload
        if payload is not None
        else {
            "roles": ["enterprise_openedx_operator:*"],
            "exp": 4102444800,
        }
    )
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def get(client: TestClient, token: str) -> Any:
    return client.get(PAGE, headers={"Authorization": f"JWT {token}"})


def assert_json_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"]


# --- malformed tokens and headers ----------------------------------------------------------------

HEADER_SHAPES = [
    pytest.param({"alg": ["HS256"], "typ": "JWT"}, id="alg-list"),
    pytest.param({"alg": {"HS256": 1}, "typ": "JWT"}, id="alg-dict"),
    pytest.param({"alg": ["RS256", "HS256"]}, id="alg-list-of-two"),
    pytest.param({"alg": 256}, id="alg-number"),
    pytest.param({"alg": None}, id="alg-null"),
    pytest.param({"typ": "JWT"}, id="alg-missing"),
    pytest.param({"alg": "HS256", "kid": ["a"]}, id="kid-list"),
    pytest.param({"alg": "HS256", "kid": {"$ne": ""}}, id="kid-dict"),
    pytest.param({"alg": "HS256", "typ": ["JWT"]}, id="typ-list"),
    pytest.param(["HS256"], id="header-is-a-list"),
    pytest.param("HS256", id="header-is-a-string"),
    pytest.param(None, id="header-is-null"),
]


@pytest.mark.parametrize("header", HEADER_SHAPES)
def test_header_of_the_wrong_shape_is_a_401_not_a_500(client, header) -> None:
    """Defect 3: an ``alg`` list or dict made the verifier raise ``TypeError: unhashable``."""
    assert_json_401(get(client, hand_made(header)))


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",
        "..",
        "e30.e30.",  # {}.{}.
        _b64(b"not json") + "." + _b64(b"{}") + ".sig",
        _b64(b'{"alg":"HS256"}') + "." + _b64(b"[]") + ".sig",
        _b64(b'{"alg":"HS256"}') + ".%%%.sig",
        "x" * 10_000,
        ".".join(["e30"] * 5),
    ],
    ids=[
        "abc",
        "dots",
        "empty-objects",
        "header-not-json",
        "payload-list",
        "payload-bad-b64",
        "huge-garbage",
        "five-parts",
    ],
)
def test_garbage_tokens_are_401(client, token) -> None:
    assert_json_401(get(client, token))


@pytest.mark.parametrize(
    "authorization",
    [
        "JWT",
        "Bearer",
        "JWT  ",
        "Basic dXNlcjpwYXNz",
        "Digest x",
        "JWT a b",
        "JWTx " + "e30.e30.e30",
        "JWT\t" + "e30.e30.e30",
        "Bearer " + "A" * 60_000,
    ],
)
def test_malformed_authorization_headers_are_401(client, authorization) -> None:
    response = client.get(PAGE, headers={"Authorization": authorization})
    assert_json_401(response)


def test_payload_that_is_not_an_object_is_401(client) -> None:
    assert_json_401(get(client, hand_made({"alg": "HS256", "typ": "JWT"}, payload=[1, 2])))


def test_a_correctly_signed_hand_made_token_passes(client) -> None:
    """The control: the helper makes tokens the server accepts when their shape is right."""
    assert get(client, hand_made({"alg": "HS256", "typ": "JWT"})).status_code == 200


# --- algorithm confusion -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alg", ["none", "None", "NONE", "HS384", "HS512", "RS256", "ES256", "PS256", "hs256"]
)
def test_only_hs256_is_accepted_with_a_secret(client, alg) -> None:
    assert_json_401(get(client, hand_made({"alg": alg, "typ": "JWT"})))


def _rsa_jwk(kid: str) -> tuple[Any, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "use": "sig"})
    return private, public


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[Any, dict[str, Any]]:
    return _rsa_jwk("lms-2026")


@pytest.fixture
def jwks_client(api_settings, engine, rsa_keys):
    _, jwk = rsa_keys
    settings = api_settings(jwt_secret=None, jwt_public_keys=json.dumps({"keys": [jwk]}))
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


def _rs(key: Any, headers: dict[str, Any] | None, algorithm: str = "RS256") -> str:
    return make_token(
        ["enterprise_openedx_operator:*"], key=key, algorithm=algorithm, headers=headers
    )


@pytest.mark.parametrize(
    ("kid", "expected"),
    [
        ("lms-2026", 200),
        (None, 200),  # no kid: every key of the set is tried
        ("lms-2025", 401),  # unknown kid
        ("", 401),
        ("../../../../dev/null", 401),
        ("lms-2026' OR '1'='1", 401),
        ("x" * 5_000, 401),
    ],
)
def test_kid_games(jwks_client, rsa_keys, kid, expected) -> None:
    private, _ = rsa_keys
    headers = {"kid": kid} if kid is not None else None
    response = get(jwks_client, _rs(private, headers))
    assert response.status_code == expected, response.text


@pytest.mark.parametrize("kid", [["lms-2026"], {"kid": "lms-2026"}, 7, True])
def test_kid_of_the_wrong_type_is_401(jwks_client, kid) -> None:
    assert_json_401(get(jwks_client, hand_made({"alg": "RS256", "kid": kid})))


def test_public_key_as_hmac_secret_is_refused(jwks_client, rsa_keys) -> None:
    """Algorithm confusion: HS256 signed with the published RSA key (as PEM or as the JWK)."""
    from cryptography.hazmat.primitives import serialization

    private, jwk = rsa_keys
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (pem, json.dumps(jwk).encode(), jwk["n"].encode()):
        for kid in ("lms-2026", None):
            header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
            assert_json_401(get(jwks_client, hand_made(header, secret=secret)))


def test_embedded_jwk_header_is_not_trusted(jwks_client) -> None:
    """A token carrying its own key (``jwk``, ``jku``, ``x5u``) is not verified with it."""
    stranger, stranger_jwk = _rsa_jwk("lms-2026")
    for extra in (
        {"jwk": stranger_jwk},
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
    ):
        token = _rs(stranger, {"kid": "lms-2026", **extra})
        assert_json_401(get(jwks_client, token))


# --- role and UUID spellings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "status"),
    [
        (str(ACME), 200),
        (str(ACME).upper(), 200),
        (ACME.hex, 200),
        (ACME.hex.upper(), 200),
        (f"urn:uuid:{ACME}", 403),
        (f"{{{ACME}}}", 403),
        (f"{{{ACME.hex}}}", 403),
        (ACME.hex[:8] + "-" + ACME.hex[8:], 403),  # dashes in odd places
        (f"{ACME}-", 403),
        (f"{ACME}\n", 403),
        (f"{ACME},{GLOBEX}", 403),
        (f"{ACME}:{GLOBEX}", 403),
        ("*" + str(ACME), 403),
        ("**", 403),
        ("%", 403),
        ("", 403),
        (str(GLOBEX), 403),
    ],
)
def test_uuid_spellings_in_role_contexts(client, context, status) -> None:
    """Defect 10a: only the dashed and the 32-hex forms name an enterprise."""
    token = make_token([f"enterprise_admin:{context}"])
    assert get(client, token).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("enterprise_admin", 200),
        ("enterprise_openedx_operator", 200),
        ("Enterprise_Admin", 403),
        ("ENTERPRISE_ADMIN", 403),
        ("enterprise_admin_", 403),
        ("enterprise_learner", 403),
        ("enterprise_catalog_admin", 403),
        ("", 403),
    ],
)
def test_role_spellings(client, role, status) -> None:
    assert get(client, make_token([f"{role}:{ACME}"])).status_code == status


@pytest.mark.parametrize(
    "roles",
    [
        "enterprise_openedx_operator:*",
        {"enterprise_openedx_operator": "*"},
        [["enterprise_openedx_operator", "*"]],
        [{"enterprise_openedx_operator": "*"}],
        ["enterprise_openedx_operator"],
        [None, 7, True],
        None,
    ],
    ids=["string", "dict", "nested-list", "list-of-dicts", "no-context", "junk", "null"],
)
def test_roles_claim_of_the_wrong_shape_grants_nothing(client, roles) -> None:
    assert get(client, make_token(roles)).status_code == 403


# --- the same attacks through the admin portal's JWT cookies ------------------------------------


def _cookies(token: str) -> dict[str, str]:
    header_payload, _, signature = token.rpartition(".")
    return {"edx-jwt-cookie-header-payload": header_payload, "edx-jwt-cookie-signature": signature}


@pytest.mark.parametrize("header", HEADER_SHAPES)
def test_cookie_token_with_a_header_of_the_wrong_shape_is_401(client, header) -> None:
    client.cookies.update(_cookies(hand_made(header)))
    try:
        assert_json_401(client.get(PAGE))
    finally:
        client.cookies.clear()


@pytest.mark.parametrize(
    "cookies",
    [
        {"edx-jwt-cookie-header-payload": "e30.e30"},
        {"edx-jwt-cookie-signature": "abc"},
        {"edx-jwt-cookie-header-payload": "x" * 3_000, "edx-jwt-cookie-signature": "y"},
        {"edx-jwt-cookie-header-payload": "e30.e30.e30", "edx-jwt-cookie-signature": "."},
    ],
    ids=["lone-header-payload", "lone-signature", "oversized", "extra-dots"],
)
def test_malformed_cookie_tokens_are_401(client, cookies) -> None:
    client.cookies.update(cookies)
    try:
        assert_json_401(client.get(PAGE))
    finally:
        client.cookies.clear()
