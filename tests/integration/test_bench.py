"""``lcm-etl bench --scale S`` end to end: every figure is produced and every ratio computed.

A smoke test of the harness, run as an operator runs it (the CLI in a subprocess, the real
PostgreSQL server, servers on loopback). It never bounds a time: figures must exist, be positive
and be consistent with each other, whatever this machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from lcm_etl.bench.markdown import markdown
from lcm_etl.bench.record import PHASES

CLI = (sys.executable, "-c", "from lcm_etl.cli import app; app()")


def _run_bench(server: URL, data_dir: Path, report: Path, *extra: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "LCM_DATABASE_URL": server.render_as_string(hide_password=False),
        "LCM_DATA_DIR": str(data_dir),
    }
    completed = subprocess.run(
        [*CLI, "bench", "--scale", "S", "--json", str(report), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard, not a performance bound
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    # The tables went to the terminal too.
    assert "goals" in completed.stderr
    result: dict[str, Any] = json.loads(report.read_text())
    assert result["partial"] is False
    assert result["phases_missing"] == []
    assert result["failure"] is None
    return result


def _assert_load(measured: dict[str, Any], clients: int) -> None:
    assert measured["concurrency"] == clients
    assert measured["requests"] >= 2 * clients
    assert measured["seconds"] > 0
    assert measured["requests_per_second"] > 0
    assert 0 < measured["p50_ms"] <= measured["p95_ms"] <= measured["p99_ms"] <= measured["max_ms"]
    cpu = measured["cpu_per_request"]
    # The local PostgreSQL's backends are found (the test server runs on this machine).
    assert all(cpu[who] >= 0 for who in ("server_ms", "client_ms", "postgres_ms", "other_ms"))
    assert 0 < cpu["busy_fraction"] <= 1
    assert measured["new_connections"] >= 0


def _assert_pass(measured: dict[str, Any], mode: str) -> None:
    assert measured["mode"] == mode
    assert measured["seconds"] > 0
    assert 0 < measured["ingest_seconds"] < measured["seconds"]
    assert 0 < measured["publish_seconds"] < measured["seconds"]
    assert measured["timings"]
    assert all(value >= 0 for value in measured["timings"].values())
    assert any(key.startswith("ingest: ") for key in measured["timings"])
    assert any(key.startswith("publish: ") for key in measured["timings"])
    assert measured["peak_rss_mb"] >= measured["rss_before_mb"] > 0


def _assert_limit(limit: dict[str, Any]) -> None:
    assert limit["rows"] > 0
    assert limit["seconds"] > 0
    assert limit["source_read_seconds"] > 0
    assert limit["copy_seconds"] > 0
    assert limit["source_read_seconds"] + limit["copy_seconds"] <= limit["seconds"] * 1.01
    assert limit["rows_per_second"] > 0
    assert limit["copy_rows_per_second"] >= limit["rows_per_second"]


def test_bench_scale_s_produces_every_figure(pg_admin_url: URL, tmp_path: Path) -> None:
    report = _run_bench(pg_admin_url, tmp_path / "data", tmp_path / "bench.json")

    assert report["scale"] == "S"
    machine = report["machine"]
    for key in ("cpus", "memory_gb", "postgresql", "python", "date"):
        assert machine[key]
    assert len(machine["load_average_at_start"]) == len(machine["load_average_at_end"]) == 3
    # The source was generated into the cache and will be reused.
    assert report["source"]["generated_seconds"] > 0
    assert Path(report["source"]["cache"]).is_file()

    limit = report["limit"]
    _assert_limit(limit)
    full = report["full_pass"]
    _assert_pass(full, "full")
    # The limit copies the redemption rows the pass publishes, plus the rows it rejects, and
    # the ledger transactions.
    assert limit["ledger_rows"] == full["counts"]["publish.ledger.transactions_written"] > 0
    published = full["counts"]["publish.redemptions_written"] + limit["ledger_rows"]
    assert 0 <= limit["rows"] - published <= full["counts"]["publish.rejected"]
    assert full["over_limit"] == pytest.approx(full["seconds"] / limit["seconds"], rel=0.01)
    assert full["over_copy"] == pytest.approx(full["seconds"] / limit["copy_seconds"], rel=0.01)

    incremental = report["incremental_pass"]
    _assert_pass(incremental, "incremental")
    assert incremental["changed"] > 0
    assert incremental["over_full"] == pytest.approx(
        incremental["seconds"] / full["seconds"], rel=0.01
    )
    assert report["vacuum_analyze_seconds"] > 0

    # The ledger era's budgets: the read model against computing them on read, same answer.
    budgets = report["budgets"]
    assert budgets["answers_match"]
    assert budgets["budgets"] > 0
    assert budgets["redemptions"] > 0
    assert budgets["compute_on_read_ms"] > 0
    assert budgets["read_model_ms"] > 0

    api = report["api"]
    # The compute-on-read baseline answers exactly what the read model serves.
    assert api["answers_match"], api["answer_differences"]
    typical, largest = api["enterprises"]["typical"], api["enterprises"]["largest"]
    assert largest["uuid"] == "a11ce000-0000-4000-8000-00000000000b"
    assert 0 < typical["redemptions"] <= largest["redemptions"]
    for clients in (1, 16):
        key = f"c{clients}"
        _assert_load(api["http_floor"][key], clients)
        _assert_load(api["enrollments"][key], clients)
        for name in ("typical", "largest"):
            _assert_load(api["page"][name][key], clients)
            _assert_load(api["compute_on_read"][name][key], clients)
            ratios = api["ratios"][name][key]
            assert ratios["p50"] == pytest.approx(
                api["compute_on_read"][name][key]["p50_ms"] / api["page"][name][key]["p50_ms"],
                rel=0.02,
            )
            assert ratios["p99"] > 0
            assert ratios["requests_per_second"] > 0
    assert api["enrollments"]["uuid"] == largest["uuid"]
    assert api["enrollments"]["search"]
    assert api["enrollments"]["matches"] >= 1

    # Every answer's statements come with their plans, run as the API runs them.
    explained = api["explain"]
    assert set(explained) == {
        "page_typical",
        "page_largest",
        "enrollments_largest",
        "compute_on_read_typical",
        "compute_on_read_largest",
    }
    for plans in explained.values():
        assert plans
        for plan in plans:
            assert plan["statement"].startswith(("SELECT", "WITH"))
            assert plan["execution_ms"] >= 0
            assert any("actual time" in line for line in plan["plan"])
    assert any("offer_redemption" in p["statement"] for p in explained["enrollments_largest"])
    assert "lcm_raw" in explained["compute_on_read_largest"][0]["statement"]

    # Growth: at S, the full pass's throughput, and incremental passes at three change sizes.
    growth = report["growth"]
    assert [row["scale"] for row in growth["full_passes"]] == ["S"]
    assert growth["full_passes"][0]["rows_landed_per_second"] > 0
    series = growth["incremental_passes"]
    assert [(row["scale"], row["fraction"]) for row in series] == [
        ("S", 0.001),
        ("S", 0.005),
        ("S", 0.02),
    ]
    assert series[1]["seconds"] == pytest.approx(incremental["seconds"], rel=0.01)
    for row in series:
        assert row["changed_rows"] > 0
        assert row["seconds_per_changed_row"] == pytest.approx(
            row["seconds"] / row["changed_rows"], rel=0.01
        )
    assert growth["per_changed_row_growth"] is None  # one size only

    goals = report["goals"]
    assert len(goals) == 15
    for goal in goals:
        assert goal["value"] > 0
        assert isinstance(goal["met"], bool)
    # At S no enterprise has 100,000 redemptions: the enrollments goal is reported, not judged.
    assert [g["applies"] for g in goals if g["goal"].startswith("enrollments")] == [False, False]
    assert {g["goal"] for g in goals} >= {
        "page p50 / HTTP floor p50, typical, 1 client(s)",
        "server CPU per page request, 1 client (ms)",
        "page req/s / HTTP floor req/s, typical, 16 clients",
    }
    assert "mariadb" not in report

    # The same report renders as the Markdown of docs/benchmarks.md.
    document = markdown(report)
    assert f"{limit['rows']:,} rows" in document
    assert f"**{full['over_limit']:.2f}× the limit**" in document
    assert document.count("| page, typical |") == 2
    assert "n/a at this scale" in document
    assert "| incremental, S, 2.0% changed |" in document
    assert f"{report['limit']['ledger_rows']:,} ledger transactions" in document
    assert "| budgets computed on read from the landing rows |" in document


# The API phase crashing, as `lcm-etl serve` once did 25 minutes into an L run (the bench turns a
# server that exits at start-up into a BenchError): injected into the CLI's own process.
FAILING_API = """
import sys
from lcm_etl.bench import run
from lcm_etl.bench.sources import BenchError

