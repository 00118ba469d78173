"""The enrollments search under row-level security: a search-term table, a SECURITY DEFINER
function that searches it for the transaction's tenant only, and the indexes that turn the terms
it finds into rows.

Why: the analytics API's ``search`` (learner email contains …) and ``search_course`` (course
title contains …) are ``ILIKE '%…%'``. The API reads as ``lcm_portal`` under row-level security,
and ``ILIKE`` is not LEAKPROOF, so PostgreSQL evaluates it only *after* the tenant policy: no
index can serve it, and a search reads every row of the enterprise (165,000 for the largest demo
enterprise, 65 ms, twice per request).

The design:

- ``lcm.enrollment_search_term``: one row per enterprise, searched field (``user_email`` or
  ``course_title``) and distinct value of that field among the enterprise's redemptions, with
  the value lower-cased (``folded``). Kept exact by statement-level triggers on
  ``lcm.offer_redemption`` (terms of inserted or updated rows are added; a term whose last row was
  deleted or changed is removed), so every write path — full, incremental, targeted publish —
  maintains it, and a hidden (consent-withdrawn) email leaves it with its last row.
- ``lcm.enrollment_search_terms(field, needle)``: the terms of the **transaction's tenant** (the
  ``lcm.enterprise_uuid`` setting the API sets, the one row-level security is keyed by) whose
  folded value contains the lower-cased needle, matched literally (``%``, ``_`` and ``\\`` are
  escaped). It takes no tenant argument, so a caller cannot name another enterprise; with no
  tenant set it returns nothing. SECURITY DEFINER, owned by ``lcm_search``: a NOLOGIN role whose
  only privilege is SELECT on the term table (a policy ``USING (true)`` there, no BYPASSRLS) —
  it cannot read redemptions, summaries or anything else. Only ``lcm_portal`` may EXECUTE it.
- The API then reads the rows as before, as ``lcm_portal`` under RLS, with
  ``user_email = ANY(terms)``: equality on text *is* LEAKPROOF, so the planner may use the new
  ``(enterprise_customer_uuid, user_email)`` index (likewise for course titles).
- Where the server has ``pg_trgm`` and ``btree_gin`` (PostgreSQL's contrib, trusted extensions),
  a GIN index on the emails' (enterprise, folded trigrams) finds them without reading the
  enterprise's others (course titles need none: an enterprise has at most a few thousand, read
  through the primary key). Where it has not (the embedded pgserver ships neither), the search reads
  the enterprise's terms of that field through the primary key and filters them — fewer rows
  than its redemptions (distinct values only), no heap access per redemption — and the index
  is skipped. It is optional: the schema test ignores names ending in ``_trgm``.

The same revision adds a partial index on the landed orders still Pending, by ``date_placed``:
an incremental pass re-reads the Pending orders placed within
``LCM_PENDING_ORDER_LOOKBACK_DAYS`` of the newest landed order, and finds them with it instead
of reading every landed order.

Revision ID: 0009
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_ROLE = "lcm_search"
PORTAL = "lcm_portal"
FIELDS = ("user_email", "course_title")


def _create_search_role() -> None:
    # Cluster-global, possibly created meanwhile by the migration of another database.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{SEARCH_ROLE}') THEN
                BEGIN
                    CREATE ROLE {SEARCH_ROLE} NOLOGIN NOBYPASSRLS;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;
                END;
            END IF;
            -- Giving an object to a role needs the right to act as it (PostgreSQL 16: SET).
            IF NOT pg_has_role(current_user, '{SEARCH_ROLE}',
                               CASE WHEN current_setting('server_version_num')::int >= 160000
                                    THEN 'SET' ELSE 'MEMBER' END) THEN
                BEGIN
                    EXECUTE format('GRANT {SEARCH_ROLE} TO %I', current_user);
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;
                END;
            END IF;
        END
        $$
        """
    )


def _trigram_available() -> bool:
    """Create pg_trgm and btree_gin where the server has them and we may; report whether both
    are there (a failed CREATE EXTENSION is caught inside the block, so the migration goes on)."""
    op.execute(
        """
        DO $$
        BEGIN
            IF (SELECT count(*) FROM pg_catalog.pg_available_extensions
                WHERE name IN ('pg_trgm', 'btree_gin')) = 2 THEN
                BEGIN
                    CREATE EXTENSION IF NOT EXISTS pg_trgm;
                    CREATE EXTENSION IF NOT EXISTS btree_gin;
                EXCEPTION WHEN insufficient_privilege OR feature_not_supported THEN
                    RAISE NOTICE 'pg_trgm/btree_gin not created (%): the enrollments search '
                                 'reads each enterprise''s terms without a trigram index', SQLERRM;
                END;
            END IF;
        END
        $$
        """
    )
    installed = op.get_bind().execute(
        text(
            "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname IN ('pg_trgm', 'btree_gin')"
        )
    )
    return bool(installed.scalar_one() == 2)


