"""The enrollments page as one statement (queries.enrollment_statement): the search's terms,
the count and the rows joined in the database, with two plans for the rows — seek (index lookups
per matching value) and walk (the enterprise's rows newest first, filtered) — chosen inside the
statement by the terms' counts. Both must give the same pages; neither may reach another
tenant's rows; the choice must follow the counts."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from lcm_etl import publish, queries
from lcm_etl.queries import enrollment_statement

from .serving_support import ACME, GLOBEX, ReadModel, admin_of

WALK_INDEX = "ix_offer_redemption_enterprise_enrollment"


@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Force a branch: ``plan("walk")`` / ``plan("seek")`` (the factor decides, the statements
    are rebuilt), or leave the measured factor."""

    def force(mode: str) -> None:
        factor = {"walk": 0, "seek": 10**12}[mode]
        monkeypatch.setattr(enrollment_statement, "WALK_FACTOR", factor)
        enrollment_statement.statement.cache_clear()

    enrollment_statement.statement.cache_clear()
    yield force
    enrollment_statement.statement.cache_clear()


@pytest.fixture
def enrollments(read_model: ReadModel) -> dict[str, Any]:
    """ACME: two offers, 24 rows — 9 Smiths among others, equal dates (the tie-breakers order
    them), some without a list price; GLOBEX: Smiths of its own."""
    first = read_model.offer(enrollment_count=12)
    second = read_model.offer(enrollment_count=12)
    rows = []
    for index in range(24):
        smith = index % 3 == 0 or index == 7
        email = f"{'ann.smith' if smith else 'bob.jones'}{index}@acme.example"
        offer = first if index % 2 else second
        price = None if index % 5 == 0 else "100.00"
        date = dt.date(2026, 1, 1) + dt.timedelta(days=index // 3)
        identifier = read_model.redemption(
            offer, user_email=email, course_list_price=price, enrollment_date=date
        )
        rows.append(
            {
                "id": 5_583_000 + identifier,
                "line": identifier,
                "email": email,
                "offer": offer,
                "priced": price is not None,
                "date": date,
            }
        )
    globex = read_model.offer(GLOBEX, enterprise_name="Globex", enrollment_count=5)
    for index in range(5):
        read_model.redemption(globex, GLOBEX, user_email=f"cy.smith{index}@globex.example")
    return {"rows": rows, "first": first, "second": second}


def _expected(rows: list[dict[str, Any]], where: queries.EnrollmentFilter) -> list[int]:
    """The enterprise_enrollment_ids of the matching rows, newest first (ties: the higher order
    discount and line first — both grow with the line id in the fixture)."""
    needle = (where.search or "").lower()
    matching = [
        r
        for r in rows
        if needle in r["email"].lower()
        and (where.offer_id is None or str(r["offer"]) == where.offer_id)
        and (r["priced"] or not where.ignore_null_course_list_price)
    ]
    matching.sort(key=lambda r: (r["date"], r["line"]), reverse=True)
    return [r["id"] for r in matching]


def _page(
    conn: Connection, enterprise: uuid.UUID, number: int | str, size: int, where: Any
) -> queries.Page:
    return queries.enrollments_page(
        conn,
        enterprise,
        queries.PageRequest(number, size),  # type: ignore[arg-type]
        where=where,
        ordering="-enrollment_date",
    )


def _walk_ran(conn: Connection, sql: str, parameters: dict[str, Any]) -> bool:
    """Whether the walk's scan of the keys (alias ``k``) ran (the other branch shows ``Actual
    Loops`` 0). Not the index's name: the seek may use it too, now that it has the emails."""
    document = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters
    ).scalar_one()
    root = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]

    def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    return any(n.get("Alias") == "k" and n["Actual Loops"] > 0 for n in nodes(root))


