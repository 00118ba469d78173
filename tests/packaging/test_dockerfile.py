"""The Dockerfile, checked without Docker (no engine runs here): a build stage makes the wheel,
and the images that ship install that wheel, with no editable install and no source tree in them.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
SOURCES = {"pyproject.toml", "setup.py", "README.md", "lcm_etl", "sql", "migrations"}
SHIPPED = ("runtime", "airflow")


@pytest.fixture(scope="module")
def stages() -> dict[str, list[dict[str, Any]]]:
    """Instructions per stage name, in order (``FROM <image> AS <name>`` opens a stage)."""
    parser = DockerfileParser(str(REPO / "Dockerfile"))
    found: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] | None = None
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            image, _, name = instruction["value"].partition(" AS ")
            current = found.setdefault(name.strip(), [])
            current.append({"instruction": "FROM", "value": image.strip()})
        elif current is not None and instruction["instruction"] != "COMMENT":
            current.append(instruction)
    return found


def _values(stage: list[dict[str, Any]], kind: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == kind]


def _copied_from_context(stage: list[dict[str, Any]]) -> set[str]:
    """What COPY takes from the build context (not ``--from`` another stage)."""
    sources: set[str] = set()
    for value in _values(stage, "COPY"):
        words = shlex.split(value)
        if any(word.startswith("--from") for word in words):
            continue
        sources |= {word.rstrip("/") for word in words[:-1] if not word.startswith("--")}
    return sources


def test_stages_build_then_ship_with_airflow_the_default(stages: dict[str, Any]) -> None:
    assert list(stages) == ["build", "runtime", "airflow"]
    assert _values(stages["runtime"], "FROM")[0].endswith("-slim")
    assert _values(stages["airflow"], "FROM")[0] == "apache/airflow:${AIRFLOW_VERSION}"


def test_the_build_stage_makes_the_sdist_and_wheel_from_the_sources(
    stages: dict[str, Any],
) -> None:
    build = stages["build"]
    assert _copied_from_context(build) == SOURCES
    assert any(run.startswith("python -m build") for run in _values(build, "RUN"))


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_image_installs_the_wheel_and_holds_no_checkout(
    stages: dict[str, Any], name: str
) -> None:
    stage = stages[name]
    runs = _values(stage, "RUN")
    installs = [run for run in runs if "pip install" in run]
    assert len(installs) == 1
    assert "--mount=type=bind,from=build,source=/dist" in installs[0]
    assert "/dist/lcm_etl-*.whl" in installs[0]
    assert not any(" -e " in run or "--editable" in run for run in runs)
    assert _copied_from_context(stage) & SOURCES == set()
    assert _copied_from_context(stage) <= {"dags"}


def test_the_runtime_image_runs_lcm_etl_unprivileged(stages: dict[str, Any]) -> None:
    runtime = stages["runtime"]
    assert _values(runtime, "ENTRYPOINT") == ['["lcm-etl"]']
    assert _values(runtime, "USER")[-1] not in {"root", "0"}


def test_compose_builds_targets_that_exist(stages: dict[str, Any]) -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    targets = {
        service["build"]["target"]
        for service in compose["services"].values()
        if isinstance(service.get("build"), dict)
    }
    assert targets == set(SHIPPED)
    assert targets <= set(stages)


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".venv", ".lcm", ".git"} <= ignored
