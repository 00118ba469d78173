"""Shared fixtures: a real PostgreSQL for every test that needs one, a real MariaDB where set, the
local Redis for the event-bus tests.

PostgreSQL comes from ``LCM_TEST_DATABASE_URL`` (a server URL; tests create and drop their own
databases on it) or, when unset, from the embedded server in ``.lcm/pgdata``. Migrations run once
per test session into a template database; each test that writes gets its own copy of it
(``CREATE DATABASE … TEMPLATE``), so tests never see each other's rows, even under xdist.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from lcm_etl import migrate
from lcm_etl.db import embedded_postgres_url, make_engine, normalize_url
from lcm_etl.events.consumer import stream_names
from lcm_etl.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("LCM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


#: The test modules ``make test-fast`` leaves out (marked ``slow``): each runs whole pipeline
#: passes, Airflow, servers or generators, seconds per test. ``make test`` runs them all.
SLOW_MODULES = {
    # many full passes, or tools end to end
    "tests/integration/test_balance_properties.py": "forty full passes over generated sources",
    "tests/integration/test_bench.py": "the benchmark at scale S, servers and all",
    "tests/integration/serving/test_api_fuzz.py": "schemathesis over every endpoint",
    "tests/dags/test_dag_chain.py": "the DAGs run in order by Airflow",
    "tests/dags/test_dag_integrity.py": "Airflow parses the DAG folder",
    "tests/integration/test_events_freshness_bench.py": "the freshness benchmark over a live bus",
    "tests/integration/test_bench_sources.py": "demo sources generated and loaded",
    "tests/integration/test_demo_source.py": "demo sources generated, at several scales",
    # pipeline passes over built sources
    "tests/integration/test_pipeline_golden.py": "passes over the golden source",
    "tests/integration/test_pipeline_reliability.py": "passes killed, raced and repeated",
    "tests/integration/test_extract_sources.py": "passes over PostgreSQL and MariaDB sources",
    "tests/integration/test_eligibility_golden.py": "passes over the eligibility sources",
    "tests/integration/test_eligibility_demo.py": "passes over the demo source",
    "tests/integration/test_eligibility_time.py": "publishes at many points in time",
    "tests/integration/test_eligibility_mysql.py": "passes over MariaDB sources",
    "tests/integration/test_consent_email.py": "passes with consent changes",
    "tests/integration/test_alerts.py": "passes that move balance states",
    "tests/integration/test_consumer_refresh.py": "events that trigger passes",
    "tests/integration/serving/test_api_end_to_end.py": "a pass, then the API",
    "tests/integration/test_event_bursts.py": "bursts of events, each refreshed by passes",
    "tests/integration/test_targeted_reads.py": "targeted passes over built sources",
    "tests/integration/test_freshness_scale.py": "lcm-etl bench-freshness on a demo source",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(REPO).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def _admin_url() -> URL:
    configured = os.environ.get("LCM_TEST_DATABASE_URL")
    if configured:
        return normalize_url(configured)
    return embedded_postgres_url(REPO / ".lcm" / "pgdata")


def _create_database(admin: URL, name: str, template: str | None = None) -> URL:
    engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    engine.dispose()
    return admin.set(database=name)


def _drop_database(admin: URL, name: str) -> None:
    engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_admin_url() -> URL:
    return _admin_url()


@pytest.fixture(scope="session")
def template_database(pg_admin_url: URL) -> Iterator[str]:
    """A database migrated to head, used as the template of every test database."""
    name = f"lcm_tmpl_{uuid.uuid4().hex[:10]}"
    url = _create_database(pg_admin_url, name)
    engine = make_engine(url)
    # One migration at a time on the server: the roles the migrations create are cluster-wide,
    # and two xdist workers creating them at once on a fresh server raced ("role lcm_search does
    # not exist" in one worker, so half of a CI run errored). Advisory locks are per database:
    # both workers take the lock in the admin database.
    admin = make_engine(pg_admin_url)
    with admin.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(hashtext('lcm_etl tests: migrate'))"))
        try:
            migrate.upgrade(engine)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(hashtext('lcm_etl tests: migrate'))"))
            lock.commit()
    admin.dispose()
    engine.dispose()
    yield name
    _drop_database(pg_admin_url, name)


@pytest.fixture
def database_url(pg_admin_url: URL, template_database: str) -> Iterator[URL]:
    """A fresh, migrated read-model database for this test only."""
    name = f"lcm_test_{uuid.uuid4().hex[:12]}"
    url = _create_database(pg_admin_url, name, template=template_database)
    yield url
    _drop_database(pg_admin_url, name)


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_database_url(pg_admin_url: URL) -> Iterator[URL]:
    """A fresh database with no schema at all (for migration tests)."""
    name = f"lcm_empty_{uuid.uuid4().hex[:12]}"
    url = _create_database(pg_admin_url, name)
    yield url
    _drop_database(pg_admin_url, name)


@pytest.fixture
def sqlite_source_url(tmp_path: Path) -> URL:
    """A path for a SQLite ecommerce source; the test creates its tables."""
    return make_url(f"sqlite:///{tmp_path / 'source.sqlite'}")


@pytest.fixture
def mysql_url() -> Iterator[URL]:
    """A fresh database on the MariaDB/MySQL at ``LCM_TEST_MYSQL_URL``; skips where it is unset."""
    configured = os.environ.get("LCM_TEST_MYSQL_URL")
    if not configured:
        pytest.skip("LCM_TEST_MYSQL_URL is not set")
    server = normalize_url(configured)
    name = f"lcm_src_{uuid.uuid4().hex[:12]}"
    # URL.set(database=None) would keep the database (None means "unchanged" there).
    admin = make_engine(server._replace(database=None), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    yield server.set(database=name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture
def make_settings(tmp_path: Path, database_url: URL):
    """Settings for a test: its own read-model database and data folder, plus any overrides."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": database_url.render_as_string(hide_password=False),
            "data_dir": tmp_path / "data",
            "lock_timeout_seconds": 60,
        }
        values.update(overrides)
        return load_settings(**values)

    return factory


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """A client of the test Redis (``LCM_TEST_REDIS_URL``, else the local one); the test is
    skipped when none answers."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield connection
    connection.close()


@pytest.fixture
def bus_settings(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> Iterator[Callable[..., Settings]]:
    """Settings on a private event bus: the test Redis, streams and consumer group under a prefix
    of the test's own (Redis is shared by parallel tests); the streams are deleted afterwards."""
    made: list[Settings] = []

    def factory(**overrides: object) -> Settings:
        prefix = f"lcmtest{uuid.uuid4().hex[:10]}"
        values: dict[str, object] = {
            "event_bus_redis_url": REDIS_URL,
            "event_bus_topic_prefix": prefix,
            "event_bus_consumer_group": f"{prefix}-group",
            "event_bus_block_ms": 50,
        }
        values.update(overrides)
        settings = make_settings(**values)
        made.append(settings)
        return settings

    yield factory
    for settings in made:
        redis_client.delete(*stream_names(settings))
