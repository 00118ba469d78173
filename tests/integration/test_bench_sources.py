"""The bench's source caches: generated or loaded once, reused while intact, never half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import URL

from lcm_etl.bench import sources
from lcm_etl.db import make_engine
from lcm_etl.ingest.sources import ecommerce as ec


def test_the_sqlite_source_is_generated_once_then_reused(make_settings: Any) -> None:
    settings = make_settings()

    first = sources.cached_sqlite_source(settings, "S")
    second = sources.cached_sqlite_source(settings, "S")

    assert first.generated_seconds is not None
    assert first.generated_seconds > 0
    assert second.generated_seconds is None
    assert second.path == first.path
    assert second.table_counts == first.table_counts
    assert first.table_counts["order_orderdiscount"] > 0
    # Named after what it holds and the generator that wrote it; nothing half-written remains.
    assert first.path.name == f"source-S-seed7-{sources.generator_fingerprint()}.sqlite"
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]


def test_a_run_works_on_a_copy_it_removes(make_settings: Any) -> None:
    cached = sources.cached_sqlite_source(make_settings(), "S")
    with sources.working_copy(cached) as copy:
        engine = make_engine(sources.sqlite_url(copy))
        with engine.begin() as conn:
            conn.execute(delete(ec.refund_line))
        engine.dispose()
        assert copy != cached.path
    assert not copy.exists()
    assert sources.table_counts(sources.sqlite_url(cached.path)) == cached.table_counts


def test_a_fresh_read_model_is_migrated_and_dropped(make_settings: Any) -> None:
    with sources.fresh_read_model(make_settings()) as url:
        engine = make_engine(url)
        with engine.connect() as conn:
            tables = conn.exec_driver_sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'lcm'"
            ).scalar_one()
        engine.dispose()
        assert tables > 0
    server = make_engine(url.set(database="postgres"))
    with server.connect() as conn:
        left = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (url.database,)
        ).scalar_one()
    server.dispose()
    assert left == 0


@pytest.mark.mysql
def test_the_mariadb_source_is_loaded_once_and_reloaded_when_tampered(mysql_url: URL) -> None:
    url = mysql_url.render_as_string(hide_password=False)

    first = sources.mariadb_source(url, "S")
    second = sources.mariadb_source(url, "S")
    engine = make_engine(mysql_url)
    with engine.begin() as conn:
        oldest = select(func.min(ec.refund_line.c.id)).scalar_subquery()
        conn.execute(delete(ec.refund_line).where(ec.refund_line.c.id == oldest))
    engine.dispose()
    third = sources.mariadb_source(url, "S")

    assert first.loaded_seconds is not None
    assert first.loaded_seconds > 0
    assert second.loaded_seconds is None
    assert third.loaded_seconds is not None
    assert first.url.database == second.url.database == mysql_url.database
    assert sources.table_counts(mysql_url)["order_orderdiscount"] > 0


def test_a_bad_mysql_url_is_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(sources.BenchError, match="MariaDB/MySQL URL"):
        sources.mariadb_source(f"sqlite:///{tmp_path / 'x.sqlite'}", "S")
