"""Row-level security probes as ``lcm_portal`` (the API's role) and ``lcm_reader`` (analysts).

What RLS guarantees here: a session switched to ``lcm_portal`` with a tenant set sees that
tenant's rows only, whatever SQL it runs, and can neither write nor switch the policy off; the
reader reads every tenant and writes nothing. What it does not: a session that can set
``lcm.enterprise_uuid`` chooses its tenant (the last test pins that down, see SECURITY.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from serving.serving_support import ACME, GLOBEX, ReadModel
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from lcm_etl import queries

SET_TENANT = text("SELECT set_config('lcm.enterprise_uuid', :e, true)")


@pytest.fixture
def two_tenants(read_model: ReadModel) -> None:
    for enterprise in (ACME, GLOBEX):
        offer_id = read_model.offer(enterprise)
        read_model.redemption(offer_id, enterprise)


def tenant_tables(engine: Engine) -> list[str]:
    """The ``lcm`` tables with an enterprise column that ``lcm_portal`` may read."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_attribute a ON a.attrelid = c.oid "
                    "WHERE n.nspname = 'lcm' AND c.relkind = 'r' "
                    "AND a.attname = 'enterprise_customer_uuid' AND NOT a.attisdropped "
                    "AND has_table_privilege('lcm_portal', c.oid, 'SELECT') ORDER BY c.relname"
                )
            ).scalars()
        )


@pytest.fixture
def as_portal(engine: Engine, two_tenants: None) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": str(ACME)})
        yield conn


@pytest.fixture
def as_reader(engine: Engine, two_tenants: None) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execute(text("GRANT lcm_reader TO current_user"))
        conn.commit()
        with conn.begin():
            conn.execute(text("SET LOCAL ROLE lcm_reader"))
            yield conn


def refused(conn: Connection, statement: str, params: dict[str, Any] | None = None) -> str:
    """Run ``statement`` in a savepoint; return the error's SQLSTATE, or fail if it ran."""
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(statement), params or {})
    except DBAPIError as exc:
        savepoint.rollback()
        return str(getattr(exc.orig, "sqlstate", "") or "")
    savepoint.rollback()
    pytest.fail(f"allowed: {statement}")


# --- lcm_portal ---------------------------------------------------------------------------------


def test_portal_sees_one_tenant_in_every_tenant_table(engine: Engine, as_portal) -> None:
    tables = tenant_tables(engine)
    assert {"offer_summary", "offer_redemption"} <= set(tables)
    for table in tables:
        seen = as_portal.execute(
            text(f'SELECT DISTINCT enterprise_customer_uuid FROM lcm."{table}"')
        ).scalars()
        assert set(seen) <= {ACME}, table


@pytest.mark.parametrize(
    "probe",
    [
        "SELECT * FROM lcm.offer_summary WHERE true OR enterprise_customer_uuid = '{g}'",
        "SELECT * FROM lcm.offer_summary UNION ALL SELECT * FROM lcm.offer_summary",
        "SELECT s.* FROM lcm.offer_summary s RIGHT JOIN lcm.offer_redemption r USING (offer_id)",
        "WITH x AS (SELECT * FROM lcm.offer_redemption) SELECT * FROM x",
        "SELECT * FROM lcm.offer_summary TABLESAMPLE SYSTEM (100)",
        "SELECT * FROM ONLY lcm.offer_summary",
    ],
)
def test_portal_queries_cannot_reach_another_tenant(as_portal, probe) -> None:
    rows = as_portal.execute(text(probe.format(g=GLOBEX))).mappings().all()
    assert {row["enterprise_customer_uuid"] for row in rows} <= {ACME, None}


