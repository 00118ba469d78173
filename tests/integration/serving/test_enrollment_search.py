"""The enrollments search under row-level security (migration 0009): the SECURITY DEFINER
function ``lcm.enrollment_search_terms`` answers for the transaction's tenant only, the term
table behind it is closed to the portal, its owner role can read nothing else, and the triggers
keep the terms exactly those of the live redemptions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from lcm_etl import queries

from .serving_support import ACME, GLOBEX, OPERATOR, ReadModel, admin_of

TERMS = text("SELECT DISTINCT term FROM lcm.enrollment_search_terms(:field, :needle) ORDER BY 1")


@pytest.fixture
def two_tenants(read_model: ReadModel) -> dict[str, int]:
    acme = read_model.offer(ACME)
    globex = read_model.offer(GLOBEX, enterprise_name="Globex")
    read_model.redemption(acme, ACME, user_email="ann.wilson@acme.example", course_title="Python")
    read_model.redemption(acme, ACME, user_email="ann.wilson@acme.example", course_title="Rust")
    read_model.redemption(
        globex, GLOBEX, user_email="bob.wilson@globex.example", course_title="Secret Plans"
    )
    return {"acme": acme, "globex": globex}


def _terms(engine: Engine, tenant, field: str, needle: str) -> list[str]:
    with queries.tenant_transaction(engine, tenant) as conn:
        return list(conn.execute(TERMS, {"field": field, "needle": needle}).scalars())


def test_the_function_answers_for_the_transactions_tenant_only(engine, two_tenants) -> None:
    assert _terms(engine, ACME, "user_email", "WILSON") == ["ann.wilson@acme.example"]
    assert _terms(engine, GLOBEX, "user_email", "wilson") == ["bob.wilson@globex.example"]
    # Another tenant's exact value, or its title, finds nothing from ACME's transaction.
    assert _terms(engine, ACME, "user_email", "bob.wilson@globex.example") == []
    assert _terms(engine, ACME, "course_title", "secret") == []
    # The offers' count rows (field 'all', term '') are no search's: not even the empty needle's.
    assert _terms(engine, ACME, "user_email", "") == ["ann.wilson@acme.example"]
    assert _terms(engine, ACME, "course_title", "") == ["Python", "Rust"]
    # Wildcards are literal characters, not a way to list everything.
    assert _terms(engine, ACME, "user_email", "%") == []
    assert _terms(engine, ACME, "user_email", "_") == []
    # No tenant set: nothing at all.
    assert _terms(engine, None, "user_email", "") == []


def test_the_api_search_never_returns_another_tenants_rows(client, two_tenants) -> None:
    url = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
    for params in ({"search": "wilson"}, {"search": "globex"}, {"search_course": "plans"}):
        body = client.get(url, params=params, headers=admin_of(ACME)).json()
        assert {r["enterprise_customer_uuid"] for r in body["results"]} <= {str(ACME)}
        assert all("globex" not in (r["user_email"] or "") for r in body["results"])
    assert client.get(url, params={"search": "wilson"}, headers=admin_of(ACME)).json()["count"] == 2
    assert client.get(url, params={"search": "globex"}, headers=OPERATOR).json()["count"] == 0
    assert client.get(url, params={"search_course": "plans"}, headers=OPERATOR).json() == {
        "next": None,
        "previous": None,
        "count": 0,
        "num_pages": 1,
        "current_page": 1,
        "start": 0,
        "results": [],
    }


def test_the_portal_cannot_read_the_terms_directly(engine, two_tenants) -> None:
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        queries.tenant_transaction(engine, ACME) as conn,
    ):
        conn.execute(text("SELECT term FROM lcm.enrollment_search_term"))


def test_the_functions_owner_reads_the_terms_and_nothing_else(engine, two_tenants) -> None:
    with engine.connect() as conn:
        owner = conn.execute(
            text(
                "SELECT r.rolname, r.rolcanlogin, r.rolbypassrls, r.rolsuper, p.prosecdef "
                "FROM pg_proc AS p JOIN pg_roles AS r ON r.oid = p.proowner "
                "WHERE p.oid = 'lcm.enrollment_search_terms(text, text)'::regprocedure"
            )
        ).one()
        assert tuple(owner) == ("lcm_search", False, False, False, True)
        readable = conn.execute(
            text(
                "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n "
                "ON n.oid = c.relnamespace WHERE n.nspname IN ('lcm', 'lcm_raw') "
                "AND c.relkind IN ('r', 'v', 'm', 'p') "
                "AND has_table_privilege('lcm_search', c.oid, 'SELECT')"
            )
        ).scalars()
        assert list(readable) == ["enrollment_search_term"]
        callers = conn.execute(
            text(
                "SELECT has_function_privilege('lcm_reader', "
                "'lcm.enrollment_search_terms(text, text)', 'EXECUTE'), "
                "has_function_privilege('public', "
                "'lcm.enrollment_search_terms(text, text)', 'EXECUTE')"
            )
        ).one()
        assert tuple(callers) == (False, False)


def test_the_terms_and_their_counts_follow_the_redemptions(engine, two_tenants) -> None:
    def stored() -> list[tuple[str, str, int, int]]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT field, term, redemptions, priced_redemptions "
                    "FROM lcm.enrollment_search_term "
                    "WHERE enterprise_customer_uuid = :e AND field <> 'all' ORDER BY 1, 2"
                ),
                {"e": ACME},
            )
            return [tuple(r) for r in rows]

    def write(statement: str) -> None:
        with engine.begin() as conn:
            conn.execute(text(statement), {"e": ACME})

    assert stored() == [
        ("course_title", "Python", 1, 1),
        ("course_title", "Rust", 1, 1),
        ("user_email", "ann.wilson@acme.example", 2, 2),
    ]
    write(
        "UPDATE lcm.offer_redemption SET course_list_price = NULL "
        "WHERE enterprise_customer_uuid = :e AND course_title = 'Rust'"
    )
    assert ("user_email", "ann.wilson@acme.example", 2, 1) in stored()
    # Consent withdrawn: the email is hidden on one of the two rows, then on both.
    write(
        "UPDATE lcm.offer_redemption SET user_email = NULL "
        "WHERE enterprise_customer_uuid = :e AND course_title = 'Rust'"
    )
    assert ("user_email", "ann.wilson@acme.example", 1, 1) in stored()
    write("UPDATE lcm.offer_redemption SET user_email = NULL WHERE enterprise_customer_uuid = :e")
    write(
        "DELETE FROM lcm.offer_redemption "
        "WHERE enterprise_customer_uuid = :e AND course_title = 'Rust'"
    )
    assert stored() == [("course_title", "Python", 1, 1)]
    assert _terms(engine, ACME, "user_email", "wilson") == []
    write("TRUNCATE lcm.offer_redemption")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lcm.enrollment_search_term")).scalar() == 0


def test_counts_from_the_terms_equal_the_rows_counted(client, read_model) -> None:
    """The count of a searched page comes from the term counts; it must be the rows' count
    under every filter the portal sends."""
    first, second = read_model.offer(), read_model.offer()
    for offer, email, price in (
        (first, "a.smith@acme.example", "10.00"),
        (first, "a.smith@acme.example", None),
        (second, "a.smith@acme.example", "10.00"),
        (second, "b.smithers@acme.example", "20.00"),
        (second, "c.jones@acme.example", "20.00"),
    ):
        read_model.redemption(offer, user_email=email, course_list_price=price)
    url = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
    for params, expected in (
        ({"search": "smith"}, 4),
        ({"search": "smith", "offer_id": str(first)}, 2),
        ({"search": "smith", "offer_id": str(second)}, 2),
        ({"search": "smith", "ignore_null_course_list_price": "1"}, 3),
        ({"search": "smith", "offer_id": str(first), "ignore_null_course_list_price": "1"}, 1),
        ({"search": "smith", "offer_id": "abc"}, 0),
        ({"search": "SMITHERS", "search_course": "demonstration"}, 1),
        ({"search_course": "demonstration", "offer_id": str(second)}, 3),
    ):
        body = client.get(url, params={**params, "page_size": 1}, headers=admin_of(ACME)).json()
        assert body["count"] == expected, params


def _all_rows(engine: Engine, tenant) -> list[tuple[int, int, int]]:
    with queries.tenant_transaction(engine, tenant) as conn:
        rows = conn.execute(
            text(
                "SELECT offer_id, redemptions, priced_redemptions "
                "FROM lcm.enrollment_search_terms('all', 'ignored') ORDER BY 1"
            )
        )
        return [tuple(r) for r in rows]


def test_the_offers_counts_answer_for_the_transactions_tenant_only(engine, two_tenants) -> None:
    """Field ``all`` (migration 0024): one row per offer of the transaction's tenant, whatever
    the needle; another tenant's offers never, nothing without a tenant."""
    assert _all_rows(engine, ACME) == [(two_tenants["acme"], 2, 2)]
    assert _all_rows(engine, GLOBEX) == [(two_tenants["globex"], 1, 1)]
    assert _all_rows(engine, None) == []
    assert _terms(engine, ACME, "all", "") == [""]


