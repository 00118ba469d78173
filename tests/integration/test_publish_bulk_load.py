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


#: The term table as migration 0009 first defined it, and the offers' count rows of 0024 (field
#: 'all': every redemption of the offer), computed here from the redemptions without
#: lcm.enrollment_search_terms_of: the oracle for both the triggers and the bulk fill.
TERMS_BY_RULE = """
SELECT r.enterprise_customer_uuid, v.field, v.term, r.offer_id, lower(v.term),
       count(*), count(r.course_list_price)
FROM lcm.offer_redemption AS r
CROSS JOIN LATERAL (VALUES ('user_email', r.user_email), ('course_title', r.course_title))
    AS v (field, term)
WHERE v.term IS NOT NULL
GROUP BY 1, 2, 3, 4
UNION ALL
SELECT r.enterprise_customer_uuid, 'all', '', r.offer_id, '', count(*), count(r.course_list_price)
FROM lcm.offer_redemption AS r
GROUP BY 1, 4
"""


def _terms_by_rule(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text(TERMS_BY_RULE)).all()
    return sorted((tuple(r) for r in rows), key=repr)


def _search_term_triggers(engine: Engine) -> dict[str, str]:
    """The term triggers on lcm.offer_redemption and whether each is enabled ('O': origin)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tgname, tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'lcm.offer_redemption'::regclass "
                "AND tgname LIKE 'enrollment_search_term%'"
            )
        ).all()
    return dict(rows)


def test_a_full_pass_into_an_empty_read_model_leaves_every_index(golden_settings, engine) -> None:
    _, settings = golden_settings
    migrated = _indexes(engine)
    assert "ix_offer_redemption_order_id" in migrated  # the bulk load drops and rebuilds it
    triggers = _search_term_triggers(engine)
    assert set(triggers.values()) == {"O"}
    assert len(triggers) == 4
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.counts["redemptions_written"] > 0
    assert _indexes(engine) == migrated
    # The bulk load disabled the insert and update triggers: they are enabled again.
    assert _search_term_triggers(engine) == triggers
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
    assert incremental_terms  # the bulk fill, then the triggers, filled it
    # Both against the rule as 0009 and 0024 wrote it: equal bulk and incremental tables are not
    # enough, the incremental one starts from the bulk fill and would inherit a wrong count.
    assert incremental_terms == _terms_by_rule(engine)

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


def test_a_bulk_load_fills_the_terms_in_one_statement_with_the_triggers_off(
    golden_settings, engine, monkeypatch
) -> None:
    """The terms after a bulk load come from the fill alone (the triggers skip the load): without
    the fill the table stays empty, with it the table is the rule's (0009's terms, 0024's
    offers' counts)."""
    _, settings = golden_settings
    from lcm_etl import publish, sqlfiles

    real_load = sqlfiles.load

    def without_fill(name: str) -> str:
        return "SELECT 1" if name == publish.SEARCH_TERMS.fill else real_load(name)

    monkeypatch.setattr(sqlfiles, "load", without_fill)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lcm.offer_redemption")).scalar_one() > 0
    assert _terms(engine) == []

    monkeypatch.setattr(sqlfiles, "load", real_load)
    with engine.begin() as conn:  # empty again: the next full pass is a bulk load
        conn.execute(text("TRUNCATE lcm.offer_redemption"))  # its trigger empties the terms
    pipeline.run_pass(settings, mode="full", trigger="manual")
    terms = _terms(engine)
    assert terms
    assert terms == _terms_by_rule(engine)


#: Redemptions the golden source lacks, made from its own: no list price, no email, an email in
#: another case (a term of its own with the same folded form), no course title.
EDGE_CASES = """
UPDATE lcm.offer_redemption SET
    course_list_price = CASE WHEN order_line_id % 3 = 0 THEN NULL ELSE course_list_price END,
    user_email = CASE order_line_id % 5 WHEN 0 THEN NULL WHEN 1 THEN upper(user_email)
                 ELSE user_email END,
    course_title = CASE WHEN order_line_id % 7 = 0 THEN NULL ELSE course_title END
"""


def test_triggers_and_bulk_fill_follow_the_rule_on_edge_cases(golden_settings, engine) -> None:
    """Nulls and case variants, kept by the triggers row by row, then bulk-loaded anew through
    publish.merge: both give the term table of the rule as 0009 and 0024 wrote it."""
    _, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    from lcm_etl import publish
    from lcm_etl.schema import offer_redemption

    with engine.begin() as conn:
        conn.execute(text(EDGE_CASES))  # the update trigger keeps the terms
        unpriced = conn.execute(
            text("SELECT count(*) FROM lcm.offer_redemption WHERE course_list_price IS NULL")
        ).scalar_one()
        assert unpriced > 0
    by_triggers = _terms(engine)
    assert by_triggers == _terms_by_rule(engine)

    with engine.begin() as conn:
        conn.execute(
            text("CREATE TEMP TABLE edge_redemption ON COMMIT DROP AS TABLE lcm.offer_redemption")
        )
        conn.execute(text("TRUNCATE lcm.offer_redemption"))  # its trigger empties the terms
        written, _ = publish.merge(
            conn, offer_redemption, "edge_redemption", scope=None, fed=(publish.SEARCH_TERMS,)
        )
        assert written > 0
    assert _terms(engine) == by_triggers


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
    assert set(_search_term_triggers(engine).values()) == {"O"}  # enabled again by the rollback
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lcm.offer_redemption")).scalar_one() == 0


def test_a_targeted_pass_keeps_the_terms_by_the_rule(golden_settings, engine) -> None:
    """A targeted publish (an event's refresh of its enterprises) writes through the triggers
    too: the terms and the offers' count rows stay the rule's."""
    builder, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    before = _terms(engine)
    reliability._change_the_source(builder)
    with engine.connect() as conn:
        enterprises = list(
            conn.execute(text("SELECT DISTINCT enterprise_customer_uuid FROM lcm.offer_summary"))
            .scalars()
            .all()
        )
    result = pipeline.run_pass(
        settings, mode="targeted", trigger="event", enterprise_uuids=enterprises
    )
    assert result.publish.counts["redemptions_written"] > 0
    terms = _terms(engine)
    assert terms != before
    assert terms == _terms_by_rule(engine)
