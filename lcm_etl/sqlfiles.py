"""The project's SQL lives in ``sql/`` at the repository root, one file per table or view; this
module reads those files (once) for the code that runs them with bound parameters."""

from __future__ import annotations

import functools
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@functools.cache
def load(relative_path: str) -> str:
    """The text of ``sql/<relative_path>``."""
    path = SQL_DIR / relative_path
    if not path.is_file():
        raise FileNotFoundError(
            f"SQL file {path} is missing; lcm-etl must run from a source checkout or an "
            "editable install (pip install -e .)"
        )
    return path.read_text()
