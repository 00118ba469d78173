"""The enrollments search at scale L: the search function planned once per session, and a walk
that reads no table row it does not return (issue 12; docs/serving.md, "The enrollments search
under row-level security").

- ``lcm.enrollment_search_terms(field, needle)`` becomes PL/pgSQL with one static query per
  field. As a SQL function (0009) it was SECURITY DEFINER and so never inlined: PostgreSQL
  planned its body on every call, a third of its time for a last name at scale M. PL/pgSQL keeps
  the plan for the session (the API's pooled connections). Same contract: the terms of the
  transaction's tenant (``lcm.enterprise_uuid``) whose folded value contains the needle
  literally, nothing without a tenant or for another field; same owner (``lcm_search``),
  privileges and comment (CREATE OR REPLACE keeps them).
- ``ix_offer_redemption_enterprise_enrollment`` (0005) also carries ``offer_id`` and
  ``user_email``: the walk (the enterprise's rows newest first, kept when their email is among
  the search's terms, until the page is full) is then an index-only scan of the keys — at scale
  L ~1,200 rows for a last name, each a heap page read before — and only the page's 20 rows are
  read from the table (``queries.enrollment_statement``).

The function's text is ``sql/functions/enrollment_search_terms.sql``, inlined (frozen).

Revision ID: 0022
Revises: 0023
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "lcm.enrollment_search_terms(text, text)"

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
    END IF;
END
$$
"""

# 0009's SQL function, for the downgrade (CREATE OR REPLACE keeps owner and privileges).
SEARCH_TERMS_0009 = r"""
CREATE OR REPLACE FUNCTION lcm.enrollment_search_terms(field text, needle text)
RETURNS TABLE (term text, offer_id bigint, redemptions bigint, priced_redemptions bigint)
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

WALK_INDEX = "ix_offer_redemption_enterprise_enrollment"
WALK_KEY = (
    "lcm.offer_redemption (enterprise_customer_uuid, enrollment_date DESC, "
    "order_discount_id DESC, order_line_id DESC)"
)


def _walk_index(include: str) -> None:
    op.execute(f"DROP INDEX lcm.{WALK_INDEX}")
    op.execute(f"CREATE INDEX {WALK_INDEX} ON {WALK_KEY} INCLUDE ({include})")


def upgrade() -> None:
    op.execute(SEARCH_TERMS)
    _walk_index("course_list_price, offer_id, user_email")


def downgrade() -> None:
    _walk_index("course_list_price")
    op.execute(SEARCH_TERMS_0009)
