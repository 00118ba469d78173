"""Database connections: the read-model engine (a real server or the embedded PostgreSQL), source
engines, and the advisory lock that serializes pipeline passes."""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from lcm_etl.settings import ConfigError, Settings

log = logging.getLogger(__name__)

# pg_advisory_lock key shared by every pass stage (ingest, publish). Any bigint works; this one is
# the CRC32 of "lcm-etl pipeline" so it will not collide with Alembic's or another app's lock.
PIPELINE_LOCK_KEY = 0x5F3C_9A21
MIGRATION_LOCK_KEY = 0x5F3C_9A22

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def normalize_url(url: str | URL) -> URL:
    """Pick the drivers lcm-etl ships with when a URL names none (``postgresql://`` → psycopg 3)."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def embedded_postgres_url(data_dir: Path) -> URL:
    """Start (or reuse) the embedded PostgreSQL in ``data_dir`` and return its URL.

    The server keeps running after this process exits, so later commands reuse it in milliseconds;
    ``lcm-etl embedded-db stop`` stops it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes.
        warnings.simplefilter("ignore", Warning)
        import pgserver  # imported lazily: starting Postgres is only for the embedded default

        server = pgserver.get_server(data_dir.resolve(), cleanup_mode=None)
    return normalize_url(server.get_uri())


def read_model_url(settings: Settings) -> URL:
    if settings.database_url:
        return normalize_url(settings.database_url)
    return embedded_postgres_url(settings.embedded_pg_dir)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    parsed = normalize_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        options["connect_args"] = {"application_name": "lcm-etl"}
    options.update(kwargs)
    return create_engine(parsed, **options)


def read_model_engine(settings: Settings, **kwargs: Any) -> Engine:
    engine = make_engine(read_model_url(settings), **kwargs)
    if engine.dialect.name != "postgresql":
        raise ConfigError(
            f"LCM_DATABASE_URL must point at PostgreSQL (got a {engine.dialect.name} URL)."
        )
    return engine


def pipeline_engine(settings: Settings) -> Engine:
    """The read-model engine of the pipeline's stages. Every session starts with the publish's
    ``temp_buffers`` (which PostgreSQL lets a session set only before its first temporary table,
    and an ingest creates some), so one engine and its pooled sessions can serve an ingest, then
    a publish — pass after pass, for a long-running consumer — without new connections."""
    return read_model_engine(
        settings,
        connect_args={
            "application_name": "lcm-etl",
            "options": f"-c temp_buffers={settings.transform_work_mem_mb}MB",
        },
    )


def read_replica_engine(settings: Settings, **kwargs: Any) -> Engine:
    """The engine the readers use (API, ``lcm-etl page``): ``LCM_READ_DATABASE_URL`` — a
    physical standby of the read model — when set, else the read model itself."""
    if not settings.read_database_url:
        return read_model_engine(settings, **kwargs)
    engine = make_engine(settings.read_database_url, **kwargs)
    if engine.dialect.name != "postgresql":
        raise ConfigError(
            f"LCM_READ_DATABASE_URL must point at PostgreSQL (got a {engine.dialect.name} URL)."
        )
    return engine


def ecommerce_source_url(settings: Settings) -> URL:
    """The ecommerce source: ``LCM_ECOMMERCE_DATABASE_URL``, else the generated demo file."""
    if settings.ecommerce_database_url:
        return normalize_url(settings.ecommerce_database_url)
    path = settings.demo_source_path
    if not path.exists():
        raise ConfigError(
            "LCM_ECOMMERCE_DATABASE_URL is not set and there is no demo source at "
            f"{path}: run `lcm-etl demo-source` first, or set LCM_ECOMMERCE_DATABASE_URL."
        )
    return make_url(f"sqlite:///{path.resolve()}")


def lms_source_url(settings: Settings) -> URL | None:
    """The LMS source (enterprise customers and their learners), or None when there is none.

    ``LCM_LMS_DATABASE_URL`` when set; otherwise the demo SQLite file, which holds the LMS tables
    next to the ecommerce ones, when the ecommerce source is that file; otherwise None.
    """
    if settings.lms_database_url:
        return normalize_url(settings.lms_database_url)
    if not settings.ecommerce_database_url and settings.demo_source_path.exists():
        return make_url(f"sqlite:///{settings.demo_source_path.resolve()}")
    return None


def license_manager_source_url(settings: Settings) -> URL | None:
    """The license-manager source (subscription plans), or None when there is none.

    ``LCM_LICENSE_MANAGER_DATABASE_URL`` when set; otherwise the demo SQLite file, which holds the
    license-manager tables too, when the ecommerce source is that file; otherwise None.
    """
    if settings.license_manager_database_url:
        return normalize_url(settings.license_manager_database_url)
    if not settings.ecommerce_database_url and settings.demo_source_path.exists():
        return make_url(f"sqlite:///{settings.demo_source_path.resolve()}")
    return None


class LockTimeout(RuntimeError):
    """Another pass held the pipeline lock for longer than ``LCM_LOCK_TIMEOUT_SECONDS``."""


@contextlib.contextmanager
def pipeline_lock(
    engine: Engine, timeout_seconds: float, key: int = PIPELINE_LOCK_KEY
) -> Iterator[Connection]:
    """Hold the session-level advisory lock that serializes passes, on a connection of its own.

    A killed process loses its session and so its lock, so a crash never blocks the next pass.
    Waits up to ``timeout_seconds`` for a running pass to finish.
    """
    deadline = time.monotonic() + timeout_seconds
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        delay = 0.05
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    "another lcm-etl pass still holds the pipeline lock after "
                    f"{timeout_seconds:g} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        try:
            yield conn
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def stop_embedded_postgres(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL in ``data_dir`` if it runs; return whether it did."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Warning)
        import pgserver

        pgserver.get_server(data_dir.resolve(), cleanup_mode="stop").cleanup()
    return True
