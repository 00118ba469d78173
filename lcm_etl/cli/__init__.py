"""``lcm-etl``: the command line. Each command reads the settings once and calls lcm_etl functions;
heavy modules are imported inside the commands so ``lcm-etl --help`` stays instant."""

from __future__ import annotations

import enum
import functools
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from lcm_etl.modes import Mode
from lcm_etl.settings import ConfigError, Settings, get_settings

app = typer.Typer(
    name="lcm-etl",
    help="Open edX Learner Credit Management backend: ETL, read model and API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
embedded_db_app = typer.Typer(help="The embedded PostgreSQL used when LCM_DATABASE_URL is unset.")
app.add_typer(embedded_db_app, name="embedded-db")

console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from lcm_etl import __version__

        sys.stdout.write(f"lcm-etl {__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Open edX Learner Credit Management backend: ETL, read model and API."""


class Scale(enum.StrEnum):
    S = "S"
    M = "M"
    L = "L"


def _fail(message: str, code: int = 2) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


P = ParamSpec("P")
R = TypeVar("R")


def explained(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command; an expected failure (``lcm_etl.failures.describe``) is one or two sentences
    on stderr and a non-zero exit (2 for a bad setting, 1 otherwise), not a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from lcm_etl import failures

        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except Exception as exc:
            sentence = failures.describe(exc)
            if sentence is None:
                raise
            _fail(sentence, code=2 if isinstance(exc, ConfigError) else 1)

    return run


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        _fail(str(exc))


@app.command()
@explained
def migrate() -> None:
    """Create or upgrade the read-model schema (Alembic, to head)."""
    from lcm_etl import migrate as migrations
    from lcm_etl.db import read_model_engine

    settings = _settings()
    engine = read_model_engine(settings)
    migrations.upgrade(engine)
    console.print(f"read model migrated to head at {engine.url.render_as_string()}")


@app.command("demo-source")
@explained
def demo_source(
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same source.")
    ] = 7,
    scale: Annotated[Scale, typer.Option(help="S (demo), M, or L (benchmark size).")] = Scale.S,
    url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL to write to; default: the demo SQLite file."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing demo source.")] = True,
) -> None:
    """Generate a deterministic ecommerce (+ LMS, license-manager) source for demos and tests."""
    from lcm_etl import demo

    settings = _settings()
    target = url or f"sqlite:///{settings.demo_source_path.resolve()}"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        summary = demo.generate(
            target, seed=seed, scale=scale.value, replace=force, console=console
        )
    except demo.DemoSourceError as exc:
        _fail(str(exc))
    console.print(summary.describe())


