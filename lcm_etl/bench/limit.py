"""The limit: the same redemption rows moved from the source into PostgreSQL by the cheapest path.

One join query on the source returns one row per redemption grain — an order line of a Complete
order times a discount of a Site offer with an enterprise condition, the grain of
``lcm.offer_redemption`` — with that table's columns (values taken as they are: the discount's
full amount rather than the line's share, the run key as course key, nothing refunded). The rows
stream from a plain DBAPI cursor straight into ``COPY … FROM STDIN`` (psycopg 3) into
``bench.copy_limit``, a table ``LIKE lcm.offer_redemption``: same columns, types and NOT NULLs, no
key, no index. One transaction, committed.

No pass can be cheaper: it must read at least these rows from the source and write at least
these bytes into PostgreSQL. The time spent waiting on the source cursor and the time spent in
COPY (formatting, sending, the server's insert) are reported apart.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

from sqlalchemy import Engine, false, func, literal, null, select, text
from sqlalchemy.engine import URL

from lcm_etl.db import make_engine
from lcm_etl.ingest.sources import ecommerce as ec
from lcm_etl.schema import offer_redemption

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


def measure_copy_limit(source_url: URL, read_model: Engine, *, batch_size: int) -> CopyLimit:
    """Stream the redemption rows from the source into an unindexed copy of the redemption table;
    drop the table afterwards."""
    columns = ", ".join(column.name for column in offer_redemption.columns)
    with read_model.begin() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS bench"))
        conn.execute(text("DROP TABLE IF EXISTS bench.copy_limit"))
        conn.execute(text("CREATE TABLE bench.copy_limit (LIKE lcm.offer_redemption)"))
    source = make_engine(source_url)
    source_raw = source.raw_connection()
    target_raw = read_model.raw_connection()
    try:
        sql = redemption_rows_query(source.dialect)
        if source.dialect.name in ("mysql", "mariadb"):
            import pymysql.cursors

            source_cursor = source_raw.driver_connection.cursor(pymysql.cursors.SSCursor)  # type: ignore[union-attr]
        else:
            source_cursor = source_raw.cursor()
        pg = target_raw.driver_connection
        rows = skipped = 0
        read_seconds = copy_seconds = 0.0
        started = time.perf_counter()
        with pg.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # the source's naive datetimes are UTC
            source_cursor.execute(sql)
            read_seconds += time.perf_counter() - started
            with cursor.copy(f"COPY bench.copy_limit ({columns}) FROM STDIN") as copy:
                while True:
                    before_read = time.perf_counter()
                    batch = source_cursor.fetchmany(batch_size)
                    after_read = time.perf_counter()
                    read_seconds += after_read - before_read
                    if not batch:
                        break
                    for row in batch:
                        if not _UUID_TEXT.fullmatch(row[_ENTERPRISE_COLUMN] or ""):
                            skipped += 1
                            continue
                        copy.write_row(row)
                        rows += 1
                    copy_seconds += time.perf_counter() - after_read
                before_flush = time.perf_counter()
            pg.commit()  # type: ignore[union-attr]
            copy_seconds += time.perf_counter() - before_flush
        seconds = time.perf_counter() - started
        source_cursor.close()
    finally:
        source_raw.close()
        target_raw.close()
        source.dispose()
    with read_model.begin() as conn:
        conn.execute(text("DROP SCHEMA bench CASCADE"))
    if rows == 0:
        raise ValueError("the source has no redemption rows to copy")
    return CopyLimit(rows, skipped, seconds, read_seconds, copy_seconds)
