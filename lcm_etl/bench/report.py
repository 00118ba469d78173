"""The bench's tables (rich), drawn from the JSON report so the two always agree."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

TOP_STEPS = 8  # the costliest steps of a pass shown in the table


def figure(value: float) -> str:
    """Three significant digits without exponents (0.0744, 2.53, 683, 2,531)."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _s(value: float) -> str:
    return f"{value:,.2f} s"


def _rate(value: float) -> str:
    return f"{value:,.0f} rows/s"


def _pass_rows(table: Table, label: str, measured: dict[str, Any], ratio: str) -> None:
    table.add_row(label, _s(measured["seconds"]), ratio)
    table.add_row(
        "  ingest / publish",
        f"{measured['ingest_seconds']:,.2f} / {measured['publish_seconds']:,.2f} s",
        "",
    )
    # Stage sections first (``extract_and_land``…), then the steps inside them, costliest first.
    timings = measured["timings"]
    sections = [k for k in timings if " " not in k.split(": ", 1)[1]]
    steps = sorted((k for k in timings if k not in sections), key=lambda k: -timings[k])
    for key in sections:
        table.add_row(f"  {key}", f"{timings[key]:,.2f} s", "")
    for key in steps[:TOP_STEPS]:
        table.add_row(f"    [dim]{key}[/]", f"[dim]{timings[key]:,.2f} s[/]", "")
    if len(steps) > TOP_STEPS:
        table.add_row(f"    [dim]… {len(steps) - TOP_STEPS} more steps in the JSON[/]", "", "")
    table.add_row(
        "  peak RSS (child process)",
        f"{measured['peak_rss_mb']:,.0f} MB",
        f"[dim]{measured['rss_before_mb']:,.0f} MB before the pass[/]",
    )


