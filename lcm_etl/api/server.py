"""``lcm-etl serve``: the API under uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn
from fastapi import FastAPI

from lcm_etl.api import metrics
from lcm_etl.api.app import create_app
from lcm_etl.settings import ApiAuth, Settings, get_settings

log = logging.getLogger(__name__)

AUTH_OFF_BANNER = """
**************************************************************************************
*  LCM_API_AUTH=none: AUTHENTICATION IS OFF. Anyone who can reach this server reads  *
*  every enterprise's learner-credit data. For a local demo only — never deploy it.  *
**************************************************************************************
"""


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
) -> None:
    """Build the app (a ``ConfigError`` stops start-up, e.g. JWT auth without a key) and run it.

    With ``workers`` > 1, uvicorn starts that many processes, each building the app from the
    same ``LCM_*`` environment (validated here first, so a bad setting still stops start-up
    once, with its message). Access logs are off by default: a proxy in front usually logs, and
    writing a line per request costs a Python worker a good part of its throughput.
    """
    app = create_app(settings)
    if settings.api_auth is ApiAuth.NONE:
        sys.stderr.write(AUTH_OFF_BANNER)
        log.warning("LCM_API_AUTH=none: authentication is off (local demo only)")
    common = {
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": True,
        "access_log": access_log,
    }
    if workers == 1:
        uvicorn.run(app, **common)  # type: ignore[arg-type]
    else:
        # The workers count requests in files of one shared folder (see lcm_etl.api.metrics).
        with metrics.worker_processes():
            uvicorn.run(
                "lcm_etl.api.server:app_from_environment",
                factory=True,
                workers=workers,
                **common,  # type: ignore[arg-type]
            )


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process, from the process's environment."""
    return create_app(get_settings())
