"""Airflow for the DAG tests: a throw-away AIRFLOW_HOME with a SQLite metadata database.

Imported by the DAG test modules before anything imports airflow (which reads its configuration
once, at import), so the environment is set first. Each xdist worker gets its own home. This is
a helper module, not a conftest.py: ``tests/conftest.py`` is imported as ``conftest`` by other
tests, and a second conftest here would shadow it.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
_HOMES = Path(tempfile.gettempdir())
_PREFIX = "lcm-airflow-home-"


def _sweep_stale_homes() -> None:
    """Remove homes of test processes that are gone (xdist workers may skip atexit)."""
    for home in _HOMES.glob(f"{_PREFIX}*"):
        try:
            os.kill(int(home.name.removeprefix(_PREFIX)), 0)
        except ProcessLookupError:
            shutil.rmtree(home, ignore_errors=True)
        except (ValueError, PermissionError):
            continue


_sweep_stale_homes()
AIRFLOW_HOME = _HOMES / f"{_PREFIX}{os.getpid()}"
shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
AIRFLOW_HOME.mkdir()
atexit.register(shutil.rmtree, AIRFLOW_HOME, True)

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"


def require_airflow() -> None:
    pytest.importorskip("airflow", reason="the airflow extra is not installed")


@functools.cache
def dag_bag() -> Any:
    """The DagBag of ``dags/``, parsed once per process."""
    require_airflow()
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@functools.cache
def airflow_db() -> Path:
    """``airflow db migrate`` once per process (``dag.test()`` needs a metadata database)."""
    require_airflow()
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return AIRFLOW_HOME / "airflow.db"
