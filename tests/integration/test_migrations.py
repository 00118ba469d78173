"""Schema changes go through Alembic only: the migrations build exactly the schema the code
declares (tables in ``lcm_etl.schema``, views in ``sql/views/``), there is one head, they go down
and up again cleanly, and a revision never reads the live files (it means the same thing forever).
"""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import URL

from lcm_etl import migrate, sqlfiles
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
            and "ix_offer_redemption_offer_refund_day" not in repr(d)
            # Optional: created only where the server has pg_trgm and btree_gin (0009).
            and "_trgm" not in repr(d)
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
    heads = migrate.scripts().get_heads()
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
        assert version == migrate.scripts().get_current_head()
    finally:
        engine.dispose()


def _declared_views() -> dict[str, str]:
    folder = resources.files(sqlfiles.SQL_PACKAGE) / "views"
    return {
        entry.name.removesuffix(".sql"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    }


def _view_definitions(conn) -> dict[str, str]:
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'lcm' AND c.relkind = 'v'"
        )
    )
    return {row[0]: row[1] for row in rows}


def test_the_migrations_build_exactly_the_declared_views(engine) -> None:
    """Editing ``sql/views/<view>.sql`` without a revision that applies the new text fails here.

    The declared text is applied in a transaction that is rolled back, and PostgreSQL's own
    rendering of both definitions is compared (so spacing and comments do not matter)."""
    declared = _declared_views()
    with engine.connect() as conn:
        migrated = _view_definitions(conn)
        assert sorted(migrated) == sorted(declared)
        for name, create in declared.items():
            conn.execute(text(f"DROP VIEW lcm.{name} CASCADE"))
            conn.exec_driver_sql(create)
        wanted = _view_definitions(conn)
        conn.rollback()
    stale = sorted(name for name in declared if migrated[name] != wanted[name])
    assert stale == [], (
        f"views {stale} differ from sql/views/: ship the new text in a new Alembic revision"
    )


def _declared_functions() -> dict[str, str]:
    folder = resources.files(sqlfiles.SQL_PACKAGE) / "functions"
    return {
        entry.name.removesuffix(".sql"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    }


def _function_definitions(conn, names) -> dict[str, str]:
    rows = conn.execute(
        text(
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc AS p "
            "JOIN pg_namespace AS n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'lcm' AND p.proname = ANY(:names)"
        ),
        {"names": list(names)},
    )
    return {row[0]: row[1] for row in rows}


def test_the_migrations_build_exactly_the_declared_functions(engine) -> None:
    """Editing ``sql/functions/<function>.sql`` without a revision that applies the new text fails
    here (as for the views: the declared text is applied in a rolled-back transaction and
    PostgreSQL's own rendering of both is compared)."""
    declared = _declared_functions()
    assert declared, "no sql/functions/ in the package"
    with engine.connect() as conn:
        migrated = _function_definitions(conn, declared)
        assert sorted(migrated) == sorted(declared)
        for name, create in declared.items():
            conn.execute(text(f"DROP FUNCTION lcm.{name}"))
            conn.exec_driver_sql(create.replace("%", "%%"))  # psycopg's placeholders: % is %%
        wanted = _function_definitions(conn, declared)
        conn.rollback()
    stale = sorted(name for name in declared if migrated[name] != wanted[name])
    assert stale == [], (
        f"functions {stale} differ from sql/functions/: ship the new text in a new Alembic revision"
    )


# Names through which a revision could read a file at run time.
FILE_ACCESS = {"open", "read_text", "read_bytes", "Path", "__file__", "pathlib", "resources"}
FILE_ACCESS |= {"sqlfiles", "lcm_etl.sqlfiles", "importlib.resources"}


@pytest.mark.parametrize(
    "revision", [script.revision for script in migrate.scripts().walk_revisions()]
)
def test_a_revision_never_reads_live_files(revision: str) -> None:
    """A revision inlines the SQL it applies: reading ``sql/`` would change what an old revision
    does whenever the file is edited."""
    script = migrate.scripts().get_revision(revision)
    assert script is not None
    assert script.path is not None
    names: set[str] = set()
    for node in ast.walk(ast.parse(Path(script.path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.name for alias in node.names)
            names.add(getattr(node, "module", None) or "")
    assert names & FILE_ACCESS == set()
