"""The FastAPI application: ``create_app(settings, engine=None)``.

Every error is a JSON ``{"detail": "..."}``: 400 for a malformed parameter, 401 without a valid
token, 403 for another tenant, 404 for an unknown enterprise / offer / page, 503 when the read
model is unreachable or too slow. Bad input never becomes a 5xx.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from lcm_etl import __version__, queries
from lcm_etl.api import ledger_routes, metrics, routes
from lcm_etl.api.auth import Authenticator, AuthError
from lcm_etl.api.cors import ListedOriginsCORSMiddleware
from lcm_etl.api.deps import ApiState, BadRequest
from lcm_etl.api.enrollmentreader import EnrollmentReader
from lcm_etl.api.pagereader import PageReader
from lcm_etl.api.pageroute import (
    PageFastPath,
    auth_error_response,
    error_response,
    unavailable_response,
)
from lcm_etl.api.pagination import INVALID_PAGE
from lcm_etl.db import read_replica_engine
from lcm_etl.settings import Settings

log = logging.getLogger(__name__)

# Connections of the page's own asyncio pool (api.pagereader, shared with the enrollments
# page's reader): as many as requests in flight.
PAGE_POOL_SIZE = 40

DESCRIPTION = """\
The Learner Credit Management read model, served in the contracts the Open edX admin portal speaks:

* **learner credit** — lcm-etl's one-call answer for the LCM page (`lcm-etl page` prints the same);
* **analytics API** — edx-enterprise-data's offers and enrollments (JSON and streamed CSV);
* **ecommerce API** — ecommerce's enterprise admin offers.

Authenticate with `Authorization: JWT <token>` (or `Bearer <token>`), or with the LMS's split JWT
cookies as the admin portal sends them (`edx-jwt-cookie-header-payload` + `edx-jwt-cookie-signature`
by default): an LMS-issued JWT whose `roles` claim holds `enterprise_admin:<enterprise uuid>` or
`enterprise_openedx_operator:*`. Origins in `LCM_CORS_ALLOWED_ORIGINS` may call with credentials.
Every answer says how fresh it is: `data_as_of` in the page JSON, the `X-Data-As-Of` header on
the compatible endpoints (whose bodies keep the original shapes).
"""


def create_app(
    settings: Settings, engine: Engine | None = None, *, page_fast_path: bool = True
) -> FastAPI:
    """Build the API. Raises ``ConfigError`` when auth is on without a secret or JWKS.

    ``page_fast_path=False`` leaves the learner-credit page to FastAPI's routing, as every other
    endpoint (the tests compare the two paths' answers; see ``api.pageroute``)."""
    authenticator = Authenticator(settings)
    if engine is None:
        # Kept connections for as many requests as the worker threads run at once: overflow
        # connections are closed on return, so a pool smaller than the usual concurrency opens
        # and closes sessions all the time (the benchmark saw ~200 reconnects per 2,000 requests
        # at 16 clients with pool_size=10).
        # The API only reads: from the replica (LCM_READ_DATABASE_URL) when there is one.
        engine = read_replica_engine(settings, pool_size=40, max_overflow=10)
    page_reader = PageReader(engine.url, settings, max_size=PAGE_POOL_SIZE)
    enrollment_reader = EnrollmentReader(page_reader.pool)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await page_reader.close()

    app = FastAPI(
        lifespan=lifespan,
        title="lcm-etl",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.api = ApiState(
        settings=settings,
        engine=engine,
        authenticator=authenticator,
        page_reader=page_reader,
        enrollment_reader=enrollment_reader,
    )
    for router in (
        routes.page_router,
        routes.analytics_router,
        routes.ecommerce_router,
        routes.health_router,
        *ledger_routes.ROUTERS,  # issue 14: the ledger era's budgets
    ):
        app.include_router(router)
    _install_error_handlers(app)
    if page_fast_path:
        # Innermost of our middleware: the page's answers get CORS headers and are counted as
        # the route's, like every other answer.
        app.add_middleware(
            PageFastPath,
            reader=page_reader,
            authenticator=authenticator,
            route=next(
                r for r in app.router.routes if getattr(r, "path", None) == routes.PAGE_PATH
            ),
        )
    if settings.cors_allowed_origins:
        # Inside the error handlers' middleware, so 4xx answers carry the CORS headers too (the
        # portal must be able to read a 401 to know it has to log in again).
        app.add_middleware(ListedOriginsCORSMiddleware, origins=settings.cors_allowed_origins)
    # Outermost: every request is counted, CORS preflights and errors included.
    metrics.install(app, engine)
    return app


def _error(status_code: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return error_response(status_code, detail, headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> JSONResponse:
        return auth_error_response(exc)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(queries.BadOrdering)
    async def bad_ordering(request: Request, exc: queries.BadOrdering) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(queries.InvalidPage)
    async def invalid_page(request: Request, exc: queries.InvalidPage) -> JSONResponse:
        return _error(404, INVALID_PAGE)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            location = tuple(str(part) for part in error.get("loc", ()))
            if location == ("path", "enterprise_uuid"):
                shown = str(error.get("input", ""))[:80]
                problems.append(f"{shown!r} is not an enterprise customer UUID.")
            else:
                problems.append(f"{'.'.join(location[1:])}: {error.get('msg', 'invalid')}.")
        return _error(400, " ".join(problems) or "Invalid request.")

    @app.exception_handler(queries.ReadModelUnavailable)
    async def page_unavailable(request: Request, exc: queries.ReadModelUnavailable) -> JSONResponse:
        return unavailable_response(exc)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # The database is down, restarting or too slow (statement_timeout): retryable.
        log.error("read model unavailable: %s", exc.orig if exc.orig is not None else exc)
        return _error(
            503, "The read model is unavailable; try again shortly.", {"Retry-After": "5"}
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return _error(500, "Internal server error.")