PORTAL_REFUSALS = [
    ("SET row_security = off; SELECT * FROM lcm.offer_summary", "42501"),
    ("ALTER TABLE lcm.offer_summary DISABLE ROW LEVEL SECURITY", "42501"),
    ("DROP POLICY lcm_portal_tenant ON lcm.offer_summary", "42501"),
    ("CREATE POLICY mine ON lcm.offer_summary FOR SELECT USING (true)", "42501"),
    ("INSERT INTO lcm.offer_summary (offer_id) VALUES (1)", "42501"),
    ("UPDATE lcm.offer_summary SET amount_spent = 0", "42501"),
    ("DELETE FROM lcm.offer_redemption", "42501"),
    ("TRUNCATE lcm.offer_redemption", "42501"),
    ("CREATE TABLE lcm.mine (x int)", "42501"),
    ("SELECT * FROM lcm_raw.rejected_record", "42501"),
    ("SELECT * FROM lcm_raw.ecommerce_order", "42501"),
    ("SELECT * FROM lcm.v_offer_redemption", "42501"),
    ("COPY lcm.offer_summary TO '/tmp/lcm-exfiltrated.csv'", "42501"),
    ("SELECT pg_read_file('/etc/passwd')", "42501"),
]


@pytest.mark.parametrize(("statement", "sqlstate"), PORTAL_REFUSALS)
def test_portal_cannot_write_escalate_or_switch_rls_off(as_portal, statement, sqlstate) -> None:
    assert refused(as_portal, statement) == sqlstate


@pytest.mark.parametrize(
    "tenant",
    ["' OR true --", "not-a-uuid", f"{ACME},{GLOBEX}", "*", "%", f"{{{GLOBEX}}}x"],
)
def test_a_malformed_tenant_setting_fails_closed(engine: Engine, two_tenants, tenant) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": tenant})
        assert refused(conn, "SELECT * FROM lcm.offer_summary") == "22P02"  # invalid uuid


def test_a_leaky_function_in_a_where_clause_sees_only_the_tenants_rows(
    engine: Engine, two_tenants
) -> None:
    """The classic RLS leak: a cheap function that reports every row it is shown. The policy is
    a security barrier, so it runs first and the function never sees the other tenant."""
    with engine.connect() as conn, conn.begin():
        notices: list[str] = []
        conn.connection.driver_connection.add_notice_handler(  # type: ignore[union-attr]
            lambda diagnostic: notices.append(str(diagnostic.message_primary))
        )
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": str(ACME)})
        conn.execute(
            text(
                "CREATE FUNCTION pg_temp.leak(u uuid) RETURNS boolean LANGUAGE plpgsql COST 0.0001 "
                "AS $$ BEGIN RAISE NOTICE 'saw %', u; RETURN true; END $$"
            )
        )
        conn.execute(
            text("SELECT * FROM lcm.offer_redemption WHERE pg_temp.leak(enterprise_customer_uuid)")
        ).all()
    assert notices
    assert all(str(GLOBEX) not in message for message in notices), notices


def test_what_rls_does_not_do_a_session_chooses_its_own_tenant(engine: Engine, two_tenants) -> None:
    """Documented limit (SECURITY.md): whoever runs SQL as ``lcm_portal`` can set
    ``lcm.enterprise_uuid`` to any tenant. RLS is the API's safety net, not a boundary against
    SQL users; they get ``lcm_reader`` or nothing."""
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": str(GLOBEX)})
        seen = conn.execute(text("SELECT enterprise_customer_uuid FROM lcm.offer_summary"))
        assert set(seen.scalars()) == {GLOBEX}


def test_what_rls_does_not_do_a_role_switch_is_only_as_strong_as_the_login(
    engine: Engine, two_tenants
) -> None:
    """Documented limit (SECURITY.md): ``SET LOCAL ROLE lcm_portal`` is undone by ``RESET ROLE``,
    back to the login user (the table owner here). The API never runs SQL a client wrote — every
    value is a bound parameter — so its requests cannot; a SQL user could."""
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": str(ACME)})
        conn.execute(text("RESET ROLE"))
        seen = conn.execute(text("SELECT enterprise_customer_uuid FROM lcm.offer_summary"))
        assert set(seen.scalars()) == {ACME, GLOBEX}


