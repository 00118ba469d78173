"""lcm-etl as an operator installs it: built into an sdist and a wheel, the wheel installed into a
fresh virtualenv outside the checkout, every command run from an empty directory against a real
PostgreSQL, and the DAGs parsed from a folder that holds only ``dags/``.

``python -m build`` builds the sdist first and the wheel from the unpacked sdist, so both are
proven self-contained (the SQL and the migrations inside them). The virtualenv's dependencies come
through pip as usual (its cache makes that quick on a machine that installed them once).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

import lcm_etl
from lcm_etl.demo import SHOWCASE_LOW_BALANCE_ENTERPRISE

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# Files that only the bundling of the top-level sql/ and migrations/ puts in the package.
BUNDLED = (
    "lcm_etl/_sql/transform/offer_summary.sql",
    "lcm_etl/_sql/views/v_offer_balance.sql",
    "lcm_etl/_migrations/env.py",
    "lcm_etl/_migrations/script.py.mako",
    "lcm_etl/_migrations/versions/0001_core_read_model.py",
)


# What a build needs: the files the Dockerfile's build stage copies (test_dockerfile.py checks that
# list there). The build runs on a copy of them, so the checkout stays untouched.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "lcm_etl", "sql", "migrations")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built the way a release is, from the build inputs alone."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(REPO / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv, outside the checkout, with the wheel installed (not editable)."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True, capture_output=True)
    (wheel,) = dist.glob("lcm_etl-*.whl")
    subprocess.run(
        [str(home / "bin" / "pip"), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        env=_clean_environment(home),
    )
    return home


def _clean_environment(venv: Path, **settings: str) -> dict[str, str]:
    """The environment of a shell on a deployment host: this venv first on PATH, no setting or
    path of the test process (LCM_*, AIRFLOW*, PYTHONPATH, the development virtualenv)."""
    dropped = ("LCM_", "AIRFLOW", "PYTHON", "VIRTUAL_ENV", "PYTEST")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    development = str(Path(sys.executable).parent)
    path = [part for part in env.get("PATH", "").split(os.pathsep) if part != development]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    return {**env, **settings}


def _site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python*/site-packages")
    return found


def test_the_sdist_and_the_wheel_carry_the_sql_and_the_migrations(dist: Path) -> None:
    (wheel,) = dist.glob("lcm_etl-*.whl")
    (sdist,) = dist.glob("lcm_etl-*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(BUNDLED) <= in_wheel
    assert {"sql/transform/offer_summary.sql", "migrations/env.py", "setup.py"} <= in_sdist
    # The wheel holds the package only: no top-level sql/, migrations/, tests/ or dags/.
    assert {name.split("/", 1)[0] for name in in_wheel} == {
        "lcm_etl",
        f"lcm_etl-{lcm_etl.__version__}.dist-info",
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    empty = tmp_path / "ops"
    empty.mkdir()
    return empty


def test_the_installed_commands_run_from_an_empty_directory(
    venv: Path, workdir: Path, empty_database_url: URL
) -> None:
    env = _clean_environment(
        venv, LCM_DATABASE_URL=empty_database_url.render_as_string(hide_password=False)
    )
    installed = _site_packages(venv) / "lcm_etl"

    def lcm_etl_command(*args: str) -> str:
        done = subprocess.run(
            [str(venv / "bin" / "lcm-etl"), *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"lcm-etl {' '.join(args)}:\n{done.stderr}"
        return done.stdout

    assert lcm_etl_command("--version").strip() == f"lcm-etl {lcm_etl.__version__}"
    lcm_etl_command("migrate")
    lcm_etl_command("demo-source", "--seed", "7", "--scale", "S")
    lcm_etl_command("run", "--full")
    page = json.loads(lcm_etl_command("page", SHOWCASE_LOW_BALANCE_ENTERPRISE))

    assert page["enterprise_customer_uuid"] == SHOWCASE_LOW_BALANCE_ENTERPRISE
    assert page["offers"], "the demo's low-balance enterprise has offers"
    assert page["data_as_of"] is not None
    # The API serves the same page from the wheel's own dependencies (a fresh resolution once
    # brought a FastAPI on which `lcm-etl serve` crashed at start-up while the suite was green).
    served = _served_page(venv, workdir, env, SHOWCASE_LOW_BALANCE_ENTERPRISE)
    assert json.loads(served) == page
    # The code ran from the wheel's files, and the empty directory got only the data folder.
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import lcm_etl; print(lcm_etl.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).parent == installed
    assert [entry.name for entry in workdir.iterdir()] == [".lcm"]


def _served_page(venv: Path, workdir: Path, env: dict[str, str], enterprise: str) -> bytes:
    """The page as `lcm-etl serve` (auth off, loopback, a free port) answers it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(venv / "bin" / "lcm-etl"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env={**env, "LCM_API_AUTH": "none"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # bounded: about 30 s for the server to listen
            if server.poll() is not None:
                _, stderr = server.communicate()
                raise AssertionError(f"lcm-etl serve exited: {stderr.decode()}")
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/enterprises/{enterprise}/learner-credit"
                )
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            assert answer.status_code == 200, answer.text
            return answer.content
        raise AssertionError("lcm-etl serve did not answer")
    finally:
        server.terminate()
        server.wait(timeout=30)


PARSE_DAGS = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
import lcm_etl
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "dag_ids": sorted(bag.dag_ids),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "lcm_etl": lcm_etl.__file__,
}))
"""


def test_the_dags_parse_with_the_installed_package(venv: Path, tmp_path: Path) -> None:
    """A DAGs folder holding only the files of ``dags/``, lcm_etl from the wheel.

    Airflow itself is not installed into the fresh virtualenv (hundreds of packages): its
    site-packages reaches the development virtualenv's through a ``.pth`` line, placed after its
    own, so lcm_etl and every dependency the wheel installed are still found first (the test
    checks where lcm_etl came from)."""
    pytest.importorskip("airflow", reason="the airflow extra is not installed")
    dags = tmp_path / "dags"
    shutil.copytree(REPO / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "airflow-home"
    home.mkdir()
    site = _site_packages(venv)
    (site / "zz-development-airflow.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    try:
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-c", PARSE_DAGS, str(dags)],
            cwd=tmp_path,
            env=_clean_environment(
                venv,
                AIRFLOW_HOME=str(home),
                AIRFLOW__CORE__LOAD_EXAMPLES="False",
                AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
            ),
            capture_output=True,
            text=True,
        )
    finally:
        (site / "zz-development-airflow.pth").unlink()
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed["import_errors"] == {}
    assert parsed["dag_ids"] == ["lcm_balance_alerts", "lcm_ingest", "lcm_publish"]
    assert Path(parsed["lcm_etl"]).parent == site / "lcm_etl"
