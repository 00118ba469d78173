"""The bench report written after each phase (``record.py``), and partial reports as Markdown.

The run itself failing late, against a real server, is in tests/integration/test_bench.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lcm_etl.bench.markdown import markdown
from lcm_etl.bench.record import PHASES, Recorder, write_atomically
from lcm_etl.bench.sources import BenchError

MACHINE = {
    "date": "2026-11-30T17:00:00+00:00",
    "commit": "0123456789abcdef",
    "uncommitted_changes": False,
    "cpus": 2,
    "cpu_model": "a CPU",
    "memory_gb": 7.8,
    "postgresql": "PostgreSQL 16.4 on x86_64",
    "python": "3.12.3",
    "load_average_at_start": [0.1, 0.2, 0.3],
}
LIMIT = {
    "rows": 12_000,
    "seconds": 1.5,
    "rows_per_second": 8_000,
    "source_read_seconds": 0.5,
    "copy_seconds": 0.9,
    "copy_rows_per_second": 13_333,
    "ledger_rows": 3_000,
}


def test_the_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    write_atomically(path, {"scale": "S", "figures": 1})
    write_atomically(path, {"scale": "S", "figures": 2})

    assert json.loads(path.read_text()) == {"scale": "S", "figures": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]


def test_each_completed_phase_is_on_disk_before_the_next_starts(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    recorder = Recorder({"scale": "S", "seed": 7}, PHASES, path)
    recorder.write()
    assert json.loads(path.read_text())["phases_completed"] == []

    with recorder.phase("setup"):
        recorder.report["machine"] = MACHINE
    with recorder.phase("limit"):
        recorder.report["limit"] = LIMIT
    on_disk = json.loads(path.read_text())
    assert on_disk["limit"] == LIMIT
    assert on_disk["partial"] is True
    assert on_disk["phases_completed"] == ["setup", "limit"]
    assert on_disk["phases_missing"] == list(PHASES[2:])
    assert on_disk["failure"] is None


def test_a_failure_names_its_phase_and_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    recorder = Recorder({"scale": "S", "seed": 7}, PHASES, path)
    with recorder.phase("setup"):
        recorder.report["machine"] = MACHINE
    with pytest.raises(BenchError), recorder.phase("limit"):
        raise BenchError("the source has no tables")
    recorder.fail(BenchError("the source has no tables"))

    on_disk = json.loads(path.read_text())
    assert on_disk["machine"] == MACHINE
    assert on_disk["failure"] == {
        "phase": "limit",
        "error_type": "BenchError",
        "error": "the source has no tables",
    }
    assert on_disk["phases_completed"] == ["setup"]
    assert on_disk["phases_missing"][0] == "limit"


def test_all_phases_done_is_a_complete_report(tmp_path: Path) -> None:
    recorder = Recorder({"scale": "S", "seed": 7}, ("setup", "goals"), tmp_path / "bench.json")
    with recorder.phase("setup"):
        pass
    with recorder.phase("goals"):
        pass

    final = recorder.final()
    assert final["partial"] is False
    assert final["phases_missing"] == []
    assert json.loads((tmp_path / "bench.json").read_text()) == final


def test_a_report_that_failed_before_its_setup_renders_its_failure() -> None:
    report = {
        "scale": "L",
        "seed": 7,
        "partial": True,
        "phases_completed": [],
        "phases_missing": list(PHASES),
        "failure": {"phase": "setup", "error_type": "BenchError", "error": "no server"},
    }

    document = markdown(report)

    assert document.startswith("Scale L, seed 7.")
    assert "the run failed in the `setup` phase: no server" in document
    assert "`goals`" in document


def test_a_partial_report_renders_what_it_has_and_names_what_is_missing() -> None:
    report = {
        "scale": "L",
        "seed": 7,
        "machine": MACHINE,
        "limit": LIMIT,
        "partial": True,
        "phases_completed": ["setup", "limit"],
        "phases_missing": list(PHASES[2:]),
        "failure": None,
    }

    document = markdown(report)

    assert "commit `0123456789ab`" in document
    assert "| **limit**: one join query + COPY | **1.50** | 12,000 rows, 8,000 rows/s |" in document
    assert "had not finished" in document
    assert "Phases missing: `full_pass`, `incremental_pass`, `growth`" in document
    assert "**API over loopback**" not in document
    assert "**Goals**" not in document