# --- lcm_reader ---------------------------------------------------------------------------------


def test_reader_reads_every_tenant_in_tables_and_views(as_reader) -> None:
    for relation in ("offer_summary", "offer_redemption", "v_offer_balance", "v_offer_redemption"):
        seen = as_reader.execute(
            text(f"SELECT DISTINCT enterprise_customer_uuid FROM lcm.{relation}")
        ).scalars()
        assert set(seen) == {ACME, GLOBEX}, relation


READER_REFUSALS = [
    "INSERT INTO lcm.offer_summary (offer_id) VALUES (1)",
    "UPDATE lcm.offer_redemption SET amount = 0",
    "DELETE FROM lcm.offer_summary",
    "TRUNCATE lcm.pipeline_run",
    "CREATE TABLE lcm.mine (x int)",
    "CREATE OR REPLACE VIEW lcm.v_offer_balance AS SELECT 1",
    "ALTER TABLE lcm.offer_summary DISABLE ROW LEVEL SECURITY",
    "SELECT * FROM lcm_raw.ecommerce_order",
    "SELECT * FROM lcm_raw.rejected_record",
    "COPY lcm.offer_summary TO '/tmp/lcm-exfiltrated.csv'",
]


@pytest.mark.parametrize("statement", READER_REFUSALS)
def test_reader_writes_nothing_and_reads_no_landing(as_reader, statement) -> None:
    assert refused(as_reader, statement) == "42501"


def test_the_roles_cannot_log_in(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT rolname, rolcanlogin, rolbypassrls, rolsuper FROM pg_roles "
                "WHERE rolname IN ('lcm_portal', 'lcm_reader') ORDER BY rolname"
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("lcm_portal", False, False, False),
        ("lcm_reader", False, False, False),
    ]


# --- the page's functions (migrations 0016, 0023) -------------------------------------------------

PAGE_FUNCTION_CALLS = {
    "lcm.page_offers(uuid, integer)": "SELECT * FROM lcm.page_offers(:e, 30)",
    # The offers' window spend: what lcm.page_offer_spend returned until 0023.
    "lcm.page_offers(uuid, integer) spend": (
        "SELECT * FROM lcm.page_offers(:e, 30) WHERE window_net_spent IS NOT NULL"
    ),
    # One row always (the freshness); the eligibility row is what a tenant may or may not read.
    "lcm.page_enterprise(uuid)": (
        "SELECT * FROM lcm.page_enterprise(:e) WHERE has_eligibility_row"
    ),
    "lcm.page_budgets(uuid, integer)": "SELECT * FROM lcm.page_budgets(:e, 30)",
}
PAGE_FUNCTIONS = [
    "lcm.page_offers(uuid, integer)",
    "lcm.page_enterprise(uuid)",
    "lcm.page_budgets(uuid, integer)",
    "lcm.page_data_as_of(uuid)",
]


def _page_rows_of(conn: Connection, enterprise: Any) -> dict[str, int]:
    """How many rows each enterprise-keyed page function returns for ``enterprise``."""
    counts = {
        signature: len(conn.execute(text(call), {"e": enterprise}).all())
        for signature, call in PAGE_FUNCTION_CALLS.items()
    }
    return counts


