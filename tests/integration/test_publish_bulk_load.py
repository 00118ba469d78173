"""A full publish into an empty read model is a bulk load (the secondary indexes of the table and
of the search-term table its triggers fill are dropped, the rows inserted, the indexes built
again); into a populated one it is the usual merge. Both must give the same read model, with
every index the migrations made."""

from __future__ import annotations

import os

import pytest
import test_pipeline_reliability as reliability
from sqlalchemy import Engine, select, text

from lcm_etl import pipeline
from lcm_etl.db import make_engine
from lcm_etl.schema import enrollment_search_term

from support.readmodel import snapshot

#: The golden source and its settings, and an hour of changes to it (shared with the re-run tests).
golden_settings = reliability.golden_settings


def _indexes(engine: Engine) -> dict[str, str]:
    """Every index of the read model's schema, by name, as PostgreSQL defines it."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'lcm'")
        ).all()
    return dict(rows)


def _terms(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(enrollment_search_term)).all()
    return sorted((tuple(r) for r in rows), key=repr)


def test_a_full_pass_into_an_empty_read_model_leaves_every_index(golden_settings, engine) -> None:
    _, settings = golden_settings
    migrated = _indexes(engine)
    assert "ix_offer_redemption_order_id" in migrated  # the bulk load drops and rebuilds it
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.counts["redemptions_written"] > 0
    assert _indexes(engine) == migrated
    with engine.connect() as conn:
        # The rebuilt indexes are valid and serve the queries (none left half-built).
        invalid = conn.execute(
            text(
                "SELECT count(*) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid "
                "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'lcm' AND NOT (i.indisvalid AND i.indisready)"
            )
        ).scalar_one()
    assert invalid == 0


def test_bulk_loaded_and_merged_read_models_are_the_same(
    golden_settings, engine, make_settings, pg_admin_url, template_database
) -> None:
    """Built three ways from the same source — incremental passes, a full pass into the populated
    read model (merge), a full pass into an empty one (bulk load) — the read model and the search
    terms its triggers keep are identical."""
    builder, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")  # bulk load
    reliability._change_the_source(builder)
    pipeline.run_pass(settings, mode="incremental", trigger="manual")
    incremental, incremental_terms = snapshot(engine), _terms(engine)
    assert incremental_terms  # the triggers filled it

    merged = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert merged.publish.counts["redemptions_written"] == 0  # a merge: nothing changed
    assert snapshot(engine) == incremental
    assert _terms(engine) == incremental_terms

    from conftest import _create_database, _drop_database

    name = "lcm_bulk_" + os.urandom(5).hex()
    url = _create_database(pg_admin_url, name, template=template_database)
    try:
        fresh_settings = make_settings(
            database_url=url.render_as_string(hide_password=False),
            ecommerce_database_url=settings.ecommerce_database_url,
        )
        bulk = pipeline.run_pass(fresh_settings, mode="full", trigger="manual")
        assert bulk.publish.counts["redemptions_written"] == len(incremental["offer_redemption"])
        other = make_engine(url)
        try:
            assert snapshot(other) == incremental
            assert _terms(other) == incremental_terms
            assert _indexes(other) == _indexes(engine)
        finally:
            other.dispose()
    finally:
        _drop_database(pg_admin_url, name)


def test_a_failed_bulk_load_keeps_the_indexes(golden_settings, engine, monkeypatch) -> None:
    """The bulk load runs in the publish's transaction: when the publish fails after it, the
    dropped indexes come back with the rollback."""
    _, settings = golden_settings
    migrated = _indexes(engine)
    from lcm_etl import publish

    def fail(conn, *, full):
        raise publish.ReconciliationError([])

    monkeypatch.setattr(publish, "_reconcile", fail)
    with pytest.raises(pipeline.PassFailed):
        pipeline.run_pass(settings, mode="full", trigger="manual")
    assert _indexes(engine) == migrated
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lcm.offer_redemption")).scalar_one() == 0
