"""Token parsing and edx-rbac role matching, without HTTP or a database."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lcm_etl.api.auth import AuthError, JwtVerifier, Principal, bearer_token
from lcm_etl.settings import load_settings

ACME = uuid.UUID("0a9ad1e6-6f5e-4c3b-9a57-1d2c3b4a5e6f")
SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def test_bearer_token_schemes() -> None:
    assert bearer_token("JWT abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("  jwt   abc.def.ghi ") == "abc.def.ghi"
    for header in (None, "", "JWT", "Basic abc", "JWT a b"):
        with pytest.raises(AuthError) as error:
            bearer_token(header)
        assert error.value.status_code == 401


def test_principal_roles() -> None:
    claims = {
        "preferred_username": "worker",
        "roles": [f"enterprise_admin:{ACME}", "enterprise_learner:*", 42, "junk"],
    }
    principal = Principal.from_claims(claims)
    assert principal.subject == "worker"
    assert principal.can_access(ACME)
    assert not principal.can_access(uuid.uuid4())
    assert Principal.from_claims({"roles": ["enterprise_openedx_operator:*"]}).can_access(
        uuid.uuid4()
    )


@given(st.lists(st.text(max_size=60), max_size=5), st.uuids())
def test_arbitrary_roles_never_crash_and_only_admin_roles_grant(roles, enterprise) -> None:
    principal = Principal.from_claims({"roles": roles})
    granted = principal.can_access(enterprise)
    if granted:
        assert any(
            role.partition(":")[0].strip() in {"enterprise_admin", "enterprise_openedx_operator"}
            for role in roles
        )


def test_verifier_checks_signature_and_expiry() -> None:
    verifier = JwtVerifier(load_settings(jwt_secret=SECRET))
    good = jwt.encode(
        {
            "roles": [f"enterprise_admin:{ACME}"],
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        },
        SECRET,
        algorithm="HS256",
    )
    assert verifier.verify(good).can_access(ACME)
    expired = jwt.encode(
        {"roles": [], "exp": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)},
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(expired)
    with pytest.raises(AuthError, match="Invalid token"):
        verifier.verify(good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1])
    with pytest.raises(AuthError, match="not a JWT"):
        verifier.verify("garbage")
