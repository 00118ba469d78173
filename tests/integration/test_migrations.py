"""Schema changes go through Alembic only: the migrations build exactly the schema the code
declares (``alembic check``), there is one head, and they go down and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL

from lcm_etl import migrate
from lcm_etl.db import make_engine
from lcm_etl.schema import FUNCTIONS, metadata


def test_the_migrations_build_exactly_the_declared_schema(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "compare_type": True,
                "compare_server_default": True,
                "version_table_schema": "lcm",
            },
        )
        differences = [
            d
            for d in compare_metadata(context, metadata)
            # Alembic cannot compare expression (or DESC) indexes; it reports them as unmatched.
            if "ix_offer_redemption_offer_learner" not in repr(d)
            and "ix_offer_redemption_enterprise_enrollment" not in repr(d)
        ]
    assert differences == []


def test_the_migrations_create_the_declared_functions(engine) -> None:
    with engine.connect() as conn:
        missing = [
            signature
            for signature in FUNCTIONS
            if conn.execute(text("SELECT to_regprocedure(:s)"), {"s": signature}).scalar() is None
        ]
    assert missing == []


def test_there_is_one_head(engine) -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_heads()
    assert len(heads) == 1


def test_downgrade_to_base_and_upgrade_again(empty_database_url: URL) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        with engine.connect() as conn:
            left = conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema IN ('lcm', 'lcm_raw') AND table_name <> 'alembic_version'"
                )
            ).scalar_one()
            functions = conn.execute(
                text(
                    "SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n "
                    "ON n.oid = p.pronamespace WHERE n.nspname IN ('lcm', 'lcm_raw')"
                )
            ).scalar_one()
        assert (left, functions) == (0, 0)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM lcm.alembic_version")).scalar()
        assert (
            version
            == ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
        )
    finally:
        engine.dispose()