@pytest.mark.parametrize("mode", ["walk", "seek"])
def test_walk_and_seek_give_the_same_pages(engine: Engine, enrollments, plan, mode) -> None:
    plan(mode)
    first = str(enrollments["first"])
    filters = [
        queries.EnrollmentFilter(search="SMITH"),
        queries.EnrollmentFilter(search="smith", offer_id=first),
        queries.EnrollmentFilter(search="smith", ignore_null_course_list_price=True),
        queries.EnrollmentFilter(
            search="jones", offer_id=first, ignore_null_course_list_price=True
        ),
        queries.EnrollmentFilter(search="nobody"),
    ]
    with queries.tenant_transaction(engine, ACME) as conn:
        for where in filters:
            expected = _expected(enrollments["rows"], where)
            pages = max(1, -(-len(expected) // 4))
            seen: list[int] = []
            for number in range(1, pages + 1):
                page = _page(conn, ACME, number, 4, where)
                assert page.count == len(expected), where
                seen += [r["enterprise_enrollment_id"] for r in page.results]
                sql, parameters = queries.enrollment_page_statement(
                    ACME, queries.PageRequest(number, 4), where=where, ordering="-enrollment_date"
                )
                assert _walk_ran(conn, sql, parameters) == (mode == "walk" and bool(expected))
            assert seen == expected, where
            last = _page(conn, ACME, "last", 4, where)
            assert [r["enterprise_enrollment_id"] for r in last.results] == expected[
                (pages - 1) * 4 :
            ]
            with pytest.raises(queries.InvalidPage):
                _page(conn, ACME, pages + 1, 4, where)


def _plan_nodes(conn: Connection, sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    document = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters
    ).scalar_one()
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        found.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(document) if isinstance(document, str) else document)[0]["Plan"])
    return found


@pytest.mark.parametrize("search", ["smith", None], ids=["walk", "unsearched"])
def test_the_keys_come_from_the_index_and_only_the_pages_rows_from_the_table(
    engine: Engine, enrollments, plan, search
) -> None:
    """The walk and the unsearched page in the default order read the keys by an index-only
    scan of the walk index (which carries the filters' columns and the email, migration 0022)
    and read from the table only the page's rows, by primary key — also past many rows (page
    3)."""
    plan("walk")
    with engine.connect() as conn:  # the visibility map, as after a publish's VACUUM
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE lcm.offer_redemption"
        )
    # The walk with every filter the keys' index must carry; the unsearched page without (its
    # count of a filtered page reads the rows: not the page's part).
    where = (
        queries.EnrollmentFilter(
            search=search, offer_id=str(enrollments["first"]), ignore_null_course_list_price=True
        )
        if search
        else queries.EnrollmentFilter()
    )
    with queries.tenant_transaction(engine, ACME) as conn:
        with conn.begin_nested():
            # The planner would read 30 rows whole; the plan asked for at scale.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            sql, parameters = queries.enrollment_page_statement(
                ACME, queries.PageRequest(2, 2), where=where, ordering="-enrollment_date"
            )
            nodes = _plan_nodes(conn, sql, parameters)
        keys = [n for n in nodes if n.get("Alias") == "k"]
        assert [(n["Node Type"], n.get("Index Name")) for n in keys] == [
            ("Index Only Scan", WALK_INDEX)
        ]
        assert keys[0]["Heap Fetches"] == 0
        rows = [
            n
            for n in nodes
            # What reads the table's rows (the unsearched page's count is index-only too).
            if n.get("Relation Name") == "offer_redemption"
            and n["Node Type"] != "Index Only Scan"
            and n["Actual Loops"] > 0
        ]
        assert [(n["Index Name"], n["Actual Rows"] * n["Actual Loops"]) for n in rows] == [
            ("pk_offer_redemption", 2)
        ]
        expected = _expected(enrollments["rows"], where)
        page = _page(conn, ACME, 2, 2, where)
        assert [r["enterprise_enrollment_id"] for r in page.results] == expected[2:4]


