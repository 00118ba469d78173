"""The enrollments page's count without a search, from maintained counts (issue 12;
docs/serving.md, "The enrollments search under row-level security").

An unsearched page counted the enterprise's redemptions (``count(*)``, index-only: 31–45 ms for
the largest enterprise at scale L, on every page). The term table already keeps, per
(enterprise, offer), counts that the triggers and the bulk fill maintain on every write; it now
also holds one row per (enterprise, offer) with field ``all`` and term ``''``: how many
redemptions the offer has, and how many with a list price. The unsearched count is the sum of
those rows — a lookup of a few rows instead of a scan of the enterprise's.

- ``lcm.enrollment_search_terms_of`` (the term rule, 0014) also gives ``('all', '', '', priced)``
  for every redemption: the triggers and the bulk fill count through it, so no new trigger.
- ``ck_enrollment_search_term_field`` admits ``all``. The trigram index is partial on
  ``user_email`` and the title search reads ``course_title`` rows only: no search sees them.
- ``lcm.enrollment_search_terms('all', needle)`` returns the tenant's ``all`` rows (the needle
  is ignored), under the same tenant guarantee: the portal still cannot read the table.
- The existing redemptions' ``all`` rows are inserted here; downgrade deletes them.

The function's text is ``sql/functions/enrollment_search_terms.sql``, inlined (frozen).

Revision ID: 0024
Revises: 0022
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE = "lcm.enrollment_search_terms_of(lcm.offer_redemption)"
CHECK = "ck_enrollment_search_term_field"
TERMS = "lcm.enrollment_search_terms(text, text)"

# Inlinable as 0014's: plain SQL, IMMUTABLE, no SET, not STRICT; the same result type.
RULE_0024 = """
CREATE OR REPLACE FUNCTION lcm.enrollment_search_terms_of(redemption lcm.offer_redemption)
RETURNS TABLE (field text, term text, folded text, priced integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v.field, v.term, pg_catalog.lower(v.term),
           (redemption.course_list_price IS NOT NULL)::integer
    FROM (VALUES ('user_email', redemption.user_email),
                 ('course_title', redemption.course_title),
                 ('all', '')) AS v (field, term)
    WHERE v.term IS NOT NULL
$$
"""

# 0014's rule, for the downgrade: the same without the offers' count row.
ALL_ROW = ",\n                 ('all', '')"
RULE_0014 = RULE_0024.replace(ALL_ROW, "")

RULE_COMMENT_0024 = (
    "The search terms one redemption contributes to lcm.enrollment_search_term: its non-null "
    "user_email and course_title (field, term), the term lower-cased (folded), and 1 when it "
    "has a list price (priced); and (all, '''') for every redemption, the row that counts the "
    "offer''s redemptions. Used by the term triggers and by the bulk fill of a first full "
    "publish."
)
RULE_COMMENT_0014 = (
    "The search terms one redemption contributes to lcm.enrollment_search_term: its non-null "
    "user_email and course_title (field, term), the term lower-cased (folded), and 1 when it "
    "has a list price (priced). Used by the term triggers and by the bulk fill of a first full "
    "publish."
)

SEARCH_TERMS = r"""
CREATE OR REPLACE FUNCTION lcm.enrollment_search_terms(field text, needle text)
RETURNS TABLE (term text, offer_id bigint, redemptions bigint, priced_redemptions bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Contains needle, case-insensitively and literally: LIKE's wildcards and escape escaped.
    pattern text := '%' || replace(replace(replace(lower(needle), '\', '\\'), '%', '\%'), '_', '\_') || '%';
    -- The transaction's tenant, the one row-level security is keyed by; none: no term.
    tenant uuid := NULLIF(current_setting('lcm.enterprise_uuid', true), '')::uuid;
BEGIN
    -- One static query per field (the trigram index is partial on the field's literal), each
    -- planned once per session.
    IF field = 'user_email' THEN
        RETURN QUERY
        SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
        FROM lcm.enrollment_search_term AS t
        WHERE t.enterprise_customer_uuid = tenant AND t.field = 'user_email' AND t.folded LIKE pattern;
    ELSIF field = 'course_title' THEN
        RETURN QUERY
        SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
        FROM lcm.enrollment_search_term AS t
        WHERE t.enterprise_customer_uuid = tenant AND t.field = 'course_title' AND t.folded LIKE pattern;
    ELSIF field = 'all' THEN
        -- Every redemption, per offer (term ''): the count of an unsearched page. No needle.
        RETURN QUERY
        SELECT t.term, t.offer_id, t.redemptions, t.priced_redemptions
        FROM lcm.enrollment_search_term AS t
        WHERE t.enterprise_customer_uuid = tenant AND t.field = 'all';
    END IF;
END
$$
"""

# 0022's text, for the downgrade: the same without the branch of field 'all' (CREATE OR
# REPLACE keeps owner and privileges).
ALL_BRANCH = SEARCH_TERMS[
    SEARCH_TERMS.index("    ELSIF field = 'all'") : SEARCH_TERMS.index("    END IF;")
]
SEARCH_TERMS_0022 = SEARCH_TERMS.replace(ALL_BRANCH, "")

TERMS_COMMENT_0024 = (
    "The values of field (user_email or course_title) among the redemptions of the enterprise "
    "named by the transaction setting lcm.enterprise_uuid that contain needle, "
    "case-insensitively and literally, per offer, with their redemption counts; field all: one "
    "row per offer (term '''') counting all its redemptions, needle ignored. No tenant set: "
    "nothing."
)
TERMS_COMMENT_0009 = (
    "The values of field (user_email or course_title) among the redemptions of the enterprise "
    "named by the transaction setting lcm.enterprise_uuid that contain needle, "
    "case-insensitively and literally, per offer, with their redemption counts. No tenant set: "
    "nothing."
)

TABLE_COMMENT_0024 = (
    "One row per enterprise, searched field (user_email, course_title), value of that field and "
    "offer among the enterprise''s redemptions, and one per enterprise and offer with field all "
    "and term '''' (every redemption): the value lower-cased (folded), how many redemptions have "
    "it and how many of those have a list price; kept by triggers on offer_redemption."
)
TABLE_COMMENT_0009 = (
    "One row per enterprise, searched field (user_email, course_title), value of that field and "
    "offer among the enterprise''s redemptions: the value lower-cased (folded), how many "
    "redemptions have it and how many of those have a list price; kept by triggers on "
    "offer_redemption."
)


def _check(fields: str) -> None:
    op.execute(f"ALTER TABLE lcm.enrollment_search_term DROP CONSTRAINT {CHECK}")
    op.execute(
        f"ALTER TABLE lcm.enrollment_search_term ADD CONSTRAINT {CHECK} CHECK (field IN ({fields}))"
    )


def upgrade() -> None:
    _check("'user_email', 'course_title', 'all'")
    op.execute(RULE_0024)
    op.execute(f"COMMENT ON FUNCTION {RULE} IS '{RULE_COMMENT_0024}'")
    op.execute(SEARCH_TERMS)
    op.execute(f"COMMENT ON FUNCTION {TERMS} IS '{TERMS_COMMENT_0024}'")
    op.execute(f"COMMENT ON TABLE lcm.enrollment_search_term IS '{TABLE_COMMENT_0024}'")
    # The existing redemptions' rows (the triggers count every write from here on).
    op.execute(
        "INSERT INTO lcm.enrollment_search_term (enterprise_customer_uuid, field, term, "
        "offer_id, folded, redemptions, priced_redemptions) "
        "SELECT r.enterprise_customer_uuid, 'all', '', r.offer_id, '', count(*), "
        "count(r.course_list_price) FROM lcm.offer_redemption AS r GROUP BY 1, 4"
    )


def downgrade() -> None:
    op.execute(SEARCH_TERMS_0022)
    op.execute(f"COMMENT ON FUNCTION {TERMS} IS '{TERMS_COMMENT_0009}'")
    op.execute(RULE_0014)
    op.execute(f"COMMENT ON FUNCTION {RULE} IS '{RULE_COMMENT_0014}'")
    op.execute("DELETE FROM lcm.enrollment_search_term WHERE field = 'all'")
    op.execute(f"COMMENT ON TABLE lcm.enrollment_search_term IS '{TABLE_COMMENT_0009}'")
    _check("'user_email', 'course_title'")
