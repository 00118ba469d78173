"""Load the real source DDL (``ddl/*.sql``, MariaDB/MySQL dialect) into a database.

Used to stand up a source with exactly the production schema — foreign keys, NOT NULL columns
without defaults and all — for the MariaDB tests, ``demo-source --url mysql+pymysql://…`` and
the benchmark.
"""

from __future__ import annotations

from importlib import resources

from sqlalchemy import Engine

DDL_FILES = (
    "ecommerce.sql",
    "lms_enterprise.sql",
    "license_manager.sql",
    "enterprise_subsidy.sql",
    "enterprise_access.sql",
)


def statements(name: str) -> list[str]:
    """The CREATE statements of ``ddl/<name>``, comments stripped."""
    text = resources.files("lcm_etl.ingest.sources").joinpath("ddl").joinpath(name).read_text()
    lines = [line.split("--", 1)[0].rstrip() for line in text.splitlines()]
    body = "\n".join(line for line in lines if line.strip())
    return [statement.strip() for statement in body.split(";") if statement.strip()]


def load(engine: Engine, names: tuple[str, ...] = DDL_FILES) -> None:
    """Create the tables of the given DDL files (MariaDB/MySQL only; idempotent)."""
    if engine.dialect.name not in ("mysql", "mariadb"):
        raise ValueError(
            f"the source DDL is MariaDB/MySQL DDL; cannot load it into {engine.dialect.name}"
        )
    with engine.begin() as conn:
        for name in names:
            for statement in statements(name):
                conn.exec_driver_sql(statement)