@pytest.mark.parametrize("priced", [False, True])
@pytest.mark.parametrize("offer", [None, "first"])
def test_the_unsearched_count_reads_no_redemption(
    engine: Engine, enrollments, offer, priced
) -> None:
    """An unsearched page's count is the sum of the offers' count rows (migration 0024), from
    the search function: the statement reads the enterprise's redemptions only for the page's
    keys (the index, stopping when the page is full) and the page's rows — never all of them
    to count."""
    where = queries.EnrollmentFilter(
        offer_id=None if offer is None else str(enrollments[offer]),
        ignore_null_course_list_price=priced,
    )
    with queries.tenant_transaction(engine, ACME) as conn:
        sql, parameters = queries.enrollment_page_statement(
            ACME, queries.PageRequest(1, 2), where=where, ordering="-enrollment_date"
        )
        nodes = _plan_nodes(conn, sql, parameters)
        reads = [n for n in nodes if n.get("Relation Name") == "offer_redemption"]
        assert sorted(n["Alias"] for n in reads) == ["k", "r"]
        keys = next(n for n in reads if n["Alias"] == "k")
        assert keys["Actual Rows"] * keys["Actual Loops"] <= 2  # the page's keys, not a count
        assert "Aggregate" not in {n["Node Type"] for n in reads}
        counts = [n for n in nodes if n.get("Function Name") == "enrollment_search_terms"]
        assert len(counts) == 1
        page = _page(conn, ACME, 1, 2, where)
        assert page.count == len(_expected(enrollments["rows"], where))


def test_the_choice_follows_the_terms_counts(engine: Engine, enrollments, plan) -> None:
    """Many matches (9 of 24 for a page of 4: 81 ≥ 0.15 × 4 × 24): walk. One match: seek."""
    with queries.tenant_transaction(engine, ACME) as conn:
        for needle, walks in (("smith", True), ("ann.smith21@", False)):
            sql, parameters = queries.enrollment_page_statement(
                ACME,
                queries.PageRequest(1, 4),
                where=queries.EnrollmentFilter(search=needle),
                ordering=None,
            )
            assert _walk_ran(conn, sql, parameters) is walks, needle


@pytest.mark.parametrize("mode", ["walk", "seek"])
@pytest.mark.parametrize(
    "where",
    [
        queries.EnrollmentFilter(search="smith"),
        queries.EnrollmentFilter(search_course="demonstration"),
        queries.EnrollmentFilter(search="smith", search_course="demonstration"),
        queries.EnrollmentFilter(),
    ],
    ids=["email", "title", "both", "none"],
)
def test_the_statement_never_reaches_another_tenants_rows(
    engine: Engine, enrollments, plan, mode, where
) -> None:
    """The statement names its enterprise as a parameter; row-level security and the search
    function's own tenant (the transaction's) must hold even when that parameter names another
    enterprise, and with no tenant set."""
    plan(mode)
    request = queries.PageRequest(1, 20)
    with queries.tenant_transaction(engine, ACME) as conn:
        ours = _page(conn, ACME, 1, 20, where)
        assert ours.count > 0
        assert {r["enterprise_customer_uuid"] for r in ours.results} == {str(ACME)}
        assert not any("globex" in (r["user_email"] or "") for r in ours.results)
        # ACME's transaction, GLOBEX's rows asked for by the statement's own parameter.
        sql, parameters = queries.enrollment_page_statement(
            GLOBEX, request, where=where, ordering=None
        )
        rows = conn.exec_driver_sql(sql, parameters).all()
        assert [tuple(r) for r in rows] == [(0,) + (None,) * (len(rows[0]) - 1)]
    with queries.tenant_transaction(engine, None) as conn:
        for enterprise in (ACME, GLOBEX):
            sql, parameters = queries.enrollment_page_statement(
                enterprise, request, where=where, ordering=None
            )
            assert conn.exec_driver_sql(sql, parameters).first().total == 0  # type: ignore[union-attr]


