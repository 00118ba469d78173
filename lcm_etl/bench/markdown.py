"""The bench report as Markdown tables, for ``docs/benchmarks.md``:
``python -m lcm_etl.bench.markdown bench.json``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lcm_etl.bench.report import cpu_split, figure

SIGNIFICANT_STEP = 0.01  # steps under 1 % of their pass are summed into one row


Row = tuple[str, ...]


def _md_table(header: Row, rows: list[Row], numeric: set[int]) -> list[str]:
    """A GitHub table; the ``numeric`` columns are right-aligned."""
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _md_pass(label: str, measured: dict[str, Any], ratio: str) -> list[Row]:
    timings = measured["timings"]
    sections = [k for k in timings if " " not in k.split(": ", 1)[1]]
    steps = sorted((k for k in timings if k not in sections), key=lambda k: -timings[k])
    significant = [k for k in steps if timings[k] >= SIGNIFICANT_STEP * measured["seconds"]]
    rest = [k for k in steps if k not in significant]
    rows: list[Row] = [
        (f"**{label}**", f"**{measured['seconds']:,.2f}**", ratio),
        (
            "ingest / publish stage",
            f"{measured['ingest_seconds']:,.2f} / {measured['publish_seconds']:,.2f}",
            "",
        ),
    ]
    rows += [(f"`{key}`", f"{timings[key]:,.2f}", "stage section") for key in sections]
    rows += [(f"`{key}`", f"{timings[key]:,.2f}", "step") for key in significant]
    if rest:
        rows.append(
            (
                f"{len(rest)} other steps",
                f"{sum(timings[k] for k in rest):,.2f}",
                "each under 1 % of the pass",
            )
        )
    rows.append(
        (
            "peak RSS of the pass's process",
            f"{measured['peak_rss_mb']:,.0f} MB",
            f"{measured['rss_before_mb']:,.0f} MB after imports, before the pass",
        )
    )
    return rows


def _header(report: dict[str, Any]) -> list[str]:
    machine = report.get("machine")
    if machine is None:  # the run failed before its setup was done
        return [f"Scale {report['scale']}, seed {report['seed']}."]
    return [
        f"Scale {report['scale']}, seed {report['seed']}, {machine['date']}, commit "
        f"`{(machine['commit'] or '?')[:12]}`"
        + (" (with uncommitted changes)" if machine.get("uncommitted_changes") else "")
        + f"; {machine['cpus']} vCPUs ({machine['cpu_model']}), {machine['memory_gb']} GB, "
        f"{machine['postgresql'].split(' on ')[0]}, Python {machine['python']}; load average "
        f"(1/5/15 min) {machine['load_average_at_start']} at the start, "
        f"{machine.get('load_average_at_end')} at the end."
    ]


def _partial(report: dict[str, Any]) -> list[str]:
    """What a partial report lacks and why (``record.py``); nothing for a complete one."""
    if not report.get("partial"):
        return []
    missing = ", ".join(f"`{p}`" for p in report.get("phases_missing", [])) or "none"
    failure = report.get("failure")
    if failure:
        why = f"the run failed in the `{failure['phase']}` phase: {failure['error']}"
    else:
        why = "the run had not finished when this was written (still running, or killed)"
    return ["", f"**Partial report**: {why}. Phases missing: {missing}."]


def markdown(report: dict[str, Any]) -> str:
    """The report's tables; a partial report has those of the phases it completed."""
    lines = _header(report) + _partial(report)
    lines += _pipeline(report)
    lines += _api(report)
    lines += _ledger_era(report)
    lines += _growth(report)
    lines += _goals(report)
    return "\n".join(lines) + "\n"


