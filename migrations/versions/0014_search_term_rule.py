"""The search-term rule in one function: ``lcm.enrollment_search_terms_of(redemption)`` gives the
terms a redemption contributes to ``lcm.enrollment_search_term`` (its non-null email and course
title, each with its folded form, and whether the redemption has a list price). The statement
triggers of migration 0009 are redefined to count through it, and a bulk load (the first full
publish, ``sql/transform/enrollment_search_term_fill.sql``) fills the table through it in one
statement with the triggers disabled, so the two cannot drift apart.

The function is plain SQL, IMMUTABLE, without SET or SECURITY DEFINER, so the planner inlines it
into the calling statement (a VALUES scan per row, no function call per row). Its argument is
the table's row type: the triggers' transition tables have it too.

Revision ID: 0014
Revises: 0019
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE = "lcm.enrollment_search_terms_of(lcm.offer_redemption)"


def _counted_by_rule(rows: str, sign: int) -> str:
    """Per (enterprise, field, term, offer, folded) of a set of offer_redemption rows: how many
    rows, and how many with a list price, times ``sign`` — the terms as the rule gives them."""
    return (
        f"SELECT r.enterprise_customer_uuid, s.field, s.term, r.offer_id, s.folded, "
        f"{sign} * count(*) AS redemptions, {sign} * sum(s.priced) AS priced "
        f"FROM {rows} AS r CROSS JOIN LATERAL lcm.enrollment_search_terms_of(r) AS s "
        "GROUP BY 1, 2, 3, 4, 5"
    )


def _counted_as_in_0009(rows: str, sign: int) -> str:
    """Migration 0009's inline rule (what downgrade restores)."""
    return (
        f"SELECT r.enterprise_customer_uuid, v.field, v.term, r.offer_id, lower(v.term) AS folded, "
        f"{sign} * count(*) AS redemptions, {sign} * count(r.course_list_price) AS priced "
        f"FROM {rows} AS r CROSS JOIN LATERAL (VALUES ('user_email', r.user_email), "
        "('course_title', r.course_title)) AS v(field, term) WHERE v.term IS NOT NULL "
        "GROUP BY 1, 2, 3, 4"
    )


def _apply_counts(counted: Callable[[str, int], str], *sources: tuple[str, int]) -> str:
    """Add the rows of the transition tables to the counts (new rows +1, old rows -1), then drop
    the terms of old rows that no redemption has any more (as in migration 0009)."""
    deltas = " UNION ALL ".join(counted(rows, sign) for rows, sign in sources)
    body = f"""
            INSERT INTO lcm.enrollment_search_term AS t
                (enterprise_customer_uuid, field, term, offer_id, folded, redemptions,
                 priced_redemptions)
            SELECT d.enterprise_customer_uuid, d.field, d.term, d.offer_id, d.folded,
                   sum(d.redemptions), sum(d.priced)
            FROM ({deltas}) AS d
            GROUP BY 1, 2, 3, 4, 5
            HAVING sum(d.redemptions) <> 0 OR sum(d.priced) <> 0
            ON CONFLICT (enterprise_customer_uuid, field, term, offer_id) DO UPDATE
            SET redemptions = t.redemptions + excluded.redemptions,
                priced_redemptions = t.priced_redemptions + excluded.priced_redemptions;"""
    if any(rows == "old_rows" for rows, _ in sources):
        body += f"""
            DELETE FROM lcm.enrollment_search_term AS t
            USING ({counted("old_rows", -1)}) AS touched
            WHERE t.enterprise_customer_uuid = touched.enterprise_customer_uuid
              AND t.field = touched.field AND t.term = touched.term
              AND t.offer_id = touched.offer_id
              AND t.redemptions <= 0;"""
    return body


def _replace_trigger_functions(counted: Callable[[str, int], str]) -> None:
    bodies = {
        "insert": _apply_counts(counted, ("new_rows", 1)),
        "update": _apply_counts(counted, ("new_rows", 1), ("old_rows", -1)),
        "delete": _apply_counts(counted, ("old_rows", -1)),
    }
    for action, body in bodies.items():
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION lcm.enrollment_search_term_on_{action}() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                {body}
                RETURN NULL;
            END
            $$
            """
        )


def upgrade() -> None:
    # Not STRICT, not VOLATILE, no SET clause: each keeps the planner from inlining it.
    op.execute(
        """
        CREATE FUNCTION lcm.enrollment_search_terms_of(redemption lcm.offer_redemption)
        RETURNS TABLE (field text, term text, folded text, priced integer)
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT v.field, v.term, pg_catalog.lower(v.term),
                   (redemption.course_list_price IS NOT NULL)::integer
            FROM (VALUES ('user_email', redemption.user_email),
                         ('course_title', redemption.course_title)) AS v (field, term)
            WHERE v.term IS NOT NULL
        $$
        """
    )
    op.execute(
        f"COMMENT ON FUNCTION {RULE} IS 'The search terms one redemption contributes to "
        "lcm.enrollment_search_term: its non-null user_email and course_title (field, term), "
        "the term lower-cased (folded), and 1 when it has a list price (priced). Used by the "
        "term triggers and by the bulk fill of a first full publish.'"
    )
    _replace_trigger_functions(_counted_by_rule)


def downgrade() -> None:
    _replace_trigger_functions(_counted_as_in_0009)
    op.execute(f"DROP FUNCTION {RULE}")