def _counted_terms(rows: str, sign: int) -> str:
    """Per (enterprise, field, value, offer) of a set of offer_redemption rows: how many rows,
    and how many with a list price, times ``sign``."""
    return (
        f"SELECT r.enterprise_customer_uuid, v.field, v.term, r.offer_id, "
        f"{sign} * count(*) AS redemptions, {sign} * count(r.course_list_price) AS priced "
        f"FROM {rows} AS r CROSS JOIN LATERAL (VALUES ('user_email', r.user_email), "
        "('course_title', r.course_title)) AS v(field, term) WHERE v.term IS NOT NULL "
        "GROUP BY 1, 2, 3, 4"
    )


def _apply_counts(*sources: tuple[str, int]) -> str:
    """Add the rows of the transition tables to the counts (new rows +1, old rows -1), then drop
    the terms of old rows that no redemption has any more."""
    deltas = " UNION ALL ".join(_counted_terms(rows, sign) for rows, sign in sources)
    body = f"""
            INSERT INTO lcm.enrollment_search_term AS t
                (enterprise_customer_uuid, field, term, offer_id, folded, redemptions,
                 priced_redemptions)
            SELECT d.enterprise_customer_uuid, d.field, d.term, d.offer_id, lower(d.term),
                   sum(d.redemptions), sum(d.priced)
            FROM ({deltas}) AS d
            GROUP BY 1, 2, 3, 4
            HAVING sum(d.redemptions) <> 0 OR sum(d.priced) <> 0
            ON CONFLICT (enterprise_customer_uuid, field, term, offer_id) DO UPDATE
            SET redemptions = t.redemptions + excluded.redemptions,
                priced_redemptions = t.priced_redemptions + excluded.priced_redemptions;"""
    if any(rows == "old_rows" for rows, _ in sources):
        body += f"""
            DELETE FROM lcm.enrollment_search_term AS t
            USING ({_counted_terms("old_rows", -1)}) AS touched
            WHERE t.enterprise_customer_uuid = touched.enterprise_customer_uuid
              AND t.field = touched.field AND t.term = touched.term
              AND t.offer_id = touched.offer_id
              AND t.redemptions <= 0;"""
    return body