def _pipeline_table(report: dict[str, Any]) -> Table:
    limit, full, incremental = report["limit"], report["full_pass"], report["incremental_pass"]
    table = Table(title=f"lcm-etl bench — pipeline, scale {report['scale']}", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("ratio / note")
    table.add_row(
        "limit: one join query + COPY",
        _s(limit["seconds"]),
        f"{limit['rows']:,} rows, {_rate(limit['rows_per_second'])}",
    )
    table.add_row(
        "  source read / COPY",
        f"{limit['source_read_seconds']:,.2f} / {limit['copy_seconds']:,.2f} s",
        f"COPY alone {_rate(limit['copy_rows_per_second'])}",
    )
    counts = full["counts"]
    table.add_row(
        "  rows moved by the full pass",
        f"{counts.get('ingest.extracted', 0):,}",
        f"extracted and landed ({counts.get('ingest.extracted', 0) / limit['rows']:.2f}× the "
        f"limit's rows); {counts.get('publish.published', 0):,} published",
    )
    _pass_rows(
        table,
        "full pass",
        full,
        f"{full['over_limit']:.2f}× the limit ({full['over_copy']:.2f}× the COPY alone)",
    )
    _pass_rows(
        table,
        "incremental pass",
        incremental,
        f"{incremental['over_full']:.2%} of the full pass; {incremental['changes']}",
    )
    maria = report.get("mariadb")
    if maria:
        table.add_row(
            "MariaDB source: limit",
            _s(maria["limit"]["seconds"]),
            f"{maria['limit']['rows']:,} rows, {_rate(maria['limit']['rows_per_second'])}",
        )
        _pass_rows(
            table,
            "MariaDB source: full pass",
            maria["full_pass"],
            f"{maria['full_pass_over_limit']:.2f}× its limit",
        )
    return table


def cpu_split(cpu: dict[str, Any] | None) -> str:
    if not cpu:
        return ""
    postgres = "?" if cpu["postgres_ms"] is None else f"{cpu['postgres_ms']:.2f}"
    return (
        f"{cpu['server_ms']:.2f} / {cpu['client_ms']:.2f} / {postgres} / {cpu['other_ms']:.2f}"
        f" · {cpu['busy_fraction']:.0%}"
    )


def _api_table(report: dict[str, Any]) -> Table:
    api = report["api"]
    enterprises = api["enterprises"]
    enrollments = api["enrollments"]
    table = Table(
        title="API over loopback: latency as the client sees it (ms)",
        title_justify="left",
        caption=(
            f"typical: {enterprises['typical']['redemptions']:,} redemptions; largest: "
            f"{enterprises['largest']['redemptions']:,}; enrollments: page_size=20, "
            f"ordering=-enrollment_date, search={enrollments['search']!r} "
            f"({enrollments['matches']:,} matches); ×: compute-on-read p50 / page p50; CPU: "
            "server / client / PostgreSQL / rest of the machine, and how busy the machine was; "
            "new DB sessions: connections the server opened during the measurement"
        ),
        caption_justify="left",
    )
    columns = (
        "answer",
        "clients",
        "requests",
        "p50",
        "p95",
        "p99",
        "req/s",
        "CPU ms/request",
        "new DB sessions",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "answer" else "right")

    def add(answer: str, measured: dict[str, Any]) -> None:
        table.add_row(
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

    for measured in api["http_floor"].values():
        add("HTTP floor (no DB)", measured)
    for name in enterprises:
        for measured in api["page"][name].values():
            add(f"page, {name}", measured)
        for key, measured in api["compute_on_read"][name].items():
            ratio = api["ratios"][name][key]["p50"]
            add(f"from raw, {name} ({ratio:,.1f}×)", measured)
    for key in ("c1", "c16"):
        add("enrollments, largest", enrollments[key])
    return table


def _explain_table(report: dict[str, Any]) -> Table:
    table = Table(
        title="server side: EXPLAIN ANALYZE of each answer's statements (ms)",
        title_justify="left",
    )
    for column in ("answer", "statements", "execution", "planning", "slowest statement"):
        table.add_column(column, justify="left" if column == "answer" else "right")
    for answer, plans in report["api"]["explain"].items():
        executions = [p["execution_ms"] or 0.0 for p in plans]
        table.add_row(
            answer.replace("_", " "),
            str(len(plans)),
            f"{sum(executions):,.2f}",
            f"{sum(p['planning_ms'] or 0.0 for p in plans):,.2f}",
            f"{max(executions, default=0.0):,.2f}",
        )
    return table


def _growth_table(report: dict[str, Any]) -> Table:
    growth = report["growth"]
    table = Table(
        title="growth: full passes by size, incremental passes by change", title_justify="left"
    )
    table.add_column("pass")
    table.add_column("seconds", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("note")
    for row in growth["full_passes"]:
        table.add_row(
            f"full, {row['scale']}",
            _s(row["seconds"]),
            _rate(row["rows_landed_per_second"]),
            f"{row['rows_landed']:,} rows landed, {row['redemptions_per_second']:,} redemptions/s",
        )
    for row in growth["incremental_passes"]:
        table.add_row(
            f"incremental, {row['scale']}, {row['fraction']:.1%} changed",
            _s(row["seconds"]),
            f"{row['seconds_per_changed_row'] * 1000:,.2f} ms/changed row",
            f"{row['changed_rows']:,} changed rows, {row['over_full']:.2%} of its full pass",
        )
    return table


def _goals_table(report: dict[str, Any]) -> Table:
    table = Table(title="goals (docs/benchmarks.md)", title_justify="left")
    table.add_column("goal")
    table.add_column("measured", justify="right")
    table.add_column("target", justify="right")
    table.add_column("verdict")
    for row in report["goals"]:
        if not row["applies"]:
            verdict = "[dim]n/a at this scale[/]"
        else:
            verdict = "[green]met[/]" if row["met"] else "[bold red]missed[/]"
        table.add_row(row["goal"], figure(row["value"]), row["target"], verdict)
    return table


def render(report: dict[str, Any], console: Console) -> None:
    machine = report["machine"]
    console.print(
        f"[bold]machine[/]: {machine['cpus']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_gb']} GB, {machine['postgresql'].split(' on ')[0]}, "
        f"Python {machine['python']}; load average {machine['load_average_at_start']} → "
        f"{machine.get('load_average_at_end')}; commit {machine['commit']}"
        + (" (+ uncommitted changes)" if machine.get("uncommitted_changes") else "")
    )
    console.print(_pipeline_table(report))
    if "growth" in report:
        console.print(_growth_table(report))
    console.print(_api_table(report))
    console.print(_explain_table(report))
    if not report["api"]["answers_match"]:
        console.print("[bold yellow]the compute-on-read answers differ from the page's[/]")
    console.print(_goals_table(report))
