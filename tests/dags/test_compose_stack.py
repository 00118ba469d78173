"""docker-compose.yml and the Dockerfile, checked without Docker: the services of the full stack
are there, wired to each other, and every LCM_* variable they set is a real, valid setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from lcm_etl.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def _services(compose: dict[str, Any]) -> dict[str, Any]:
    services = compose["services"]
    assert isinstance(services, dict)
    return services


def _default(value: Any) -> str:
    """``${VAR:-default}`` as compose resolves it with VAR unset."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))


def test_the_full_stack_is_there(compose: dict[str, Any]) -> None:
    services = _services(compose)
    expected = {"postgres", "redis", "airflow-init", "lcm-api", "lcm-consumer", *AIRFLOW_SERVICES}
    assert expected <= set(services)


def test_airflow_runs_locally_on_postgres_with_the_project_installed(
    compose: dict[str, Any],
) -> None:
    services = _services(compose)
    for name, command in AIRFLOW_SERVICES.items():
        service = services[name]
        assert service["command"] == command
        assert service["build"] == {"context": ".", "target": "airflow"}
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).hostname == "postgres"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
            "http://airflow-apiserver:8080/"
        )
        assert "./dags:/opt/airflow/dags" in service["volumes"]
        assert service["depends_on"]["airflow-init"]["condition"] == (
            "service_completed_successfully"
        )
    assert "lcm-etl migrate" in services["airflow-init"]["command"][-1]
    dockerfile = (REPO / "Dockerfile").read_text()
    pinned = re.search(r'"apache-airflow==([0-9.]+)"', (REPO / "pyproject.toml").read_text())
    assert pinned is not None
    assert f"ARG AIRFLOW_VERSION={pinned.group(1)}" in dockerfile
    assert "FROM apache/airflow:${AIRFLOW_VERSION} AS airflow" in dockerfile


def test_the_api_and_the_consumer_run_lcm_etl_against_the_stack(compose: dict[str, Any]) -> None:
    services = _services(compose)
    api, consumer = services["lcm-api"], services["lcm-consumer"]
    for service in (api, consumer, services["lcm-demo-source"]):
        assert service["build"] == {"context": ".", "target": "runtime"}
        assert "lcm-data:/data" in service["volumes"]
    assert api["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert api["entrypoint"] == ["lcm-etl"]
    assert api["command"][0] == "serve"
    assert "0.0.0.0" in api["command"]
    assert "exec lcm-etl consume-events" in consumer["command"][-1]
    env = consumer["environment"]
    airflow_url = urlsplit(env["LCM_AIRFLOW_API_URL"])
    assert airflow_url.hostname == "airflow-apiserver"
    assert f"{airflow_url.port}:{airflow_url.port}" in services["airflow-apiserver"]["ports"]
    assert urlsplit(env["LCM_EVENT_BUS_REDIS_URL"]).hostname == "redis"
    assert consumer["depends_on"]["redis"]["condition"] == "service_healthy"
    assert consumer["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_every_lcm_variable_is_a_valid_setting_and_databases_exist(compose: dict[str, Any]) -> None:
    init_sql = (REPO / "docker" / "postgres-init.sql").read_text()
    services = _services(compose)
    for name, service in services.items():
        env = {k: _default(v) for k, v in (service.get("environment") or {}).items()}
        lcm = {k.removeprefix("LCM_").lower(): v for k, v in env.items() if k.startswith("LCM_")}
        unknown = set(lcm) - set(Settings.model_fields)
        assert not unknown, f"{name}: unknown settings {unknown}"
        if lcm:
            if lcm.get("airflow_api_url"):
                lcm["airflow_api_token"] = "set-at-start"  # fetched by the service's command
            load_settings(**{k: v for k, v in lcm.items() if v != ""})  # raises ConfigError
        for key in ("LCM_DATABASE_URL", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
            if key in env:
                url = urlsplit(env[key])
                assert url.hostname == "postgres"
                assert f"CREATE DATABASE {url.path.lstrip('/')} OWNER {url.username};" in init_sql
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown service {dependency}"
