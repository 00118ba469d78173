"""Expected failures, told in a sentence or two: what failed and what to check.

The CLI and the event consumer show these instead of a traceback: a wrong setting, an unreachable
database or Redis, a pass that is still running, a source that lacks its tables. Anything else is
a bug, and keeps its traceback.
"""

from __future__ import annotations

import redis
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from lcm_etl.db import LockTimeout
from lcm_etl.runlog import PassFailed
from lcm_etl.settings import ConfigError

# What a long-running process may wait out: the server comes back, the network heals.
TRANSIENT = (
    redis.ConnectionError,
    redis.TimeoutError,
    OperationalError,
    InterfaceError,
)


def first_line(error: BaseException) -> str:
    """The first line of an error's own message (a driver's error, not SQLAlchemy's wrapping)."""
    inner = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(inner).strip().splitlines()
    return lines[0].strip().rstrip(".") if lines else type(inner).__name__


def describe(error: BaseException) -> str | None:
    """One or two sentences for an expected failure; None for anything else."""
    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, PassFailed):
        return (
            f"{first_line(error)}. The previous read model is still served; see lcm.pipeline_run."
        )
    if isinstance(error, LockTimeout):
        return (
            f"{first_line(error)}. Wait for that pass to end (lcm.pipeline_run shows it), or raise "
            "LCM_LOCK_TIMEOUT_SECONDS."
        )
    if isinstance(error, redis.RedisError):
        return (
            f"The event bus could not be reached ({first_line(error)}). Check "
            "LCM_EVENT_BUS_REDIS_URL and that Redis is running."
        )
    if isinstance(error, OperationalError | InterfaceError):
        return (
            f"The read-model database could not be reached or refused the request "
            f"({first_line(error)}). Check LCM_DATABASE_URL and that PostgreSQL is running."
        )
    return None