@pytest.fixture
def page_rows(engine: Engine, two_tenants: None) -> None:
    """Both tenants with a row in every table behind the page's functions but the budget."""
    with engine.begin() as conn:
        for enterprise in (ACME, GLOBEX):
            conn.execute(
                text(
                    "INSERT INTO lcm.enterprise_eligibility (enterprise_customer_uuid, "
                    "email_visibility, offer_count, current_offer_count, "
                    "current_fcfs_offer_count, is_eligible, reasons, data_as_of) "
                    "VALUES (:e, 'shown', 1, 1, 0, true, '{}', now())"
                ),
                {"e": enterprise},
            )
            conn.execute(
                text(
                    "INSERT INTO lcm.offer_utilization_daily (offer_id, day, "
                    "enterprise_customer_uuid, amount_spent, amount_refunded, "
                    "cumulative_net_spent) "
                    "SELECT s.offer_id, s.data_as_of::date, s.enterprise_customer_uuid, 10, 0, 10 "
                    "FROM lcm.offer_summary AS s WHERE s.enterprise_customer_uuid = :e"
                ),
                {"e": enterprise},
            )
            conn.execute(
                text(
                    "INSERT INTO lcm.budget_utilization_daily (policy_uuid, day, "
                    "enterprise_customer_uuid, spent_cents, refunded_cents) "
                    "SELECT gen_random_uuid(), max(s.data_as_of)::date, :e, 1000, 0 "
                    "FROM lcm.offer_summary AS s WHERE s.enterprise_customer_uuid = :e"
                ),
                {"e": enterprise},
            )


def test_the_page_functions_reach_no_other_tenant(engine: Engine, page_rows: None) -> None:
    """The page's functions read as their invoker: in ACME's tenant transaction, GLOBEX's uuid
    gives nothing, though the functions find GLOBEX's rows for a role without RLS."""
    with engine.connect() as conn, conn.begin():
        owner_sees = _page_rows_of(conn, GLOBEX)
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE lcm_portal"))
        conn.execute(SET_TENANT, {"e": str(ACME)})
        own = _page_rows_of(conn, ACME)
        other = _page_rows_of(conn, GLOBEX)
        other_as_of = conn.execute(
            text("SELECT data_as_of FROM lcm.page_data_as_of(:e)"), {"e": GLOBEX}
        ).scalar_one()
        unknown_as_of = conn.execute(
            text("SELECT data_as_of FROM lcm.page_data_as_of(gen_random_uuid())")
        ).scalar_one()
    expected = dict.fromkeys(PAGE_FUNCTION_CALLS, 1) | {"lcm.page_budgets(uuid, integer)": 0}
    assert owner_sees == expected
    assert own == expected
    assert other == dict.fromkeys(PAGE_FUNCTION_CALLS, 0)
    # Another tenant's freshness is what an enterprise nobody knows gets (the global publishes').
    assert other_as_of == unknown_as_of


def test_a_reader_gets_through_the_page_functions_what_its_selects_give_it(
    engine: Engine, make_settings, page_rows: None, as_reader: Connection
) -> None:
    """``lcm-etl page`` calls the functions as its login; a login granted ``lcm_reader`` (migration
    0020) reads every tenant through them, as it does through the tables (analysts compare
    customers), and the page it gets is the owner's."""
    expected = dict.fromkeys(PAGE_FUNCTION_CALLS, 1) | {"lcm.page_budgets(uuid, integer)": 0}
    assert _page_rows_of(as_reader, ACME) == expected
    assert _page_rows_of(as_reader, GLOBEX) == expected
    settings, now = make_settings(), dt.datetime.now(dt.UTC)
    for enterprise in (ACME, GLOBEX):
        owners = queries.learner_credit_page(engine, enterprise, settings=settings, now=now)
        readers = queries.learner_credit_page(as_reader, enterprise, settings=settings, now=now)
        assert owners is not None
        assert readers == owners


def test_the_portal_and_the_reader_may_execute_the_page_functions_and_no_one_else(
    engine: Engine,
) -> None:
    signatures = PAGE_FUNCTIONS
    with engine.connect() as conn:
        allowed = {
            role: [
                conn.execute(
                    text("SELECT has_function_privilege(:r, :f, 'EXECUTE')"), {"r": role, "f": f}
                ).scalar_one()
                for f in signatures
            ]
            for role in ("lcm_portal", "lcm_reader", "public")
        }
    assert allowed == {
        "lcm_portal": [True] * len(signatures),
        "lcm_reader": [True] * len(signatures),
        "public": [False] * len(signatures),
    }
