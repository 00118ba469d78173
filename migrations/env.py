"""Alembic environment: the engine comes from lcm_etl (settings or the caller), never alembic.ini.

Migrations run under a PostgreSQL advisory lock so two deployers cannot migrate at once, with a
lock_timeout so a migration waiting on a busy table fails instead of queueing readers behind it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from lcm_etl.db import MIGRATION_LOCK_KEY, read_model_engine
from lcm_etl.schema import metadata
from lcm_etl.settings import get_settings


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or read_model_engine(get_settings())
    with engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '30s'"))
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        # The version table lives in schema lcm, which must exist before Alembic creates it.
        connection.execute(text("CREATE SCHEMA IF NOT EXISTS lcm"))
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                include_schemas=True,
                compare_type=True,
                compare_server_default=True,
                transaction_per_migration=True,
                version_table_schema="lcm",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()


if context.is_offline_mode():
    raise SystemExit("lcm-etl migrations run online only (lcm-etl migrate)")
run_migrations_online()