def _pipeline(report: dict[str, Any]) -> list[str]:
    if "limit" not in report:
        return []
    limit, full, incremental = (
        report["limit"],
        report.get("full_pass"),
        report.get("incremental_pass"),
    )
    lines = ["", "**Pipeline** (seconds)", ""]
    rows: list[Row] = [
        (
            "**limit**: one join query + COPY",
            f"**{limit['seconds']:,.2f}**",
            f"{limit['rows']:,} rows, {limit['rows_per_second']:,} rows/s",
        ),
        (
            "source read / COPY",
            f"{limit['source_read_seconds']:,.2f} / {limit['copy_seconds']:,.2f}",
            f"COPY alone {limit['copy_rows_per_second']:,} rows/s",
        ),
    ]
    if full:
        counts = full["counts"]
        rows.append(
            (
                "rows the full pass extracts and lands",
                "",
                f"{counts.get('ingest.extracted', 0):,} "
                f"({counts.get('ingest.extracted', 0) / limit['rows']:.2f}× the limit's rows); "
                f"{counts.get('publish.published', 0):,} rows published",
            )
        )
        rows += _md_pass(
            "full pass",
            full,
            f"**{full['over_limit']:.2f}× the limit** ({full['over_copy']:.2f}× the COPY alone)",
        )
    if incremental:
        rows += _md_pass(
            "incremental pass",
            incremental,
            f"**{incremental['over_full']:.2%} of the full pass** — {incremental['changes']}",
        )
    maria = report.get("mariadb")
    if maria:
        rows.append(
            (
                "**MariaDB source: limit**",
                f"**{maria['limit']['seconds']:,.2f}**",
                f"{maria['limit']['rows']:,} rows, {maria['limit']['rows_per_second']:,} rows/s "
                f"(source read {maria['limit']['source_read_seconds']:,.2f} s, COPY "
                f"{maria['limit']['copy_seconds']:,.2f} s)",
            )
        )
        rows += _md_pass(
            "MariaDB source: full pass",
            maria["full_pass"],
            f"**{maria['full_pass_over_limit']:.2f}× its limit** "
            f"({maria['full_pass_over_copy']:.2f}× its COPY)",
        )
    return lines + _md_table(("figure", "seconds", "ratio / note"), rows, {1})


def _api(report: dict[str, Any]) -> list[str]:
    api = report.get("api")
    if api is None:
        return []
    enterprises = api["enterprises"]
    enrollments = api["enrollments"]
    lines = [
        "",
        f"**API over loopback** (ms as the client sees it). Typical enterprise "
        f"`{enterprises['typical']['uuid']}` ({enterprises['typical']['redemptions']:,} "
        f"redemptions), largest `{enterprises['largest']['uuid']}` "
        f"({enterprises['largest']['redemptions']:,}); enrollments: `{enrollments['path']}` "
        f"({enrollments['matches']:,} matches). CPU ms per request: server / client / "
        "PostgreSQL backends / rest of the machine, · how busy the machine's CPUs were; new DB "
        "sessions: database connections opened during the measurement.",
        "",
    ]

    def load_row(answer: str, measured: dict[str, Any]) -> Row:
        return (
            answer,
            str(measured["concurrency"]),
            f"{measured['requests']:,}",
            f"{measured['p50_ms']:,.2f}",
            f"{measured['p95_ms']:,.2f}",
            f"{measured['p99_ms']:,.2f}",
            f"{measured['requests_per_second']:,.0f}",
            cpu_split(measured.get("cpu_per_request")),
            str(measured.get("new_connections", "")),
        )

    rows = [load_row("HTTP floor (no database)", m) for m in api["http_floor"].values()]
    for name in enterprises:
        rows += [load_row(f"page, {name}", m) for m in api["page"][name].values()]
        for key, measured in api["compute_on_read"][name].items():
            ratio = api["ratios"][name][key]["p50"]
            rows.append(load_row(f"compute-on-read, {name} (**{ratio:,.1f}×** p50)", measured))
    rows += [load_row("enrollments, largest", enrollments[k]) for k in ("c1", "c16")]
    lines += _md_table(
        (
            "answer",
            "clients",
            "requests",
            "p50",
            "p95",
            "p99",
            "req/s",
            "CPU ms/request",
            "new DB sessions",
        ),
        rows,
        {1, 2, 3, 4, 5, 6, 7, 8},
    )
    lines += ["", "**Server side** (EXPLAIN ANALYZE, ms)", ""]
    rows = []
    for answer, plans in api["explain"].items():
        executions = [p["execution_ms"] or 0.0 for p in plans]
        rows.append(
            (
                answer.replace("_", " "),
                str(len(plans)),
                f"{sum(executions):,.2f}",
                f"{sum(p['planning_ms'] or 0.0 for p in plans):,.2f}",
                f"{max(executions, default=0.0):,.2f}",
            )
        )
    return lines + _md_table(
        ("answer", "statements", "execution", "planning", "slowest"), rows, {1, 2, 3, 4}
    )