def test_the_api_answers_from_the_one_statement(client, enrollments) -> None:
    """Through HTTP (the event-loop reader, one round trip): the page, its count, the links,
    and 404 past the end, as DRF answers."""
    url = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
    expected = _expected(enrollments["rows"], queries.EnrollmentFilter(search="smith"))
    params = {"search": "Smith", "page_size": "4", "ordering": "-enrollment_date"}
    body = client.get(url, params={**params, "page": "2"}, headers=admin_of(ACME)).json()
    assert body["count"] == len(expected) == 9
    assert [r["enterprise_enrollment_id"] for r in body["results"]] == expected[4:8]
    assert (body["num_pages"], body["current_page"], body["start"]) == (3, 2, 4)
    assert body["next"].endswith("page=3")
    assert body["previous"] is not None
    missing = client.get(url, params={**params, "page": "4"}, headers=admin_of(ACME))
    assert (missing.status_code, missing.json()) == (404, {"detail": "Invalid page."})
    for bad in ("0", "-1"):
        response = client.get(url, params={**params, "page": bad}, headers=admin_of(ACME))
        assert response.status_code == 404


def test_a_full_publish_leaves_the_search_terms_with_statistics(
    engine: Engine, enrollments
) -> None:
    """Bug: the VACUUM ANALYZE after a full publish skipped lcm.enrollment_search_term, which the
    redemption triggers rewrite; without statistics the planner took it for a handful of rows
    per enterprise and read all of an enterprise's terms instead of the trigram index (10-20x
    slower at scale M until autovacuum came by)."""
    with engine.connect() as conn:
        publish.vacuum_read_model(conn.execution_options(isolation_level="AUTOCOMMIT"))
        analyzed = conn.execute(
            text(
                "SELECT reltuples FROM pg_class WHERE oid = 'lcm.enrollment_search_term'::regclass"
            )
        ).scalar_one()
    assert analyzed > 0  # -1: never vacuumed nor analyzed


def test_the_body_is_the_bytes_jsonresponse_wrote(client, read_model: ReadModel) -> None:
    """orjson encodes the page (it was Starlette's JSONResponse: json.dumps, compact, UTF-8):
    the same bytes, non-ASCII text, money and nulls included."""
    offer = read_model.offer()
    read_model.redemption(
        offer,
        user_email="zoë.müller@acme.example",
        course_title="Données — « 101 » \u2028 😀",
        course_list_price="1234.5",
        amount="0.10",
        amount_learner_paid=None,
    )
    url = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
    response = client.get(url, params={"search": "müller"}, headers=admin_of(ACME))
    body = response.json()
    assert body["count"] == 1
    assert response.content == json.dumps(
        body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def test_the_tenant_transaction_never_compiles_a_statement(
    engine: Engine, client, monkeypatch
) -> None:
    """Bug: PostgreSQL priced a course-title search's page above jit_above_cost (its seek
    branch, never run, counts the search function as 1,000 rows) and JIT-compiled it: 63 of the
    65 ms of that page at scale L. Every way of reading turns JIT off: the tenant transaction
    (the CLI, the streamed answers) and the API's one-message reads (enrollments, the page)."""
    from lcm_etl.api.enrollmentreader import EnrollmentReader
    from lcm_etl.api.pagereader import PageReader

    with queries.tenant_transaction(engine, ACME) as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
    seen: list[str] = []
    real_script = EnrollmentReader.script

    def spy_script(self: EnrollmentReader, *args: Any, **kwargs: Any) -> tuple[str, Any]:
        script, parameters = real_script(self, *args, **kwargs)
        assert script.index("set_config('jit', %(jit)s, true)") < script.index("WITH ")
        seen.append(parameters["jit"])
        return script, parameters

    monkeypatch.setattr(EnrollmentReader, "script", spy_script)
    url = f"/enterprise/api/v1/enterprise/{ACME}/enrollments/"
    response = client.get(url, params={"search_course": "x"}, headers=admin_of(ACME))
    assert response.status_code == 200
    assert seen == ["off"]
    sent: list[bytes] = []
    real_script_for = PageReader.script_for

    def spy_script_for(self: PageReader, enterprise: uuid.UUID) -> bytes:
        sent.append(real_script_for(self, enterprise))
        return sent[-1]

    monkeypatch.setattr(PageReader, "script_for", spy_script_for)
    page = client.get(f"/api/v1/enterprises/{ACME}/learner-credit", headers=admin_of(ACME))
    assert page.status_code in (200, 404)  # the script was sent either way
    (script,) = sent
    assert script.index(b"set_config('jit', 'off', true)") < script.index(b"lcm.page_")
