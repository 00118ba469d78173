"""Database roles of migration 0003: lcm_portal is held to one tenant by row-level security even
with hand-written SQL; lcm_reader reads every tenant and the analysts' views; neither writes."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError, ProgrammingError

from lcm_etl import migrate, queries
from lcm_etl.db import make_engine

from .serving_support import ACME, GLOBEX, ReadModel

TENANT_TABLES = ("offer_summary", "offer_redemption", "offer_utilization_daily")
VIEWS = ("v_offer_balance", "v_offer_redemption", "v_offer_utilization_daily")
SET_TENANT = text("SELECT set_config('lcm.enterprise_uuid', :e, true)")
RLS_ON = text("SELECT relrowsecurity FROM pg_class WHERE oid = 'lcm.offer_summary'::regclass")


@pytest.fixture
def two_tenants(read_model: ReadModel, engine: Engine) -> None:
    for enterprise in (ACME, GLOBEX):
        offer_id = read_model.offer(enterprise)
        read_model.redemption(offer_id, enterprise)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO lcm.offer_utilization_daily (offer_id, day, "
                    "enterprise_customer_uuid, amount_spent, amount_refunded, "
                    "cumulative_net_spent, remaining_balance) "
                    "VALUES (:o, '2026-02-14', :e, 300, 0, 300, 4700)"
                ),
                {"o": offer_id, "e": enterprise},
            )


def tenants_seen(conn, table: str) -> set[uuid.UUID]:
    rows = conn.execute(text(f"SELECT * FROM lcm.{table}")).mappings().all()
    return {row["enterprise_customer_uuid"] for row in rows}


@pytest.mark.usefixtures("two_tenants")
def test_portal_role_sees_only_its_tenant_even_with_hand_written_sql(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": str(ACME)})
        for table in TENANT_TABLES:
            assert tenants_seen(conn, table) == {ACME}, table
        # Asking for the other tenant by name does not help.
        other = conn.execute(
            text("SELECT count(*) FROM lcm.offer_redemption WHERE enterprise_customer_uuid = :g"),
            {"g": GLOBEX},
        ).scalar_one()
        assert other == 0


@pytest.mark.usefixtures("two_tenants")
def test_portal_role_without_a_tenant_sees_nothing(engine: Engine) -> None:
    with engine.connect() as conn:
        # A previous transaction on the same session set the tenant; after it ends the setting
        # reads as '' — which must mean "no rows", not an error.
        with conn.begin():
            conn.execute(
                text("SELECT set_config('lcm.enterprise_uuid', :e, true)"), {"e": str(ACME)}
            )
        for _ in range(2):
            with conn.begin():
                conn.execute(text("SET LOCAL ROLE lcm_portal"))
                for table in TENANT_TABLES:
                    assert tenants_seen(conn, table) == set(), table
            conn.execute(text("RESET ALL"))
            conn.commit()


@pytest.mark.usefixtures("two_tenants")
def test_portal_role_cannot_write_or_read_landing(engine: Engine) -> None:
    statements = [
        "DELETE FROM lcm.offer_summary",
        "UPDATE lcm.offer_redemption SET amount = 0",
        "SELECT * FROM lcm_raw.ecommerce_conditionaloffer",
        "SELECT * FROM lcm.v_offer_balance",  # views are for analysts
    ]
    for statement in statements:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SET LOCAL ROLE lcm_portal"))
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(statement))


@pytest.mark.usefixtures("two_tenants")
def test_reader_role_sees_every_tenant_in_tables_and_views(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_reader"))
        for name in (*TENANT_TABLES, *VIEWS):
            assert tenants_seen(conn, name) == {ACME, GLOBEX}, name
        balance = conn.execute(
            text("SELECT is_current, net_spent, balance_state FROM lcm.v_offer_balance")
        ).all()
        assert {tuple(row) for row in balance} == {(True, 200, "ok")}
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_reader"))
        with pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("DELETE FROM lcm.offer_summary"))


def test_every_tenant_table_the_portal_can_read_has_row_level_security(engine: Engine) -> None:
    """Guards later migrations: a new lcm table with enterprise_customer_uuid must get the
    tenant policy before lcm_portal is granted SELECT on it."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """
                SELECT c.relname, c.relrowsecurity,
                       has_table_privilege('lcm_portal', c.oid, 'SELECT') AS portal_reads,
                       EXISTS (SELECT FROM pg_policies p WHERE p.schemaname = 'lcm'
                               AND p.tablename = c.relname
                               AND 'lcm_portal' = ANY (p.roles)) AS has_tenant_policy
                FROM pg_class c
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'enterprise_customer_uuid'
                WHERE c.relnamespace = 'lcm'::regnamespace AND c.relkind = 'r'
                """
            )
        ).all()
    by_name = {row.relname: row for row in rows}
    for table in TENANT_TABLES:
        assert by_name[table].portal_reads, table
    for row in rows:
        if row.portal_reads:
            assert row.relrowsecurity, row.relname
            assert row.has_tenant_policy, row.relname


def test_api_connection_user_may_switch_to_the_portal_role(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT pg_has_role(current_user, 'lcm_portal', 'MEMBER')")
        ).scalar()
        roles = conn.execute(
            text(
                "SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles "
                "WHERE rolname IN ('lcm_reader', 'lcm_portal') ORDER BY rolname"
            )
        ).all()
    assert [tuple(r) for r in roles] == [("lcm_portal", False, False), ("lcm_reader", False, False)]


def test_migration_downgrades_and_upgrades_again(database_url) -> None:
    engine = make_engine(database_url)
    try:
        migrate.downgrade(engine, "0002")
        with engine.connect() as conn:
            assert not conn.execute(
                text(
                    "SELECT relrowsecurity FROM pg_class WHERE oid = 'lcm.offer_summary'::regclass"
                )
            ).scalar()
            assert conn.execute(text("SELECT to_regclass('lcm.v_offer_balance')")).scalar() is None
            # The roles are cluster-wide and stay for the other databases.
            assert (
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_roles WHERE rolname IN ('lcm_reader','lcm_portal')"
                    )
                ).scalar()
                == 2
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(
                text(
                    "SELECT relrowsecurity FROM pg_class WHERE oid = 'lcm.offer_summary'::regclass"
                )
            ).scalar()
    finally:
        engine.dispose()


def _load_migration():
    revision = migrate.scripts().get_revision("0003")
    assert revision is not None
    return revision.module


def test_role_creation_survives_a_concurrent_creator(engine: Engine) -> None:
    """Two databases migrating at once both see the role missing; the second CREATE ROLE waits
    for the first transaction and then fails with unique_violation, which must be swallowed."""
    create_role_sql = _load_migration().create_role_sql(role := f"lcm_race_{uuid.uuid4().hex[:8]}")
    first, second, watcher = engine.connect(), engine.connect(), engine.connect()
    errors: list[BaseException] = []
    try:
        second_pid = second.execute(text("SELECT pg_backend_pid()")).scalar_one()
        second.commit()
        first.begin()
        first.execute(text(create_role_sql))  # created, not committed: the race window

        def late_creator() -> None:
            try:
                with second.begin():
                    second.execute(text(create_role_sql))
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        thread = threading.Thread(target=late_creator)
        thread.start()
        blocked = False
        for _ in range(600):  # wait until the second creator is stuck behind the first
            blocked = bool(
                watcher.execute(
                    text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :p"),
                    {"p": second_pid},
                ).scalar()
            )
            watcher.commit()
            if blocked:
                break
            time.sleep(0.05)
        assert blocked, "the second CREATE ROLE never waited on the first"
        first.commit()
        thread.join()
        assert errors == []
    finally:
        for conn in (first, second, watcher):
            conn.close()
        with engine.begin() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.mark.usefixtures("two_tenants")
def test_the_apis_tenant_transaction_is_held_to_its_tenant(database_url) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with queries.tenant_transaction(engine, GLOBEX) as conn:
            # A query that forgot its WHERE clause still sees one tenant.
            assert tenants_seen(conn, "offer_summary") == {GLOBEX}
            assert conn.execute(text("SELECT current_user")).scalar() == "lcm_portal"
            with pytest.raises(InternalError, match="read-only transaction"):
                conn.execute(text("CREATE TEMP TABLE scratch (x int)"))
        # The pooled connection goes back without the role or the tenant.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() != "lcm_portal"
            setting = conn.execute(text("SELECT current_setting('lcm.enterprise_uuid', true)"))
            assert setting.scalar() in (None, "")
        with queries.tenant_transaction(engine, None) as conn:
            assert tenants_seen(conn, "offer_summary") == set()
    finally:
        engine.dispose()


def test_every_view_runs_with_the_invokers_rights(engine: Engine) -> None:
    # CREATE OR REPLACE VIEW resets a view's options: a revision that changes a view and forgets
    # to set security_invoker again would let lcm_portal read every tenant through that view.
    with engine.connect() as conn:
        if int(conn.execute(text("SHOW server_version_num")).scalar_one()) < 150000:
            pytest.skip("security_invoker views need PostgreSQL 15 or newer")
        views = conn.execute(
            text(
                "SELECT c.relname, coalesce('security_invoker=true' = ANY(c.reloptions), false) "
                "FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'lcm' AND c.relkind = 'v'"
            )
        ).all()
    assert {name for name, _ in views} >= set(VIEWS)
    assert [name for name, invoker in views if not invoker] == []


@pytest.mark.usefixtures("two_tenants")
def test_analysts_view_of_redemptions_carries_the_enrollment_id(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_reader"))
        rows = conn.execute(
            text(
                "SELECT v.enterprise_enrollment_id, r.enterprise_enrollment_id "
                "FROM lcm.v_offer_redemption AS v JOIN lcm.offer_redemption AS r "
                "USING (offer_id, order_line_id)"
            )
        ).all()
    assert len(rows) == 2
    assert all(in_view == in_table is not None for in_view, in_table in rows)
