"""Read replicas: the API and ``lcm-etl page`` read a real physical standby
(``LCM_READ_DATABASE_URL``) while the pipeline writes to the primary (``LCM_DATABASE_URL``).

The test starts its own primary and streaming standby (``standby.py``); it skips, saying why,
where no PostgreSQL server binaries can run.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from lcm_etl import cli, demo, migrate, pipeline, queries
from lcm_etl.api import create_app
from lcm_etl.db import make_engine
from lcm_etl.settings import Settings, get_settings, load_settings

from .standby import REPLAY_WAIT_SECONDS, StandbyPair, Unavailable, standby_pair, wait_for_replay

SECRET = "replica-test-secret-of-at-least-32-bytes"
LOW = uuid.UUID(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
HEALTHY = uuid.UUID(demo.SHOWCASE_HEALTHY_ENTERPRISE)


def admin_of(enterprise: uuid.UUID) -> dict[str, str]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    token = jwt.encode(
        {"roles": [f"enterprise_admin:{enterprise}"], "iat": now, "exp": now + 3600},
        SECRET,
        algorithm="HS256",
    )
    return {"Authorization": f"JWT {token}"}


def page_path(enterprise: uuid.UUID) -> str:
    return f"/api/v1/enterprises/{enterprise}/learner-credit"


class Deployment:
    """A read model on the primary, published once from the demo source, and its replica."""

    def __init__(self, pair: StandbyPair, work: Path) -> None:
        admin = make_engine(pair.primary_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE lcm"))
        admin.dispose()
        self.pair = pair
        self.primary = make_engine(pair.primary_url("lcm"))
        self.replica = make_engine(pair.standby_url("lcm"))
        migrate.upgrade(self.primary)
        self.source_url = f"sqlite:///{work / 'source.sqlite'}"
        demo.generate(self.source_url, seed=7, scale="S", replace=True)
        self.settings: Settings = load_settings(
            database_url=pair.primary_url("lcm").render_as_string(hide_password=False),
            read_database_url=pair.standby_url("lcm").render_as_string(hide_password=False),
            ecommerce_database_url=self.source_url,
            data_dir=work / "data",
            api_auth="jwt",
            jwt_secret=SECRET,
            lock_timeout_seconds=60,
        )
        self.first = pipeline.run_pass(self.settings, mode="full", trigger="manual")
        assert self.first.publish.status == "succeeded"
        wait_for_replay(self.primary, self.replica)

    def replay(self, *, paused: bool) -> None:
        """Pause or resume the standby's WAL replay (and wait until a pause has taken hold)."""
        with self.replica.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if not paused:
                conn.execute(text("SELECT pg_wal_replay_resume()"))
                return
            conn.execute(text("SELECT pg_wal_replay_pause()"))
            deadline = time.monotonic() + REPLAY_WAIT_SECONDS
            while conn.execute(text("SELECT pg_get_wal_replay_pause_state()")).scalar() != (
                "paused"
            ):
                assert time.monotonic() < deadline, "the standby's replay did not pause"
                time.sleep(0.05)

    def close(self) -> None:
        self.primary.dispose()
        self.replica.dispose()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    try:
        with standby_pair() as pair:
            built = Deployment(pair, tmp_path_factory.mktemp("replica"))
            try:
                yield built
            finally:
                built.close()
    except Unavailable as exc:
        pytest.skip(f"no physical standby can be started here: {exc}")


def test_the_api_reads_the_replica_and_reports_its_lag(deployment: Deployment) -> None:
    with TestClient(create_app(deployment.settings)) as client:
        health = client.get("/healthz").json()
        answer = client.get(page_path(LOW), headers=admin_of(LOW))
    assert health["status"] == "ok"
    assert health["replication"]["role"] == "replica"
    assert health["replication"]["lag_seconds"] == 0.0  # everything received is replayed
    assert health["last_publish_run_id"] == deployment.first.publish.run_id
    assert answer.status_code == 200
    expected = queries.learner_credit_page(deployment.primary, LOW, settings=deployment.settings)
    assert answer.json() == expected


