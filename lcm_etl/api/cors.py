"""Cross-origin access for the admin portal: Starlette's CORS middleware over an exact list.

The portal calls the API from its own origin with credentials (the JWT cookies) and the custom
``USE-JWT-COOKIE`` header, so every call is preceded by a preflight. Listed origins
(``LCM_CORS_ALLOWED_ORIGINS``) get their own origin echoed back — never ``*``, which browsers
refuse together with credentials — ``Access-Control-Allow-Credentials: true`` and the
``authorization`` and ``use-jwt-cookie`` request headers. Any other origin gets no
``Access-Control-Allow-*`` header at all (Starlette alone would still send its fixed allow
headers to it), so nothing suggests it could read the answer.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Send

ALLOWED_METHODS = ("GET", "HEAD")
ALLOWED_HEADERS = ("authorization", "use-jwt-cookie")
EXPOSED_HEADERS = ("X-Data-As-Of",)
PREFLIGHT_MAX_AGE_SECONDS = 600


class ListedOriginsCORSMiddleware(CORSMiddleware):
    """:class:`CORSMiddleware` with credentials for exact origins, silent for every other one."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=True,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            return PlainTextResponse(
                "Disallowed CORS origin", status_code=400, headers={"Vary": "Origin"}
            )
        return super().preflight_response(request_headers)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if message["type"] == "http.response.start" and (
            origin is not None and not self.is_allowed_origin(origin=origin)
        ):
            message.setdefault("headers", [])
            MutableHeaders(scope=message).add_vary_header("Origin")
            await send(message)
            return
        await super().send(message, send, request_headers)
