"""Schema migrations (Alembic), run from code so the CLI, the tests and the DAGs share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (``migrations/env.py`` reads it from attributes)."""
    if not MIGRATIONS_DIR.is_dir():
        raise RuntimeError(
            f"the Alembic migrations are not at {MIGRATIONS_DIR}; lcm-etl must run from a source "
            "checkout or an editable install (pip install -e .)"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