#: The unsearched count as the rows give it, per filter (as the table owner: no RLS).
ROWS_COUNTED = text(
    "SELECT count(*) FROM lcm.offer_redemption WHERE enterprise_customer_uuid = :e "
    "AND (CAST(:offer AS bigint) IS NULL OR offer_id = :offer) "
    "AND (NOT :priced OR course_list_price IS NOT NULL)"
)


def test_the_unsearched_count_follows_the_redemptions(engine, read_model: ReadModel) -> None:
    """The unsearched page's count comes from the offers' count rows the triggers keep; after
    every kind of write it is the rows' count, under every filter the portal sends."""
    first, second = read_model.offer(), read_model.offer()
    other = read_model.offer(GLOBEX, enterprise_name="Globex")
    for offer, price in ((first, "10.00"), (first, None), (second, "20.00")):
        read_model.redemption(offer, course_list_price=price)
    read_model.redemption(other, GLOBEX)

    def check() -> None:
        for offer in (None, first, second, other):
            for priced in (False, True):
                where = queries.EnrollmentFilter(
                    offer_id=None if offer is None else str(offer),
                    ignore_null_course_list_price=priced,
                )
                with engine.connect() as conn:
                    expected = conn.execute(
                        ROWS_COUNTED, {"e": ACME, "offer": offer, "priced": priced}
                    ).scalar_one()
                with queries.tenant_transaction(engine, ACME) as conn:
                    page = queries.enrollments_page(
                        conn, ACME, queries.PageRequest(1, 1), where=where
                    )
                assert page.count == expected, (offer, priced)

    def write(statement: str) -> None:
        with engine.begin() as conn:
            conn.execute(text(statement), {"e": ACME, "first": first, "second": second})
        check()

    check()
    write(
        "UPDATE lcm.offer_redemption SET course_list_price = NULL "
        "WHERE enterprise_customer_uuid = :e AND offer_id = :second"
    )
    write(
        "UPDATE lcm.offer_redemption SET offer_id = :second "
        "WHERE enterprise_customer_uuid = :e AND course_list_price IS NOT NULL"
    )
    write(
        "UPDATE lcm.offer_redemption SET course_list_price = 5, user_email = NULL, "
        "course_title = NULL WHERE enterprise_customer_uuid = :e AND offer_id = :first"
    )
    write("DELETE FROM lcm.offer_redemption WHERE offer_id = :second")
    read_model.redemption(second, course_list_price=None)
    check()
    write("DELETE FROM lcm.offer_redemption WHERE enterprise_customer_uuid = :e")
    assert _all_rows(engine, ACME) == []  # the counts leave with the offers' last rows
    read_model.redemption(first)
    check()
    write("TRUNCATE lcm.offer_redemption")
    assert _all_rows(engine, GLOBEX) == []
