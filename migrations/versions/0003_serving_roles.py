"""Serving: database roles lcm_reader and lcm_portal, row-level security, analysts' views.

- ``lcm_reader`` (NOLOGIN): analysts. USAGE on schema ``lcm``, SELECT on its tables and views, and
  on tables created later (default privileges). It sees every tenant — analysts compare customers —
  through an explicit RLS policy rather than BYPASSRLS, so the grant stays visible per table.
- ``lcm_portal`` (NOLOGIN): the API. SELECT on the ``lcm`` tables; on every ``lcm`` table with an
  ``enterprise_customer_uuid`` column, row-level security limits it to the enterprise named by the
  transaction setting ``lcm.enterprise_uuid`` (unset or empty → no rows). The API sets that and
  ``SET LOCAL ROLE lcm_portal`` in each request transaction, so the connecting user must be a
  member of ``lcm_portal``: this migration grants it to the migrating user.
- RLS is ENABLED, not FORCED: the pipeline writes as the table owner (the migrating user), and
  owners bypass RLS unless forced. A writer that is not the owner would need its own policy.
- Analysts' views (``sql/views/*.sql``, one file per view) run with the invoker's rights where the
  server supports it (PostgreSQL ≥ 15), so RLS applies through them too.

Roles are cluster-global while this migration runs per database, possibly for many databases at
once (tests migrate in parallel): they are created only if missing, and a concurrent creator's
``duplicate_object`` / ``unique_violation`` is caught. Downgrade removes this database's grants,
policies and views but keeps the roles, which other databases on the server may still use.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op
from sqlalchemy import text

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "lcm_reader"
PORTAL = "lcm_portal"
VIEWS_DIR = Path(__file__).resolve().parents[2] / "sql" / "views"
VIEWS = ("v_offer_balance", "v_offer_redemption", "v_offer_utilization_daily")

TENANT_POLICY = "lcm_portal_tenant"
READER_POLICY = "lcm_reader_all_tenants"
# NULLIF: after a transaction that set it, an unset custom setting reads as '' (not NULL) for the
# rest of the session, and ''::uuid would raise instead of matching nothing.
TENANT_PREDICATE = (
    "enterprise_customer_uuid = NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid"
)


def create_role_sql(name: str) -> str:
    """Create a NOLOGIN role unless it exists, tolerating a concurrent creator."""
    return f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{name}') THEN
                BEGIN
                    CREATE ROLE {name} NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- created meanwhile by a migration of another database
                END;
            END IF;
        END
        $$
        """


def _grant_membership_to_current_user(role: str) -> None:
    # PostgreSQL 16 separates membership from the right to SET ROLE; ask for what we need.
    op.execute(
        f"""
        DO $$
        DECLARE
            wanted text := CASE WHEN current_setting('server_version_num')::int >= 160000
                                THEN 'SET' ELSE 'MEMBER' END;
        BEGIN
            IF NOT pg_has_role(current_user, '{role}', wanted) THEN
                BEGIN
                    EXECUTE format('GRANT {role} TO %I', current_user);
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;
                END;
            END IF;
        END
        $$
        """
    )


def _lcm_tables() -> list[str]:
    rows = op.get_bind().execute(
        text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'lcm' AND table_type = 'BASE TABLE' "
            "AND table_name <> 'alembic_version' ORDER BY table_name"
        )
    )
    return [row.table_name for row in rows]


def _tenant_tables() -> list[str]:
    rows = op.get_bind().execute(
        text(
            "SELECT c.table_name FROM information_schema.columns AS c "
            "JOIN information_schema.tables AS t "
            "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = 'lcm' AND c.column_name = 'enterprise_customer_uuid' "
            "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
        )
    )
    return [row.table_name for row in rows]


def _server_version() -> int:
    return int(op.get_bind().execute(text("SHOW server_version_num")).scalar_one())


def upgrade() -> None:
    op.execute(create_role_sql(READER))
    op.execute(create_role_sql(PORTAL))
    _grant_membership_to_current_user(PORTAL)

    op.execute(f"GRANT USAGE ON SCHEMA lcm TO {READER}, {PORTAL}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA lcm TO {READER}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA lcm GRANT SELECT ON TABLES TO {READER}")
    # The portal gets the read-model tables only — not the views, not tables added later
    # (a new tenant table must get its RLS policy before the portal may read it).
    for table in _lcm_tables():
        op.execute(f'GRANT SELECT ON lcm."{table}" TO {PORTAL}')

    for table in _tenant_tables():
        op.execute(f'ALTER TABLE lcm."{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {TENANT_POLICY} ON lcm."{table}" FOR SELECT TO {PORTAL} '
            f"USING ({TENANT_PREDICATE})"
        )
        op.execute(
            f'CREATE POLICY {READER_POLICY} ON lcm."{table}" FOR SELECT TO {READER} USING (true)'
        )

    invoker_rights = _server_version() >= 150000
    for view in VIEWS:
        op.execute((VIEWS_DIR / f"{view}.sql").read_text(encoding="utf-8"))
        if invoker_rights:
            op.execute(f"ALTER VIEW lcm.{view} SET (security_invoker = true)")
        op.execute(f"GRANT SELECT ON lcm.{view} TO {READER}")


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS lcm.{view}")
    for table in _tenant_tables():
        op.execute(f'DROP POLICY IF EXISTS {READER_POLICY} ON lcm."{table}"')
        op.execute(f'DROP POLICY IF EXISTS {TENANT_POLICY} ON lcm."{table}"')
        op.execute(f'ALTER TABLE lcm."{table}" DISABLE ROW LEVEL SECURITY')
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA lcm REVOKE SELECT ON TABLES FROM lcm_reader")
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA lcm FROM lcm_reader, lcm_portal")
    op.execute("REVOKE USAGE ON SCHEMA lcm FROM lcm_reader, lcm_portal")
    # The roles stay: they are cluster-wide and other databases on this server may use them.
