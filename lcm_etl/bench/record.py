"""The bench report as it grows: written after each phase, so that a late failure (the API phase
of an L run, 25 minutes in) keeps every figure measured before it.

A report carries its own state: ``partial`` (true until the last phase is done),
``phases_completed``, ``phases_missing`` and, when the run failed, ``failure`` (the phase and the
error text). ``python -m lcm_etl.bench.markdown`` renders what is there and names what is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PHASES = (
    "setup",
    "limit",
    "full_pass",
    "incremental_pass",
    "growth",
    "vacuum_analyze",
    "api",
    "budgets",
    "mariadb",
    "goals",
)
"""Every phase of a run, in order; ``mariadb`` only with ``--mysql-url``."""


def write_atomically(path: Path, report: dict[str, Any]) -> None:
    """Write the JSON to a temporary file next to ``path``, then rename it over ``path``: a reader
    (or a crash) sees the previous report or the new one, never half of one."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(json.dumps(report, indent=2, default=str) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def error_text(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, SystemExit):
        return f"stopped (exit status {exc.code})"
    return str(exc) or type(exc).__name__


class Recorder:
    """The report of one run and the phases done so far, rewritten to ``path`` (when given) after
    each phase."""

    def __init__(self, report: dict[str, Any], phases: Sequence[str], path: Path | None) -> None:
        self.report = report
        self.phases = tuple(phases)
        self.path = path
        self.completed: list[str] = []
        self.failure: dict[str, str] | None = None

    def state(self) -> dict[str, Any]:
        return {
            "partial": self.completed != list(self.phases),
            "phases_completed": list(self.completed),
            "phases_missing": [p for p in self.phases if p not in self.completed],
            "failure": self.failure,
        }

    def write(self) -> None:
        if self.path is not None:
            write_atomically(self.path, self.final())

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        assert name in self.phases, name
        yield
        self.completed.append(name)
        self.write()

    def fail(self, exc: BaseException) -> None:
        """Record the failure in the phase running — the first not completed: phases run in
        order — and write what was measured so far."""
        phase = next((p for p in self.phases if p not in self.completed), "")
        self.failure = {
            "phase": phase,
            "error_type": type(exc).__name__,
            "error": error_text(exc),
        }
        self.write()

    @property
    def failure_phase(self) -> str | None:
        return None if self.failure is None else self.failure["phase"]

    def final(self) -> dict[str, Any]:
        return {**self.report, **self.state()}
