"""The bench's sources and its throw-away read model.

- The demo source at a scale is generated once into ``{LCM_DATA_DIR}/bench/`` (about 90 s at L)
  and reused while the generator's code is unchanged (its fingerprint is in the file name). Each
  run works on a copy, because the incremental pass needs ``demo.apply_changes`` on it.
- With ``--mysql-url`` the same source is loaded into MariaDB with the real DDL (about 8 min at
  L) and reused while its row counts match the SQLite cache's.
- Every run gets a fresh, migrated PostgreSQL database on the configured (or embedded) server,
  dropped afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from rich.console import Console
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import URL

from lcm_etl import demo, migrate
from lcm_etl.db import make_engine, normalize_url, read_model_url
from lcm_etl.demo import ledger as demo_ledger
from lcm_etl.ingest.sources import ddl
from lcm_etl.settings import Settings

SEED = 7
_SAFE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


class BenchError(RuntimeError):
    """The bench cannot run (or a measurement went wrong); the message says what to do."""


def generator_fingerprint() -> str:
    """A digest of the demo generator's code: a cached source is only valid for the code that
    wrote it."""
    digest = hashlib.sha256()
    modules = [entry for entry in resources.files(demo).iterdir() if entry.name.endswith(".py")]
    for module in sorted(modules, key=lambda entry: entry.name):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()[:10]


@dataclasses.dataclass(frozen=True)
class CachedSource:
    path: Path
    generated_seconds: float | None
    """Seconds spent generating it in this run; None when the cache was reused."""
    table_counts: dict[str, int]


def table_counts(url: str | URL) -> dict[str, int]:
    """Rows per demo table (missing tables are absent)."""
    engine = make_engine(url)
    try:
        existing = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in demo.DEMO_TABLES
                if table.name in existing
            }
    finally:
        engine.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def cached_sqlite_source(
    settings: Settings, scale: str, *, seed: int = SEED, console: Console | None = None
) -> CachedSource:
    """The demo source for ``scale``/``seed``: generated once, then reused."""
    cache_dir = settings.data_dir / "bench"
    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = f"source-{scale}-seed{seed}"
    path = cache_dir / f"{stem}-{generator_fingerprint()}.sqlite"
    generated: float | None = None
    if not path.exists():
        for stale in cache_dir.glob(f"{stem}-*.sqlite"):
            stale.unlink()  # written by an older generator
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        if console is not None:
            console.print(f"generating the scale-{scale} demo source into {path} (cached) …")
        started = time.perf_counter()
        demo.generate(sqlite_url(partial), seed=seed, scale=scale, replace=True)
        generated = time.perf_counter() - started
        partial.rename(path)  # only a complete source is ever found in the cache
    return CachedSource(path, generated, table_counts(sqlite_url(path)))


@contextlib.contextmanager
def working_copy(source: CachedSource) -> Iterator[Path]:
    """A private copy of the cached source for this run (the incremental pass mutates it)."""
    copy = source.path.with_name(f"run-{uuid.uuid4().hex[:8]}.sqlite")
    shutil.copyfile(source.path, copy)
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True)
class MariaDbSource:
    url: URL
    loaded_seconds: float | None
    """Seconds spent loading it in this run; None when the loaded source was reused."""


# Written after a complete load: what was loaded (scale, seed, generator) and its row counts.
# (The real DDL refuses some of the SQLite source's deliberate bad rows, so the counts differ
# slightly from the SQLite cache's.)
_loaded_marker = Table(
    "lcm_bench_source",
    MetaData(),
    Column("scale", String(8), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("generator", String(16), nullable=False),
    Column("table_counts", Text, nullable=False),
)


def _marked_counts(url: URL, scale: str, seed: int) -> dict[str, int] | None:
    """The row counts recorded by a complete load of this scale, seed and generator, if any."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(_loaded_marker.name):
            return None
        with engine.connect() as conn:
            recorded = conn.execute(
                select(_loaded_marker.c.table_counts).where(
                    _loaded_marker.c.scale == scale,
                    _loaded_marker.c.seed == seed,
                    _loaded_marker.c.generator == generator_fingerprint(),
                )
            ).scalar()
    finally:
        engine.dispose()
    return None if recorded is None else dict(json.loads(recorded))


def mariadb_source(
    mysql_url: str, scale: str, *, seed: int = SEED, console: Console | None = None
) -> MariaDbSource:
    """The demo source in MariaDB with the real DDL, reused while a complete load of the same
    scale, seed and generator is there with its row counts intact.

    ``mysql_url`` names the database to hold it (created if missing); without a database name
    it is ``lcm_bench_<scale>_seed<seed>``. Only the demo tables are dropped and reloaded.
    """
    url = normalize_url(mysql_url)
    if url.get_backend_name() not in ("mysql", "mariadb"):
        raise BenchError(f"--mysql-url must be a MariaDB/MySQL URL (got {url.drivername})")
    name = url.database or f"lcm_bench_{scale.lower()}_seed{seed}"
    if not _SAFE_NAME.fullmatch(name):
        raise BenchError(f"--mysql-url: database name {name!r} must be letters, digits and _")
    url = url.set(database=name)
    # (URL.set(database=None) would keep the database: None means "unchanged" there.)
    server_url = URL.create(
        url.drivername, url.username, url.password, url.host, url.port, query=url.query
    )
    server = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            # The name was checked against _SAFE_NAME above.
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
    finally:
        server.dispose()
    recorded = _marked_counts(url, scale, seed)
    if recorded is not None and table_counts(url) == recorded:
        return MariaDbSource(url, None)
    if console is not None:
        console.print(
            f"loading the scale-{scale} demo source into MariaDB database {name} (real DDL; "
            "kept for later runs) …"
        )
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        existing = set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            _loaded_marker.drop(conn, checkfirst=True)
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in reversed(demo.DEMO_TABLES):
                if table.name in existing:
                    conn.execute(text(f"DROP TABLE `{table.name}`"))  # names from code
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
        for side in ("subsidy", "access"):  # the demo's ledger-era tables (issue 14)
            demo_ledger.drop_tables(engine, side)
        ddl.load(engine)
    finally:
        engine.dispose()
    demo.generate(url.render_as_string(hide_password=False), seed=seed, scale=scale, replace=False)
    loaded = time.perf_counter() - started
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _loaded_marker.create(conn)
            conn.execute(
                _loaded_marker.insert().values(
                    scale=scale,
                    seed=seed,
                    generator=generator_fingerprint(),
                    table_counts=json.dumps(table_counts(url)),
                )
            )
    finally:
        engine.dispose()
    return MariaDbSource(url, loaded)


@contextlib.contextmanager
def fresh_read_model(settings: Settings) -> Iterator[URL]:
    """A new database on the read-model server, migrated to head, dropped afterwards.

    The server is ``LCM_DATABASE_URL``'s (that database is only used to connect), else the
    embedded one."""
    server = read_model_url(settings)
    name = f"lcm_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))  # a generated name
        url = server.set(database=name)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
        try:
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def bench_settings(settings: Settings, read_model: URL, source: str) -> Settings:
    """The caller's settings pointed at a bench read model and source (ecommerce, LMS and
    license-manager tables all live in the demo source, and the ledger era's)."""
    return settings.model_copy(
        update={
            "database_url": url_string(read_model),
            "ecommerce_database_url": source,
            "lms_database_url": source,
            "license_manager_database_url": source,
            "subsidy_database_url": source,
            "access_database_url": source,
        }
    )