def measure_api(*args, **kwargs):
    raise BenchError("the server lcm-etl serve exited with 1: injected by the test")

run.measure_api = measure_api
from lcm_etl.cli import app
sys.argv[0] = "lcm-etl"
app()
"""


def test_a_late_failure_keeps_the_figures_of_the_phases_before_it(
    pg_admin_url: URL, tmp_path: Path
) -> None:
    path = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-c", FAILING_API, "bench", "--scale", "S", "--json", str(path)],
        env={
            **os.environ,
            "LCM_DATABASE_URL": pg_admin_url.render_as_string(hide_password=False),
            "LCM_DATA_DIR": str(tmp_path / "data"),
        },
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard, not a performance bound
        check=False,
    )

    assert completed.returncode == 2, completed.stderr[-4000:]
    # Compared without the line breaks rich put in for the terminal (a long path is folded).
    told = "".join(completed.stderr.split())
    assert "error:theserverlcm-etlserveexitedwith1:injectedbythetest" in told
    assert f"partialreportwrittento{path}:theapiphasefailed" in told
    report = json.loads(path.read_text())
    assert report["partial"] is True
    assert report["failure"] == {
        "phase": "api",
        "error_type": "BenchError",
        "error": "the server lcm-etl serve exited with 1: injected by the test",
    }
    assert report["phases_completed"] == list(PHASES[: PHASES.index("api")])
    assert report["phases_missing"] == ["api", "budgets", "goals"]
    # Every figure measured before the failure is in the file.
    _assert_limit(report["limit"])
    _assert_pass(report["full_pass"], "full")
    _assert_pass(report["incremental_pass"], "incremental")
    assert len(report["growth"]["incremental_passes"]) == 3
    assert report["vacuum_analyze_seconds"] > 0
    assert report["machine"]["cpus"]
    assert not {"api", "budgets", "goals"} & set(report)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

    # The Markdown renders what was measured and says what is missing.
    document = markdown(report)
    assert f"**{report['full_pass']['over_limit']:.2f}× the limit**" in document
    assert "| incremental, S, 2.0% changed |" in document
    assert "the run failed in the `api` phase" in document
    assert "Phases missing: `api`, `budgets`, `goals`." in document


@pytest.mark.mysql
def test_bench_with_a_mariadb_source_measures_its_full_pass(
    pg_admin_url: URL, mysql_url: URL, tmp_path: Path
) -> None:
    mysql = mysql_url.render_as_string(hide_password=False)
    report = _run_bench(
        pg_admin_url, tmp_path / "data", tmp_path / "bench.json", "--mysql-url", mysql
    )

    maria = report["mariadb"]
    assert maria["database"] == mysql_url.database
    assert maria["loaded_seconds"] > 0  # loaded into the fresh database by this run
    _assert_limit(maria["limit"])
    # The same source in MariaDB yields the same redemption rows as the SQLite one.
    assert maria["limit"]["rows"] == report["limit"]["rows"]
    _assert_pass(maria["full_pass"], "full")
    assert (
        maria["full_pass"]["counts"]["publish.redemptions_written"]
        == report["full_pass"]["counts"]["publish.redemptions_written"]
    )
    assert maria["full_pass_over_limit"] > 0
    assert maria["full_pass_over_copy"] > 0
