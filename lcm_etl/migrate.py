"""Schema migrations (Alembic), run from code so the CLI, the tests and the DAGs share one path.

The scripts live in ``migrations/`` at the repository root and ship inside the package as
``lcm_etl._migrations`` (setup.py); Alembic finds them by that package name.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

# Alembic's "package:folder" form: the folder is the package itself.
SCRIPT_LOCATION = "lcm_etl._migrations:."


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config bound to ``engine`` (``migrations/env.py`` reads it from attributes)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def scripts() -> ScriptDirectory:
    """The revisions, without a database (heads, modules, history)."""
    return ScriptDirectory.from_config(alembic_config())


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