def test_the_replica_rejects_writes(deployment: Deployment) -> None:
    with pytest.raises(DBAPIError) as raised, deployment.replica.begin() as conn:
        conn.execute(text("DELETE FROM lcm.offer_summary"))
    assert raised.value.orig is not None
    assert getattr(raised.value.orig, "sqlstate", None) == "25006"  # read_only_sql_transaction
    with deployment.replica.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lcm.offer_summary")).scalar_one() > 0


def test_tenant_isolation_holds_on_the_replica(deployment: Deployment) -> None:
    with TestClient(create_app(deployment.settings)) as client:
        other = client.get(page_path(HEALTHY), headers=admin_of(LOW))
        own = client.get(page_path(HEALTHY), headers=admin_of(HEALTHY))
    assert other.status_code == 403
    assert own.status_code == 200
    # Row-level security on the replica itself: the portal role sees only the tenant it names.
    count = text(
        "SELECT count(*) FILTER (WHERE enterprise_customer_uuid = :other), count(*) "
        "FROM lcm.offer_redemption"
    )
    with queries.tenant_transaction(deployment.replica, LOW) as conn:
        foreign, seen = conn.execute(count, {"other": HEALTHY}).one()
    assert (foreign, seen > 0) == (0, True)
    with queries.tenant_transaction(deployment.replica, None) as conn:
        assert conn.execute(count, {"other": HEALTHY}).one() == (0, 0)


def test_a_pass_published_on_the_primary_becomes_visible_on_the_replica(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(deployment.settings)) as client:
        before = client.get(page_path(LOW), headers=admin_of(LOW)).json()
        deployment.replay(paused=True)
        try:
            demo.apply_changes(deployment.source_url, seed=7, fraction=0.05)
            second = pipeline.run_pass(deployment.settings, mode="incremental", trigger="manual")
            assert second.publish.status == "succeeded"
            on_primary = queries.learner_credit_page(
                deployment.primary, LOW, settings=deployment.settings
            )
            assert on_primary is not None
            assert on_primary["data_as_of"] != before["data_as_of"]
            # Replay paused: the replica still serves the first pass, and says it is behind.
            held = client.get("/healthz").json()
            stale = client.get(page_path(LOW), headers=admin_of(LOW)).json()
            printed = _lcm_etl_page(deployment, monkeypatch)
            held_metrics = client.get("/metrics").text
        finally:
            deployment.replay(paused=False)
        assert held["last_publish_run_id"] == deployment.first.publish.run_id
        assert held["replication"]["lag_seconds"] > 0
        assert _metric(held_metrics, "lcm_read_replica_lag_seconds") > 0
        assert stale == before
        assert printed == before  # `lcm-etl page` reads the replica too
        wait_for_replay(deployment.primary, deployment.replica)
        caught_up = client.get("/healthz").json()
        caught_up_metrics = client.get("/metrics").text
        fresh = client.get(page_path(LOW), headers=admin_of(LOW)).json()
    assert caught_up["last_publish_run_id"] == second.publish.run_id
    assert caught_up["replication"]["lag_seconds"] == 0.0
    assert _metric(caught_up_metrics, "lcm_read_replica_lag_seconds") == 0.0
    assert _metric(caught_up_metrics, "lcm_read_database_is_replica") == 1.0
    assert fresh == on_primary
    assert fresh["data_as_of"] == caught_up["data_as_of"]


def _metric(exposition: str, name: str) -> float:
    """The value of an unlabelled metric in Prometheus' text format."""
    for line in exposition.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def _lcm_etl_page(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> object:
    settings = deployment.settings
    assert settings.database_url is not None
    assert settings.read_database_url is not None
    monkeypatch.setenv("LCM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LCM_READ_DATABASE_URL", settings.read_database_url)
    monkeypatch.setenv("LCM_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["page", str(LOW)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
