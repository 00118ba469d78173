"""A real Airflow on this machine, for ``lcm-etl bench-freshness --airflow``.

It starts what a deployment runs — ``airflow api-server``, ``airflow scheduler`` (LocalExecutor)
and ``airflow dag-processor`` from the ``[airflow]`` extra — over the project's ``dags/``, with a
throw-away ``AIRFLOW_HOME`` and a fresh metadata database on the read model's PostgreSQL server,
listening on free loopback ports only. The consumer then reaches it exactly as in production,
through the REST API (``LCM_AIRFLOW_API_URL``), and the DAG tasks run the pipeline with the
``LCM_*`` settings handed to the scheduler.

lcm_etl never imports airflow: the stack is driven through the ``airflow`` command of the same
environment and through HTTP. Every process it starts runs in its own session (process group),
and :meth:`AirflowStack.stop` ends exactly those groups, then drops the metadata database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import URL

from lcm_etl.db import make_engine

#: Airflow settings of the bench's deployment, each with why. Everything else is Airflow's
#: default, so the figure is that of a stock scheduler.
BENCH_AIRFLOW_CONFIG: dict[str, str] = {
    # The DAGs run as deployed; a paused DAG ignores asset events.
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    # SimpleAuthManager hands out admin tokens at GET /auth/token (a throw-away, loopback-only
    # deployment); the consumer sends one as LCM_AIRFLOW_API_TOKEN.
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
}


class AirflowStackError(RuntimeError):
    """Airflow did not come up (or a call to it failed); the message says where to look."""


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def airflow_command() -> str:
    """The ``airflow`` executable of this environment (the ``[airflow]`` extra)."""
    beside = Path(sys.executable).with_name("airflow")
    found = str(beside) if beside.exists() else shutil.which("airflow")
    if not found:
        raise AirflowStackError(
            "no `airflow` command: install the airflow extra (pip install -e '.[airflow]')"
        )
    return found


def default_dags_folder() -> Path:
    """``dags/`` of the source tree this package runs from (an editable install)."""
    return Path(__file__).resolve().parents[2] / "dags"


@dataclasses.dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: IO[bytes]


class AirflowStack:
    """api-server + scheduler + dag-processor; use as a context manager."""

    def __init__(
        self,
        *,
        server_url: URL,
        lcm_environment: Mapping[str, str],
        dags_folder: Path | None = None,
        extra_config: Mapping[str, str] | None = None,
        startup_timeout_seconds: float = 300.0,
    ) -> None:
        self.server_url = server_url
        self.dags_folder = dags_folder or default_dags_folder()
        if not (self.dags_folder / "lcm_ingest.py").exists():
            raise AirflowStackError(f"no lcm_ingest.py in the DAGs folder {self.dags_folder}")
        self.lcm_environment = dict(lcm_environment)
        self.extra_config = dict(extra_config or {})
        self.startup_timeout = startup_timeout_seconds
        self.home = Path(tempfile.mkdtemp(prefix="lcm-airflow-"))
        self.database = f"lcm_airflow_{uuid.uuid4().hex[:10]}"
        self.api_port = free_port()
        self.log_server_port = free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self._processes: list[_Process] = []
        self._http = httpx.Client(base_url=self.url, timeout=30.0)
        self._token: str | None = None

    # ---- life cycle -------------------------------------------------------------------------

    def __enter__(self) -> AirflowStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        metadata = self.server_url.set(database=self.database)
        sync = metadata.set(drivername="postgresql+psycopg")
        asynchronous = metadata.set(drivername="postgresql+psycopg_async")
        return {
            **os.environ,
            **self.lcm_environment,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sync.render_as_string(hide_password=False),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": asynchronous.render_as_string(
                hide_password=False
            ),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_server_port),
            # Throw-away secrets of a throw-away deployment (64 bytes for HS512).
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex * 2,
            "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
            **BENCH_AIRFLOW_CONFIG,
            **self.extra_config,
        }

    def start(self) -> None:
        admin = make_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.database}"'))  # a generated name
        finally:
            admin.dispose()
        environment = self.environment()
        with (self.home / "db-migrate.log").open("wb") as log:
            done = subprocess.run(
                [airflow_command(), "db", "migrate"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            raise AirflowStackError(f"`airflow db migrate` failed: see {self.home}/db-migrate.log")
        # The api-server first: the scheduler's task processes report to its execution API.
        self._spawn("api-server", environment)
        self._wait_for("the api-server to answer", self._api_ready)
        self._spawn("scheduler", environment)
        self._spawn("dag-processor", environment)
        self._wait_for("the DAGs to be parsed", self._dags_ready)

    def stop(self) -> None:
        """End the processes this stack started (their groups only), drop its database."""
        for process in reversed(self._processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in reversed(self._processes):
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)
            # Task processes of the group may outlive its leader by a moment.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            process.log.close()
        self._processes.clear()
        self._http.close()
        admin = make_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        finally:
            admin.dispose()
        shutil.rmtree(self.home, ignore_errors=True)

    def _spawn(self, command: str, environment: Mapping[str, str]) -> None:
        log = (self.home / f"{command}.log").open("wb")
        popen = subprocess.Popen(
            [airflow_command(), command],
            env=dict(environment),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended by stop()
        )
        self._processes.append(_Process(command, popen, log))

    def _wait_for(self, what: str, ready: Any) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            for process in self._processes:
                if process.popen.poll() is not None:
                    raise AirflowStackError(
                        f"airflow {process.name} exited ({process.popen.returncode}) while "
                        f"waiting for {what}: see {self.home}/{process.name}.log"
                    )
            with contextlib.suppress(httpx.HTTPError):
                if ready():
                    return
            time.sleep(0.5)
        raise AirflowStackError(f"timed out waiting for {what}; logs in {self.home}")

    def _api_ready(self) -> bool:
        return self._http.get("/auth/token").status_code < 300

    def _dags_ready(self) -> bool:
        answer = self.get("/api/v2/assets", params={"name_pattern": "lcm_event_bus"})
        if not any(a.get("name") == "lcm_event_bus" for a in answer.get("assets", [])):
            return False
        dags = {d["dag_id"]: d for d in self.get("/api/v2/dags").get("dags", [])}
        wanted = ("lcm_ingest", "lcm_publish")
        return all(name in dags and not dags[name]["is_paused"] for name in wanted)

    # ---- REST -------------------------------------------------------------------------------

    @property
    def token(self) -> str:
        if self._token is None:
            answer = self._http.get("/auth/token")
            answer.raise_for_status()
            self._token = str(answer.json()["access_token"])
        return self._token

    def get(self, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self._http.get(path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs)
        if answer.status_code >= 400:
            raise AirflowStackError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
        body: dict[str, Any] = answer.json()
        return body

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """The DAG's runs, oldest first."""
        answer = self.get(
            f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "run_after", "limit": 100}
        )
        return list(answer.get("dag_runs", []))

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        answer = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return list(answer.get("task_instances", []))

    def wait_until_idle(self, dag_ids: tuple[str, ...], timeout_seconds: float = 600) -> None:
        """Until no run of these DAGs is queued or running (e.g. the first hourly run)."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            busy = [
                run
                for dag_id in dag_ids
                for run in self.dag_runs(dag_id)
                if run["state"] in ("queued", "running")
            ]
            if not busy:
                return
            time.sleep(1)
        raise AirflowStackError(f"runs of {', '.join(dag_ids)} still busy; logs in {self.home}")


def parse_time(value: str | None) -> dt.datetime | None:
    """An Airflow REST timestamp (ISO 8601, 'Z') as an aware datetime."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
