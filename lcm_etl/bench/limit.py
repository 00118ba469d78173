"""The limit: the same redemption rows moved from the source into PostgreSQL by the cheapest path.

One join query on the source returns one row per redemption grain — an order line of a Complete
order times a discount of a Site offer with an enterprise condition, the grain of
``lcm.offer_redemption`` — with that table's columns (values taken as they are: the discount's
full amount rather than the line's share, the run key as course key, nothing refunded). The rows
stream from a plain DBAPI cursor straight into ``COPY … FROM STDIN`` (psycopg 3) into
``bench.copy_limit``, a table ``LIKE lcm.offer_redemption``: same columns, types and NOT NULLs, no
key, no index. One transaction, committed.

The ledger era (issue 14) adds its own grain: one row per ledger transaction with its reversal,
the grain of ``lcm.budget_transaction``, copied the same way into ``bench.copy_limit_ledger``
(``LIKE lcm.budget_transaction``) when the source has the ledger tables; ``rows`` counts both.

No pass can be cheaper: it must read at least these rows from the source and write at least
these bytes into PostgreSQL. The time spent waiting on the source cursor and the time spent in
COPY (formatting, sending, the server's insert) are reported apart.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

from sqlalchemy import Engine, false, func, inspect, literal, null, select, text
from sqlalchemy.engine import URL

from lcm_etl.db import make_engine
from lcm_etl.ingest.sources import ecommerce as ec
from lcm_etl.ingest.sources import ledger as ledger_source
from lcm_etl.schema import budget_transaction, offer_redemption

# A UUID the read model can hold (32 hex digits, or dashed); the demo has a deliberately bad one.
_UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_ENTERPRISE_COLUMN = 3


@dataclasses.dataclass(frozen=True)
class CopyLimit:
    rows: int
    skipped: int
    """Rows whose enterprise UUID is unreadable (the read model rejects them too)."""
    ledger_rows: int
    """Of ``rows``, the ledger transactions (0 when the source has no ledger tables)."""
    seconds: float
    source_read_seconds: float
    copy_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def copy_rows_per_second(self) -> float:
        return self.rows / self.copy_seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "skipped": self.skipped,
            "ledger_rows": self.ledger_rows,
            "seconds": round(self.seconds, 4),
            "source_read_seconds": round(self.source_read_seconds, 4),
            "copy_seconds": round(self.copy_seconds, 4),
            "rows_per_second": round(self.rows_per_second),
            "copy_rows_per_second": round(self.copy_rows_per_second),
        }


def redemption_rows_query(dialect: Any) -> str:
    """One join query for the redemption-grain rows, in ``lcm.offer_redemption``'s column order,
    as SQL text for ``dialect`` (constants only, so literal binds are safe)."""
    discount, order, line, offer = ec.order_discount, ec.order, ec.line, ec.offer
    condition, user, product, course = ec.condition, ec.user, ec.product, ec.course
    parent = ec.product.alias("parent")
    courserun = func.coalesce(product.c.course_id, parent.c.course_id)
    query = (
        select(
            discount.c.id,  # order_discount_id
            line.c.id,  # order_line_id
            discount.c.offer_id,
            condition.c.enterprise_customer_uuid,
            order.c.id,  # order_id
            order.c.number,  # order_number
            order.c.user_id,  # ecommerce_user_id
            user.c.lms_user_id,
            user.c.email,  # user_email
            courserun,  # course_key (unparsed)
            courserun,  # courserun_key
            course.c.name,  # course_title
            line.c.unit_price_excl_tax,  # course_list_price
            discount.c.amount,  # amount (not shared over lines)
            line.c.line_price_excl_tax,  # amount_learner_paid
            order.c.date_placed,  # redeemed_at
            func.date(order.c.date_placed),  # enrollment_date
            false(),  # is_refunded
            literal(0),  # amount_refunded
            null(),  # refunded_at
            line.c.id,  # enterprise_enrollment_id (its fallback; the LMS lookup is the pass's)
        )
        .select_from(
            discount.join(offer, offer.c.id == discount.c.offer_id)
            .join(condition, condition.c.id == offer.c.condition_id)
            .join(order, order.c.id == discount.c.order_id)
            .join(line, line.c.order_id == order.c.id)
            .outerjoin(user, user.c.id == order.c.user_id)
            .outerjoin(product, product.c.id == line.c.product_id)
            .outerjoin(parent, parent.c.id == product.c.parent_id)
            .outerjoin(course, course.c.id == courserun)
        )
        .where(
            order.c.status == "Complete",
            offer.c.offer_type == "Site",
            condition.c.enterprise_customer_uuid.is_not(None),
            discount.c.amount.is_not(None),
        )
    )
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def ledger_rows_query(dialect: Any) -> str:
    """One join query for the ledger-transaction grain, in ``lcm.budget_transaction``'s column
    order (values as the source holds them: 32-hex UUIDs, every transaction a redemption)."""
    t, r, s = ledger_source.transaction, ledger_source.reversal, ledger_source.subsidy
    query = select(
        t.c.uuid,
        s.c.uuid,
        s.c.enterprise_customer_uuid,
        t.c.subsidy_access_policy_uuid,
        literal("redemption"),
        t.c.state,
        t.c.quantity,
        s.c.unit,
        t.c.idempotency_key,
        null(),  # metadata
        t.c.lms_user_id,
        t.c.lms_user_email,
        t.c.content_key,
        t.c.parent_content_key,
        t.c.content_title,
        t.c.course_run_start_date,
        t.c.fulfillment_identifier,
        t.c.created,
        t.c.modified,
        r.c.uuid,
        r.c.state,
        r.c.quantity,
        r.c.idempotency_key,
        null(),  # reversal metadata
        r.c.created,
        r.c.modified,
        literal("{}"),  # external_reference: none (COPY's text form of an empty array)
    ).select_from(
        t.join(s, s.c.ledger_id == t.c.ledger_id).outerjoin(r, r.c.transaction_id == t.c.uuid)
    )
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def measure_copy_limit(source_url: URL, read_model: Engine, *, batch_size: int) -> CopyLimit:
    """Stream the redemption rows from the source into an unindexed copy of the redemption table;
    drop the table afterwards."""
    with read_model.begin() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS bench"))
        conn.execute(text("DROP TABLE IF EXISTS bench.copy_limit"))
        conn.execute(text("CREATE TABLE bench.copy_limit (LIKE lcm.offer_redemption)"))
        conn.execute(text("DROP TABLE IF EXISTS bench.copy_limit_ledger"))
        conn.execute(text("CREATE TABLE bench.copy_limit_ledger (LIKE lcm.budget_transaction)"))
    source = make_engine(source_url)
    try:
        has_ledger = inspect(source).has_table(ledger_source.transaction.name)
        redemptions = _copy(
            source,
            read_model,
            redemption_rows_query(source.dialect),
            "bench.copy_limit",
            [c.name for c in offer_redemption.columns],
            batch_size,
            enterprise_column=_ENTERPRISE_COLUMN,
        )
        ledger = (
            _copy(
                source,
                read_model,
                ledger_rows_query(source.dialect),
                "bench.copy_limit_ledger",
                [c.name for c in budget_transaction.columns],
                batch_size,
                enterprise_column=None,
            )
            if has_ledger
            else _Copied()
        )
    finally:
        source.dispose()
    with read_model.begin() as conn:
        conn.execute(text("DROP SCHEMA bench CASCADE"))
    rows = redemptions.rows + ledger.rows
    skipped = redemptions.skipped
    seconds = redemptions.seconds + ledger.seconds
    read_seconds = redemptions.read_seconds + ledger.read_seconds
    copy_seconds = redemptions.copy_seconds + ledger.copy_seconds
    if redemptions.rows == 0:
        raise ValueError("the source has no redemption rows to copy")
    return CopyLimit(rows, skipped, ledger.rows, seconds, read_seconds, copy_seconds)


@dataclasses.dataclass
class _Copied:
    rows: int = 0
    skipped: int = 0
    seconds: float = 0.0
    read_seconds: float = 0.0
    copy_seconds: float = 0.0


def _copy(
    source: Engine,
    read_model: Engine,
    sql: str,
    target: str,
    column_names: list[str],
    batch_size: int,
    *,
    enterprise_column: int | None,
) -> _Copied:
    """Stream one query's rows from the source into ``target`` with COPY, in one transaction."""
    columns = ", ".join(column_names)
    source_raw = source.raw_connection()
    target_raw = read_model.raw_connection()
    done = _Copied()
    try:
        if source.dialect.name in ("mysql", "mariadb"):
            import pymysql.cursors

            source_cursor = source_raw.driver_connection.cursor(pymysql.cursors.SSCursor)  # type: ignore[union-attr]
        else:
            source_cursor = source_raw.cursor()
        pg = target_raw.driver_connection
        started = time.perf_counter()
        with pg.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # the source's naive datetimes are UTC
            source_cursor.execute(sql)
            done.read_seconds += time.perf_counter() - started
            with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                while True:
                    before_read = time.perf_counter()
                    batch = source_cursor.fetchmany(batch_size)
                    after_read = time.perf_counter()
                    done.read_seconds += after_read - before_read
                    if not batch:
                        break
                    for row in batch:
                        if enterprise_column is not None and not _UUID_TEXT.fullmatch(
                            row[enterprise_column] or ""
                        ):
                            done.skipped += 1
                            continue
                        copy.write_row(row)
                        done.rows += 1
                    done.copy_seconds += time.perf_counter() - after_read
                before_flush = time.perf_counter()
            pg.commit()  # type: ignore[union-attr]
            done.copy_seconds += time.perf_counter() - before_flush
        done.seconds = time.perf_counter() - started
        source_cursor.close()
    finally:
        source_raw.close()
        target_raw.close()
    return done
