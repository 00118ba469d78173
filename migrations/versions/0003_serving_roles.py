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
- Analysts' views (declared in ``sql/views/*.sql``; their text as of this revision is inlined
  below) run with the invoker's rights where the server supports it (PostgreSQL ≥ 15), so RLS
  applies through them too.

Roles are cluster-global while this migration runs per database, possibly for many databases at
once (tests migrate in parallel): they are created only if missing, and a concurrent creator's
``duplicate_object`` / ``unique_violation`` is caught. Downgrade removes this database's grants,
policies and views but keeps the roles, which other databases on the server may still use.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "lcm_reader"
PORTAL = "lcm_portal"
# The analysts' views as this revision created them (frozen: later changes ship as new revisions).
VIEWS = {
    "v_offer_balance": """
CREATE OR REPLACE VIEW lcm.v_offer_balance AS
SELECT
    s.enterprise_customer_uuid,
    s.enterprise_name,
    s.offer_id,
    s.display_name,
    s.status,
    s.start_datetime,
    s.end_datetime,
    (s.start_datetime IS NULL OR s.start_datetime <= now())
        AND (s.end_datetime IS NULL OR now() <= s.end_datetime) AS is_current,
    s.usage_type,
    s.discount_value,
    s.is_fcfs_org_wide,
    s.max_discount,
    s.amount_spent,
    s.amount_refunded,
    s.amount_of_offer_spent AS net_spent,
    s.remaining_balance,
    s.percent_of_offer_spent,
    s.redeemed_funds,
    s.remaining_funds,
    s.percent_utilized,
    s.balance_state,
    s.enrollment_count,
    s.learner_count,
    s.first_spend_at,
    s.last_spend_at,
    s.total_discount_ecommerce,
    s.ecommerce_drift,
    s.data_as_of
FROM lcm.offer_summary AS s;
""",
    "v_offer_redemption": """
CREATE OR REPLACE VIEW lcm.v_offer_redemption AS
SELECT
    r.enterprise_customer_uuid,
    s.enterprise_name,
    r.offer_id,
    s.display_name AS offer_display_name,
    r.order_number,
    r.order_line_id,
    r.lms_user_id,
    r.user_email,
    r.course_key,
    r.courserun_key,
    r.course_title,
    r.course_list_price,
    r.amount,
    r.amount_refunded,
    r.amount - r.amount_refunded AS net_amount,
    r.amount_learner_paid,
    r.redeemed_at,
    r.enrollment_date,
    r.is_refunded,
    r.refunded_at
FROM lcm.offer_redemption AS r
LEFT JOIN lcm.offer_summary AS s ON s.offer_id = r.offer_id;
""",
    "v_offer_utilization_daily": """
CREATE OR REPLACE VIEW lcm.v_offer_utilization_daily AS
SELECT
    d.enterprise_customer_uuid,
    d.offer_id,
    s.display_name AS offer_display_name,
    d.day,
    d.amount_spent,
    d.amount_refunded,
    d.amount_spent - d.amount_refunded AS net_spent,
    d.cumulative_net_spent,
    s.max_discount,
    d.remaining_balance,
    CASE WHEN s.max_discount > 0 THEN d.cumulative_net_spent / s.max_discount END
        AS cumulative_percent_spent
FROM lcm.offer_utilization_daily AS d
LEFT JOIN lcm.offer_summary AS s ON s.offer_id = d.offer_id;
""",
}

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
    for view, create in VIEWS.items():
        op.execute(create)
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