def _growth(report: dict[str, Any]) -> list[str]:
    growth = report.get("growth")
    if growth is None:
        return []
    lines = ["", "**Growth**", ""]
    rows: list[Row] = [
        (
            f"full, {row['scale']}",
            f"{row['seconds']:,.2f}",
            f"{row['rows_landed_per_second']:,} rows landed/s",
            f"{row['rows_landed']:,} rows landed; {row['redemptions_per_second']:,} redemptions/s",
        )
        for row in growth["full_passes"]
    ]
    rows += [
        (
            f"incremental, {row['scale']}, {row['fraction']:.1%} changed",
            f"{row['seconds']:,.2f}",
            f"{row['seconds_per_changed_row'] * 1000:,.2f} ms/changed row",
            f"{row['changed_rows']:,} changed rows; {row['over_full']:.2%} of its full pass",
        )
        for row in growth["incremental_passes"]
    ]
    return lines + _md_table(("pass", "seconds", "rate", "note"), rows, {1, 2})


def _goals(report: dict[str, Any]) -> list[str]:
    goals = report.get("goals")
    if goals is None:
        return []
    rows: list[Row] = []
    for goal in goals:
        verdict = (
            "n/a at this scale" if not goal["applies"] else ("met" if goal["met"] else "**missed**")
        )
        rows.append((goal["goal"], figure(goal["value"]), goal["target"], verdict))
    lines = ["", "**Goals**", ""]
    return lines + _md_table(("goal", "measured", "target", "verdict"), rows, {1, 2})


def _ledger_era(report: dict[str, Any]) -> list[str]:
    """The budgets answer from the read model against computing it on read (issue 14)."""
    budgets = report.get("budgets")
    if not budgets:
        return []
    ledger_rows = report["limit"].get("ledger_rows")
    lines = [
        "",
        "**Ledger era** (budgets; in the bench process, no HTTP, each answer in its own "
        f"read-only snapshot, median of {budgets['repeats']}). The limit above includes "
        f"{ledger_rows:,} ledger transactions; their extraction and publish are in the passes' "
        "steps. Enterprise "
        f"`{budgets['enterprise']}`: {budgets['budgets']} active budget(s), "
        f"{budgets['redemptions']:,} counted redemptions.",
        "",
    ]
    rows: list[Row] = [
        ("budgets from the read model", f"{budgets['read_model_ms']:,.2f}", ""),
        (
            "budgets computed on read from the landing rows",
            f"{budgets['compute_on_read_ms']:,.2f}",
            f"**{budgets['compute_on_read_over_read_model']:,.1f}×** the read model; "
            + ("same answer" if budgets["answers_match"] else "**answers differ**"),
        ),
    ]
    lines += _md_table(("answer", "ms", "note"), rows, {1})
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a bench JSON report as Markdown tables.")
    parser.add_argument("report", type=Path)
    args = parser.parse_args(argv)
    sys.stdout.write(markdown(json.loads(args.report.read_text())))


if __name__ == "__main__":
    main()
