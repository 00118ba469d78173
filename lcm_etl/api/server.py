"""``lcm-etl serve``: the API under uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn

from lcm_etl.api.app import create_app
from lcm_etl.settings import ApiAuth, Settings

log = logging.getLogger(__name__)

AUTH_OFF_BANNER = """
**************************************************************************************
*  LCM_API_AUTH=none: AUTHENTICATION IS OFF. Anyone who can reach this server reads  *
*  every enterprise's learner-credit data. For a local demo only — never deploy it.  *
**************************************************************************************
"""


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Build the app (a ``ConfigError`` stops start-up, e.g. JWT auth without a key) and run it."""
    app = create_app(settings)
    if settings.api_auth is ApiAuth.NONE:
        sys.stderr.write(AUTH_OFF_BANNER)
        log.warning("LCM_API_AUTH=none: authentication is off (local demo only)")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
