"""The learner-credit page's request path in plain ASGI, ahead of FastAPI's routing.

A profile of the page under load (docs/serving.md) spent about a fifth of the server's time in
FastAPI and Starlette around the answer: matching the route, building a ``Request``, solving
the dependency graph (the token, the path and cookie parameters, their validation), wrapping the
endpoint's ``Response``. :class:`PageFastPath` sits inside the application's middleware (the
request metrics, CORS and the 500 handler still wrap it) and answers ``GET /api/v1/
enterprises/{enterprise_uuid}/learner-credit`` itself, doing exactly what the route's dependency
and endpoint do, in the same order, with the same answers:

1. the UUID must match the path pattern (400, the same message as FastAPI's validation error);
2. the caller is authenticated from the ``Authorization`` header or else the JWT cookies (401,
   with ``WWW-Authenticate``);
3. the caller may read that enterprise (403 ``MISSING: can_access_enterprise``);
4. the page is read in the tenant transaction (``PageReader``): 404 for an enterprise the read
   model does not know, 503 with ``Retry-After`` when the read model does not answer.

Anything else — another method, a path that is not exactly the page's, a ``root_path`` — goes to
FastAPI unchanged, where the page's route is still declared (and documented in OpenAPI).
The request is counted under the route's template by the metrics middleware, as FastAPI's
router would have marked it.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from lcm_etl import queries
from lcm_etl.api.auth import Authenticator, AuthError
from lcm_etl.api.deps import BadRequest, parse_enterprise_uuid
from lcm_etl.api.pagereader import PageReader

log = logging.getLogger(__name__)

CAN_ACCESS_ENTERPRISE = "can_access_enterprise"  # the analytics API's edx-rbac permission
# The route's own match (Starlette's ``[^/]+`` for a path parameter), exactly, nothing else.
_PAGE = re.compile(r"/api/v1/enterprises/([^/]+)/learner-credit")
_DATA_AS_OF = b'"data_as_of":"'
_JSON = b"application/json"


def error_response(
    status_code: int, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The API's error body, ``{"detail": ...}``, for the exception handlers and this path."""
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)


def auth_error_response(exc: AuthError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'JWT realm="api"'} if exc.status_code == 401 else None
    return error_response(exc.status_code, exc.detail, headers)


def unavailable_response(exc: Exception) -> JSONResponse:
    log.error("read model unavailable: %s", exc)
    return error_response(
        503, "The read model is unavailable; try again shortly.", {"Retry-After": "5"}
    )


def data_as_of(body: bytes) -> bytes | None:
    """The page's ``data_as_of`` read from its bytes (its last key, rendered last; absent when
    null): the ``X-Data-As-Of`` header's value."""
    marker = body.rfind(_DATA_AS_OF)
    if marker < 0:
        return None
    start = marker + len(_DATA_AS_OF)
    return body[start : body.index(b'"', start)]


def page_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    """The page's response headers, as Starlette's ``Response`` lists them for the endpoint's
    answer: ``X-Data-As-Of``, then the length and the type."""
    headers = []
    as_of = data_as_of(body)
    if as_of is not None:
        headers.append((b"x-data-as-of", as_of))
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append((b"content-type", _JSON))
    return headers


class PageFastPath:
    """Plain ASGI: answers the page itself, hands every other request to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        reader: PageReader,
        authenticator: Authenticator,
        route: object,
    ) -> None:
        self.app = app
        self.reader = reader
        self.authenticator = authenticator
        self.route = route  # what the metrics middleware reads the template from

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = None
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = _PAGE.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        try:
            # Before the token, as FastAPI validates the path parameter before the dependency.
            customer = parse_enterprise_uuid(match.group(1))
        except BadRequest as exc:
            await error_response(400, str(exc))(scope, receive, send)
            return
        authorization = cookie = None
        for name, header in scope["headers"]:
            if name == b"authorization" and authorization is None:
                authorization = header.decode("latin-1")
            elif name == b"cookie" and cookie is None:
                cookie = header.decode("latin-1")
        try:
            principal = self.authenticator.authenticate(
                authorization or None, cookie_parser(cookie) if cookie else {}
            )
            self.authenticator.authorize(principal, customer, CAN_ACCESS_ENTERPRISE)
        except AuthError as exc:
            await auth_error_response(exc)(scope, receive, send)
            return
        try:
            body = await self.reader.page(customer)
        except queries.ReadModelUnavailable as exc:
            await unavailable_response(exc)(scope, receive, send)
            return
        if body is None:
            await error_response(404, f"Enterprise {customer} is not in the read model.")(
                scope, receive, send
            )
            return
        await send({"type": "http.response.start", "status": 200, "headers": page_headers(body)})
        await send({"type": "http.response.body", "body": body})
