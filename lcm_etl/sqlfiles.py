"""The project's SQL lives in ``sql/`` at the repository root, one file per table or view; the build
ships it inside the package as ``lcm_etl._sql`` (setup.py), and this module reads those files (once)
through importlib.resources for the code that runs them with bound parameters."""

from __future__ import annotations

import functools
from importlib import resources

SQL_PACKAGE = "lcm_etl._sql"


@functools.cache
def load(relative_path: str) -> str:
    """The text of ``sql/<relative_path>``."""
    resource = resources.files(SQL_PACKAGE).joinpath(relative_path)
    if not resource.is_file():
        raise FileNotFoundError(f"no SQL file sql/{relative_path} in the lcm_etl package")
    return resource.read_text(encoding="utf-8")