class RunMode(enum.StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


@app.command()
@explained
def run(
    full: Annotated[bool, typer.Option("--full", help="Re-read every source row.")] = False,
    incremental: Annotated[
        bool, typer.Option("--incremental", help="Read what changed since the last pass.")
    ] = False,
    enterprise: Annotated[
        list[str] | None,
        typer.Option(help="Targeted pass: refresh only these enterprise UUIDs (repeatable)."),
    ] = None,
) -> None:
    """Run one pipeline pass: extract and land, then transform, reconcile and publish."""
    from lcm_etl import pipeline
    from lcm_etl.cli.display import RichProgress

    if full and incremental:
        _fail("choose one of --full and --incremental")
    settings = _settings()
    targets = [_parse_uuid(value) for value in enterprise or []]
    mode: Mode = "targeted" if targets else ("full" if full else "incremental")
    with RichProgress(console) as progress:
        result = pipeline.run_pass(
            settings, mode=mode, trigger="manual", enterprise_uuids=targets, progress=progress
        )
    progress.print_summary(result)


def _parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        _fail(f"{value!r} is not an enterprise UUID")


@app.command()
@explained
def page(
    enterprise_uuid: Annotated[str, typer.Argument(help="Enterprise customer UUID.")],
    indent: Annotated[
        bool,
        typer.Option(
            "--indent", help="Indent the JSON for reading (the same data; the API's is compact)."
        ),
    ] = False,
) -> None:
    """Print the learner-credit page answer of one enterprise (the API's JSON)."""
    from lcm_etl import queries
    from lcm_etl.db import read_replica_engine

    settings = _settings()
    customer = _parse_uuid(enterprise_uuid)
    engine = read_replica_engine(settings)  # LCM_READ_DATABASE_URL when set
    answer = queries.learner_credit_page(engine, customer, settings=settings)
    if answer is None:
        _fail(f"enterprise {customer} is not in the read model", code=1)
    # Exactly the API's body (then a newline), or the same data indented for a reader.
    sys.stdout.buffer.write(queries.page_json(answer, indent=indent) + b"\n")
    sys.stdout.flush()


@app.command()
@explained
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (about one per core).")
    ] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the HTTP API (FastAPI + uvicorn); OpenAPI at /docs."""
    from lcm_etl.api import server

    server.serve(_settings(), host=host, port=port, workers=workers, access_log=access_log)


@app.command("consume-events")
@explained
def consume_events(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Drain what is pending, then exit.")
    ] = False,
) -> None:
    """Consume the Open edX event bus (Redis Streams) and refresh the enterprises it touches."""
    from lcm_etl.events import consumer

    consumer.main(_settings(), until_idle=until_idle, console=console)


@app.command()
@explained
def bench(
    scale: Annotated[Scale, typer.Option(help="Source size.")] = Scale.S,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write results here.")
    ] = None,
    mysql_url: Annotated[
        str | None, typer.Option(help="Also measure the pass with the source on this MariaDB.")
    ] = None,
) -> None:
    """Measure the pipeline and the API against the physical limit and compute-on-read."""
    from lcm_etl.bench import run as benchmark

    benchmark.main(
        _settings(), scale=scale.value, json_path=json_file, mysql_url=mysql_url, console=console
    )


@app.command("bench-freshness")
@explained
def bench_freshness(
    rounds: Annotated[int, typer.Option(min=1, max=20, help="Enrollments to time.")] = 3,
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write results.")] = None,
    airflow: Annotated[
        bool,
        typer.Option(
            "--airflow",
            help="Start a real Airflow (api-server, scheduler, dag-processor) and time the "
            "event path through it.",
        ),
    ] = False,
    scale: Annotated[
        Scale | None,
        typer.Option(
            help="Run on the bench's demo source of this scale (generated once, then cached) "
            "with a fresh read model: single rounds, a burst round, and with --airflow rounds "
            "through Airflow too. Without it: the configured source and read model."
        ),
    ] = None,
    burst_events: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Events in the burst round (default 1000 with --scale; 0, no burst, without: "
            "it writes one order per event into the configured source).",
        ),
    ] = None,
    burst_enterprises: Annotated[
        int, typer.Option(min=1, help="Enterprises the burst's events name.")
    ] = 200,
) -> None:
    """Seconds from an enrollment event (XADD) to the page showing its spend."""
    from lcm_etl.bench import freshness_scale

    freshness_scale.main(
        _settings(),
        scale.value if scale is not None else None,
        rounds=rounds,
        burst_events=burst_events if burst_events is not None else (1000 if scale else 0),
        burst_enterprises=burst_enterprises,
        airflow_rounds=rounds if airflow else 0,
        json_path=json_file,
        console=console,
    )


@embedded_db_app.command("stop")
@explained
def embedded_db_stop() -> None:
    """Stop the embedded PostgreSQL (it keeps running between commands otherwise)."""
    from lcm_etl.db import stop_embedded_postgres

    settings = _settings()
    stopped = stop_embedded_postgres(settings.embedded_pg_dir)
    console.print(
        "embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running"
    )


@embedded_db_app.command("url")
@explained
def embedded_db_url() -> None:
    """Start the embedded PostgreSQL if needed and print its URL (for psql or an analyst tool)."""
    from lcm_etl.db import embedded_postgres_url

    settings = _settings()
    sys.stdout.write(embedded_postgres_url(settings.embedded_pg_dir).render_as_string() + "\n")
