"""Request plumbing shared by the routes: the app's state, tenant access, parameter parsing."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import Engine

from lcm_etl.api.auth import Authenticator
from lcm_etl.api.enrollmentreader import EnrollmentReader
from lcm_etl.api.pagereader import PageReader
from lcm_etl.settings import Settings

# Documents the header in OpenAPI (the "Authorize" button of /docs); the check is ours.
authorization_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="JWT",
    description="`JWT <token>` or `Bearer <token>`: an LMS-issued JWT with enterprise roles.",
)

_UUID_BODY = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
UUID_PATTERN = f"^{_UUID_BODY}$"
_UUID = re.compile(_UUID_BODY)


class BadRequest(ValueError):
    """A parameter is malformed: 400 with this message."""


@dataclasses.dataclass(frozen=True)
class ApiState:
    settings: Settings
    engine: Engine
    authenticator: Authenticator
    page_reader: PageReader
    enrollment_reader: EnrollmentReader


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def parse_enterprise_uuid(value: str) -> uuid.UUID:
    """An enterprise UUID, dashed or as 32 hex digits (like ecommerce's UUID_REGEX_PATTERN)."""
    if not _UUID.fullmatch(value):
        raise BadRequest(f"{value[:80]!r} is not an enterprise customer UUID.")
    return uuid.UUID(value)


EnterprisePath = Annotated[
    str,
    Path(
        description="Enterprise customer UUID, preferably lowercase dashed (32 hex also accepted).",
        pattern=UUID_PATTERN,
    ),
]
AuthorizationValue = Annotated[str | None, Security(authorization_header)]


def tenant(
    permission: str,
) -> Callable[[Request, str, str | None], Coroutine[Any, Any, uuid.UUID]]:
    """A dependency: the enterprise of the URL, once the caller is known (401; the Authorization
    header or else the JWT cookies), the UUID is valid (400) and the caller may read that
    enterprise (403 ``MISSING: <permission>``, edx-rbac's)."""

    # async: token checks are CPU work, not I/O; FastAPI would run a plain function in its
    # thread pool, a hand-off per request that costs more than the check.
    async def dependency(
        request: Request, enterprise_uuid: EnterprisePath, authorization: AuthorizationValue
    ) -> uuid.UUID:
        state = api_state(request)
        principal = state.authenticator.authenticate(authorization, request.cookies)
        customer = parse_enterprise_uuid(enterprise_uuid)
        state.authenticator.authorize(principal, customer, permission)
        return customer

    return dependency


# The longest free-text parameter: an email address's maximum length (RFC 5321). A search longer
# than any value it could match only costs the database (a 60,000-character LIKE pattern ran
# until the statement timeout).
MAX_TEXT_LENGTH = 254
# ``ordering`` is a comma list of whitelisted names: every one of them, each descending, is shorter.
MAX_ORDERING_LENGTH = 500


def text_param(name: str, value: str | None, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """A free-text parameter, at most ``max_length`` characters; PostgreSQL text cannot hold
    NUL, so it is refused, not a 500."""
    if value is None or value == "":
        return None
    if len(value) > max_length:
        raise BadRequest(f"{name} must be at most {max_length} characters (got {len(value)}).")
    if "\x00" in value:
        raise BadRequest(f"{name} must not contain NUL characters.")
    return value


def ordering_param(value: str | None) -> str | None:
    """``ordering`` before it is matched against the whitelist (which names any unknown field)."""
    return text_param("ordering", value, max_length=MAX_ORDERING_LENGTH)


def bool_param(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    raise BadRequest(f"{name} must be true or false (got {value[:40]!r}).")


# Bounds of a numeric parameter, both sides: below 10^10 in size and at most 10 decimal places,
# so every accepted value fits PostgreSQL's NUMERIC (1e-20000 overflowed it: a 500).
MAX_DECIMAL = Decimal("1e10")
MAX_DECIMAL_PLACES = 10
# ASCII digits only: Decimal() also reads underscores and other scripts' digits.
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def decimal_param(name: str, value: str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_TEXT_LENGTH:
        raise BadRequest(f"{name} must be a number of at most {MAX_TEXT_LENGTH} characters.")
    if not _DECIMAL.fullmatch(value.strip()):
        raise BadRequest(f"{name} must be a number (got {value[:40]!r}).")
    number = Decimal(value.strip())
    if not number.is_finite() or abs(number) >= MAX_DECIMAL:
        raise BadRequest(f"{name} must be a finite number below 10^10 (got {value[:40]!r}).")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise BadRequest(
            f"{name} must have at most {MAX_DECIMAL_PLACES} decimal places (got {value[:40]!r})."
        )
    return number


def choice_list_param(name: str, value: str | None, choices: frozenset[str]) -> tuple[str, ...]:
    """A comma list of case-insensitive choices (ecommerce's ``usage_type``)."""
    if value is None or value.strip() == "":
        return ()
    if len(value) > MAX_TEXT_LENGTH:
        raise BadRequest(f"{name} must be at most {MAX_TEXT_LENGTH} characters (got {len(value)}).")
    items = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    unknown = [item for item in items if item not in choices]
    if unknown:
        raise BadRequest(
            f"{name}: unknown value(s) {', '.join(repr(u[:40]) for u in unknown)}; "
            f"allowed: {', '.join(sorted(choices))}."
        )
    return items
