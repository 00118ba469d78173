"""JWT authentication and per-enterprise authorization, the way edX services do it.

A request carries ``Authorization: JWT <token>`` (edx-drf-extensions) or ``Bearer <token>``, or,
as the admin portal sends it from the browser, the token split across two cookies:
``header.payload`` in one (``LCM_JWT_AUTH_COOKIE_HEADER_PAYLOAD``, edX's
``edx-jwt-cookie-header-payload``) and the signature in the other
(``LCM_JWT_AUTH_COOKIE_SIGNATURE``, ``edx-jwt-cookie-signature``). The two are joined with a ``.``
whenever both are present, as edx-drf-extensions' cookie middleware does (the portal's
``USE-JWT-COOKIE`` header is not required); a lone half is a 401; the header wins when both a
header and cookies are sent. The token is verified with ``LCM_JWT_SECRET`` (HS256) or a key of
the JWKS in ``LCM_JWT_PUBLIC_KEYS`` (RS256/RS512, as the LMS signs asymmetric tokens); ``exp`` is
required and checked, ``aud`` / ``iss`` when ``LCM_JWT_AUDIENCE`` / ``LCM_JWT_ISSUER`` are set.

Access follows edx-rbac: the ``roles`` claim lists ``"<role>:<context>"``; ``enterprise_admin``
and ``enterprise_openedx_operator`` give access to the enterprise named by the context, or to
every enterprise when the context is ``*`` (operators). A permission the real service also grants
to learners (enterprise-access's budget read, whose feature role ``enterprise_learner`` maps to)
names its roles: :data:`LEARNER_READ_ROLES`. A context is an enterprise UUID written
as 8-4-4-4-12 hex digits or as 32 hex digits (either case); other spellings ``uuid.UUID`` would
accept (``urn:uuid:…``, ``{…}``, odd dashes) grant nothing. LMS contexts are lowercase dashed.

Before any key is chosen, the token's header must be a JSON object whose ``alg`` is a string and
whose ``kid`` and ``typ``, when present, are strings: a list or an object there is a 401, not an
exception.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from lcm_etl.settings import ApiAuth, ConfigError, Settings

ENTERPRISE_ROLES = frozenset({"enterprise_admin", "enterprise_openedx_operator"})
#: The system roles whose feature roles include enterprise-access's policy learner role
#: (SYSTEM_TO_FEATURE_ROLE_MAPPING): operators, admins and the enterprise's learners.
LEARNER_READ_ROLES = ENTERPRISE_ROLES | {"enterprise_learner"}
ALL_CONTEXTS = "*"
SCHEMES = frozenset({"jwt", "bearer"})
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS512"})
# The two spellings of an enterprise UUID in a role context: 8-4-4-4-12 or 32 hex digits.
CONTEXT_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}")


class AuthError(Exception):
    """A request is not authenticated (401) or not allowed (403); ``detail`` says why."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def unauthenticated(detail: str) -> AuthError:
    return AuthError(401, detail)


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and its enterprise roles as (role, context) pairs."""

    subject: str | None
    roles: tuple[tuple[str, str], ...]

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        raw_roles = claims.get("roles")
        entries = raw_roles if isinstance(raw_roles, list) else []
        roles = []
        for entry in entries:
            if isinstance(entry, str):
                role, _, context = entry.partition(":")
                roles.append((role, context))
        subject = claims.get("preferred_username") or claims.get("username") or claims.get("sub")
        return cls(str(subject) if subject is not None else None, tuple(roles))

    def has_every_enterprise(self, roles: frozenset[str] = ENTERPRISE_ROLES) -> bool:
        """Whether one of ``roles`` is held for every enterprise (context ``*``)."""
        return any(role in roles and context == ALL_CONTEXTS for role, context in self.roles)

    def can_access(
        self, enterprise_uuid: uuid.UUID, roles: frozenset[str] = ENTERPRISE_ROLES
    ) -> bool:
        for role, context in self.roles:
            if role not in roles:
                continue
            if context == ALL_CONTEXTS:
                return True
            if CONTEXT_UUID.fullmatch(context) and uuid.UUID(context) == enterprise_uuid:
                return True
        return False


ANONYMOUS_DEMO = Principal("anonymous (LCM_API_AUTH=none)", (("enterprise_openedx_operator", "*"),))


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: JWT <t>`` or ``Bearer <t>`` header."""
    if not authorization or not authorization.strip():
        raise unauthenticated("Authentication credentials were not provided.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in SCHEMES:
        raise unauthenticated(
            "Unsupported authorization scheme; send 'Authorization: JWT <token>' or "
            "'Authorization: Bearer <token>'."
        )
    token = token.strip()
    if not token or " " in token:
        raise unauthenticated("Invalid Authorization header: expected one token after the scheme.")
    return token


@dataclasses.dataclass(frozen=True)
class JwtCookieNames:
    """The names of the two cookies the JWT is split across (settings, edX's by default)."""

    header_payload: str
    signature: str

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtCookieNames:
        return cls(settings.jwt_auth_cookie_header_payload, settings.jwt_auth_cookie_signature)


def cookie_token(cookies: Mapping[str, str], names: JwtCookieNames) -> str | None:
    """The token of the split JWT cookies, ``None`` when neither is sent; 401 for a lone half."""
    header_payload = cookies.get(names.header_payload) or ""
    signature = cookies.get(names.signature) or ""
    if header_payload and signature:
        return f"{header_payload}.{signature}"
    if header_payload or signature:
        missing = names.signature if header_payload else names.header_payload
        raise unauthenticated(
            f"JWT cookie {missing!r} is missing: a token sent as cookies needs both "
            f"{names.header_payload!r} and {names.signature!r}."
        )
    return None


def request_token(
    authorization: str | None, cookies: Mapping[str, str], names: JwtCookieNames
) -> str:
    """The request's token: the ``Authorization`` header when one is sent (it wins), else the
    joined JWT cookies; 401 when there is neither."""
    if authorization is not None and authorization.strip():
        return bearer_token(authorization)
    token = cookie_token(cookies, names)
    if token is None:
        raise unauthenticated("Authentication credentials were not provided.")
    return token


class JwtVerifier:
    """Verifies tokens with the configured secret and/or JWKS; built once at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.jwt_secret or None
        self.audience = settings.jwt_audience or None
        self.issuer = settings.jwt_issuer or None
        self.public_keys: list[PyJWK] = []
        if settings.jwt_public_keys:
            try:
                self.public_keys = [
                    key
                    for key in PyJWKSet.from_json(settings.jwt_public_keys).keys
                    if key.key_type == "RSA"
                ]
            except (jwt.PyJWKSetError, jwt.PyJWKError, json.JSONDecodeError) as exc:
                raise ConfigError(f"LCM_JWT_PUBLIC_KEYS has no usable key ({exc}).") from None
            if not self.public_keys:
                raise ConfigError("LCM_JWT_PUBLIC_KEYS has no RSA key (RS256/RS512 tokens).")
        if not self.secret and not self.public_keys:
            raise ConfigError(
                "LCM_API_AUTH=jwt needs LCM_JWT_SECRET (HS256) or LCM_JWT_PUBLIC_KEYS (a JWKS "
                "with RS256/RS512 keys); set one of them, or LCM_API_AUTH=none for a local demo."
            )

    def verify(self, token: str) -> Principal:
        header = _token_header(token)
        algorithm = header["alg"]
        if algorithm == "HS256" and self.secret:
            candidates: list[Any] = [self.secret]
        elif algorithm in ASYMMETRIC_ALGORITHMS and self.public_keys:
            kid = header.get("kid")
            candidates = [k.key for k in self.public_keys if kid is None or k.key_id == kid]
            if not candidates:
                raise unauthenticated("Invalid token: signed with an unknown key.")
        else:
            raise unauthenticated(f"Invalid token: algorithm {algorithm!r} is not accepted.")
        error: jwt.InvalidTokenError | None = None
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key=key,
                    algorithms=[str(algorithm)],
                    audience=self.audience,
                    issuer=self.issuer,
                    options={"require": ["exp"], "verify_aud": self.audience is not None},
                )
            except jwt.InvalidSignatureError as exc:
                error = exc  # try the next key of the set
                continue
            except jwt.ExpiredSignatureError:
                raise unauthenticated("Token has expired.") from None
            except jwt.InvalidTokenError as exc:
                raise unauthenticated(f"Invalid token: {exc}.") from None
            return Principal.from_claims(claims)
        raise unauthenticated(f"Invalid token: {error or 'signature verification failed'}.")


def _token_header(token: str) -> dict[str, Any]:
    """The token's header, once its shape is known to be sane: a JSON object with a string
    ``alg`` and, when present, a string ``kid`` and ``typ`` (401 otherwise)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise unauthenticated("Invalid token: it is not a JWT.") from None
    if not isinstance(header, dict):
        raise unauthenticated("Invalid token: its header is not a JSON object.")
    if not isinstance(header.get("alg"), str):
        raise unauthenticated("Invalid token: its header has no algorithm name ('alg').")
    for name in ("kid", "typ"):
        if name in header and not isinstance(header[name], str):
            raise unauthenticated(f"Invalid token: its header's {name!r} is not a string.")
    return header


class Authenticator:
    """Turns an Authorization header or the JWT cookies into a :class:`Principal` (or no-op
    with auth off)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.api_auth is ApiAuth.JWT
        self.verifier = JwtVerifier(settings) if self.enabled else None
        self.cookie_names = JwtCookieNames.from_settings(settings)

    def authenticate(
        self, authorization: str | None, cookies: Mapping[str, str] | None = None
    ) -> Principal:
        if self.verifier is None:
            return ANONYMOUS_DEMO
        return self.verifier.verify(request_token(authorization, cookies or {}, self.cookie_names))

    def authorize(
        self,
        principal: Principal,
        enterprise_uuid: uuid.UUID,
        permission: str,
        roles: frozenset[str] = ENTERPRISE_ROLES,
    ) -> None:
        """Raise 403 unless the principal holds one of ``roles`` for this enterprise."""
        if not principal.can_access(enterprise_uuid, roles):
            raise AuthError(403, f"MISSING: {permission}")