def upgrade() -> None:
    _create_search_role()
    # Not the search, but this revision's other part (issue 12): the Pending orders an
    # incremental pass re-reads, found by date without reading every landed order.
    op.execute(
        "CREATE INDEX ix_ecommerce_order_pending_date_placed ON lcm_raw.ecommerce_order "
        "(date_placed) WHERE status <> 'Complete'"
    )
    op.execute(
        """
        CREATE TABLE lcm.enrollment_search_term (
            enterprise_customer_uuid uuid NOT NULL,
            field text NOT NULL,
            term text NOT NULL,
            offer_id bigint NOT NULL,
            folded text NOT NULL,
            redemptions bigint NOT NULL,
            priced_redemptions bigint NOT NULL,
            CONSTRAINT pk_enrollment_search_term
                PRIMARY KEY (enterprise_customer_uuid, field, term, offer_id),
            CONSTRAINT ck_enrollment_search_term_field
                CHECK (field IN ('user_email', 'course_title'))
        ) WITH (fillfactor = 80)
        """
    )
    op.execute(
        "COMMENT ON TABLE lcm.enrollment_search_term IS 'One row per enterprise, searched field "
        "(user_email, course_title), value of that field and offer among the enterprise''s "
        "redemptions: the value lower-cased (folded), how many redemptions have it and how many "
        "of those have a list price; kept by triggers on offer_redemption.'"
    )
    for field in FIELDS:
        op.execute(
            f"CREATE INDEX ix_offer_redemption_enterprise_customer_uuid_{field} "
            f"ON lcm.offer_redemption (enterprise_customer_uuid, {field})"
        )

    # Maintenance: statement-level triggers with transition tables (a few set-based statements
    # per write, whatever its size): counts go up with new rows and down with old ones, and a
    # term leaves when its count reaches zero (a deleted row, an email hidden since). The counts
    # are in no index, and the pages keep room (fillfactor 80), so a count update is a HOT
    # update that leaves the trigram index alone.
    bodies = {
        "insert": _apply_counts(("new_rows", 1)),
        "update": _apply_counts(("new_rows", 1), ("old_rows", -1)),
        "delete": _apply_counts(("old_rows", -1)),
    }
    for action, body in bodies.items():
        op.execute(
            f"""
            CREATE FUNCTION lcm.enrollment_search_term_on_{action}() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                {body}
                RETURN NULL;
            END
            $$
            """
        )
    transition = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    for action, referencing in transition.items():
        op.execute(
            f"CREATE TRIGGER enrollment_search_term_{action} AFTER {action.upper()} "
            f"ON lcm.offer_redemption {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION lcm.enrollment_search_term_on_{action}()"
        )
    op.execute(
        """
        CREATE FUNCTION lcm.enrollment_search_term_on_truncate() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            TRUNCATE lcm.enrollment_search_term;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER enrollment_search_term_truncate AFTER TRUNCATE ON lcm.offer_redemption "
        "FOR EACH STATEMENT EXECUTE FUNCTION lcm.enrollment_search_term_on_truncate()"
    )
    # The read model may already hold redemptions; the trigram index is built after them.
    op.execute(
        "INSERT INTO lcm.enrollment_search_term SELECT d.enterprise_customer_uuid, d.field, "
        "d.term, d.offer_id, lower(d.term), d.redemptions, d.priced "
        f"FROM ({_counted_terms('lcm.offer_redemption', 1)}) AS d"
    )
    if _trigram_available():
        op.execute(
            "CREATE INDEX ix_enrollment_search_term_trgm ON lcm.enrollment_search_term "
            "USING gin (enterprise_customer_uuid, folded gin_trgm_ops) "
            "WHERE field = 'user_email'"
        )

    # Who may read the terms: lcm_search only (analysts have offer_redemption itself).
    op.execute("ALTER TABLE lcm.enrollment_search_term ENABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON lcm.enrollment_search_term FROM PUBLIC, lcm_reader, {PORTAL}")
    op.execute(f"GRANT USAGE ON SCHEMA lcm TO {SEARCH_ROLE}")
    op.execute(f"GRANT SELECT ON lcm.enrollment_search_term TO {SEARCH_ROLE}")
    op.execute(
        f"CREATE POLICY lcm_search_all_terms ON lcm.enrollment_search_term FOR SELECT "
        f"TO {SEARCH_ROLE} USING (true)"
    )

    op.execute(
        r"""
        CREATE FUNCTION lcm.enrollment_search_terms(field text, needle text)
        RETURNS TABLE (term text, offer_id bigint, redemptions bigint,
                       priced_redemptions bigint)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
            SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
            FROM lcm.enrollment_search_term AS t
            WHERE enrollment_search_terms.field = 'user_email' AND t.field = 'user_email'
              AND t.enterprise_customer_uuid
                    = NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid
              AND t.folded LIKE '%' || replace(replace(replace(lower(needle),
                    '\', '\\'), '%', '\%'), '_', '\_') || '%'
            UNION ALL
            SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
            FROM lcm.enrollment_search_term AS t
            WHERE enrollment_search_terms.field = 'course_title' AND t.field = 'course_title'
              AND t.enterprise_customer_uuid
                    = NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid
              AND t.folded LIKE '%' || replace(replace(replace(lower(needle),
                    '\', '\\'), '%', '\%'), '_', '\_') || '%'
        $$
        """
    )
    op.execute(
        "COMMENT ON FUNCTION lcm.enrollment_search_terms(text, text) IS 'The values of field "
        "(user_email or course_title) among the redemptions of the enterprise named by the "
        "transaction setting lcm.enterprise_uuid that contain needle, case-insensitively and "
        "literally, per offer, with their redemption counts. No tenant set: nothing.'"
    )
    op.execute("REVOKE ALL ON FUNCTION lcm.enrollment_search_terms(text, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION lcm.enrollment_search_terms(text, text) TO {PORTAL}")
    # The owner's rights are what the function runs with: lcm_search's. (A non-superuser may
    # only give an object to a role that may create in its schema: granted for this step only.)
    op.execute(f"GRANT CREATE ON SCHEMA lcm TO {SEARCH_ROLE}")
    op.execute(f"ALTER FUNCTION lcm.enrollment_search_terms(text, text) OWNER TO {SEARCH_ROLE}")
    op.execute(f"REVOKE CREATE ON SCHEMA lcm FROM {SEARCH_ROLE}")


def downgrade() -> None:
    op.execute("DROP INDEX lcm_raw.ix_ecommerce_order_pending_date_placed")
    op.execute("DROP FUNCTION lcm.enrollment_search_terms(text, text)")
    for action in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER enrollment_search_term_{action} ON lcm.offer_redemption")
        op.execute(f"DROP FUNCTION lcm.enrollment_search_term_on_{action}()")
    op.execute("DROP TABLE lcm.enrollment_search_term")
    for field in FIELDS:
        op.execute(f"DROP INDEX lcm.ix_offer_redemption_enterprise_customer_uuid_{field}")
    op.execute(f"REVOKE USAGE ON SCHEMA lcm FROM {SEARCH_ROLE}")
    # The role and the extensions stay: cluster-wide / possibly used by others.
