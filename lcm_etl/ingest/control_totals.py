"""Control totals: a full ingest checks what it landed against the source's own sums.

The source computes, in the same snapshot the extraction read, what each enterprise spent (Σ
discount amounts of Complete orders); the landing must hold exactly that. The only difference
allowed is the one landing rejections explain.
"""

from __future__ import annotations

import dataclasses
import logging
from decimal import Decimal

from sqlalchemy import Connection, func, select, text

from lcm_etl import convert, sqlfiles
from lcm_etl.ingest.extract import untyped
from lcm_etl.progress import ProgressReporter
from lcm_etl.schema import rejected_record

log = logging.getLogger(__name__)
CENT = Decimal("0.01")


class LandingMismatch(RuntimeError):
    """A full ingest landed rows that do not add up to the source's own totals."""


@dataclasses.dataclass
class ControlTotal:
    """What the source itself says an enterprise spent: Σ discount amounts of Complete orders."""

    enterprise_key: str
    discount_amount: Decimal
    discount_count: int


def source_control_totals(source: Connection, progress: ProgressReporter) -> list[ControlTotal]:
    """Σ discount amounts of Complete orders per enterprise, computed BY THE SOURCE in the
    same snapshot the extraction read (so a full ingest can check it landed every row)."""
    d = untyped("order_orderdiscount", ("order_id", "offer_id", "amount"), "t_d")
    r = untyped("order_order", ("id", "status"), "t_r")
    o = untyped("offer_conditionaloffer", ("id", "condition_id", "offer_type"), "t_o")
    c = untyped("offer_condition", ("id", "enterprise_customer_uuid"), "t_c")
    statement = (
        select(c.c.enterprise_customer_uuid, func.sum(d.c.amount), func.count())
        .select_from(
            d.join(r, r.c.id == d.c.order_id)
            .join(o, o.c.id == d.c.offer_id)
            .join(c, c.c.id == o.c.condition_id)
        )
        .where(
            r.c.status == "Complete",
            o.c.offer_type == "Site",
            c.c.enterprise_customer_uuid.is_not(None),
            d.c.amount.is_not(None),
        )
        .group_by(c.c.enterprise_customer_uuid)
    )
    totals = []
    with progress.step("reconcile source control totals"):
        for key, amount, count in source.execute(statement):
            # Amounts are DECIMAL(12,2), so their exact sum has cents; a source that sums in
            # floating point (SQLite) is a few ULPs off, which rounding to cents removes.
            exact = (convert.to_decimal(amount) or Decimal(0)).quantize(CENT)
            totals.append(
                ControlTotal(
                    enterprise_key=str(key),
                    discount_amount=exact,
                    discount_count=int(count),
                )
            )
    return totals


def check_control_totals(conn: Connection, source_totals: list[ControlTotal]) -> None:
    """Compare what the source says each enterprise spent with what was landed, strictly.

    The only difference allowed is the one landing rejections explain: an order whose row could
    not be read (its discounts landed, the order did not) explains its enterprise's difference; a
    discount row that could not be read cannot be attributed, so it excuses every enterprise, with
    a warning naming them.
    """
    landed = {
        row.enterprise_key: (Decimal(row.discount_amount), int(row.discount_count))
        for row in conn.execute(text(sqlfiles.load("reconcile/landing_control_totals.sql")))
    }
    explained = set(
        conn.execute(
            text(sqlfiles.load("reconcile/landing_rejections_by_enterprise.sql"))
        ).scalars()
    )
    unattributable = conn.execute(
        select(func.count())
        .select_from(rejected_record)
        .where(
            rejected_record.c.stage == "landing",
            rejected_record.c.source == "ecommerce",
            rejected_record.c.source_table == "order_orderdiscount",
            rejected_record.c.resolved_at.is_(None),
        )
    ).scalar_one()
    problems = []
    for total in source_totals:
        got_amount, got_count = landed.pop(total.enterprise_key, (Decimal(0), 0))
        if (got_amount, got_count) != (total.discount_amount, total.discount_count):
            problems.append(
                (
                    total.enterprise_key,
                    f"enterprise {total.enterprise_key}: the source has {total.discount_count} "
                    f"discounts totalling {total.discount_amount}, landing {got_count} totalling "
                    f"{got_amount}",
                )
            )
    for key, (amount, count) in landed.items():
        problems.append(
            (key, f"enterprise {key}: landed {count} discounts ({amount}), source none")
        )
    unexplained = [message for key, message in problems if key not in explained]
    if unexplained and not unattributable:
        raise LandingMismatch(
            "landing does not match the source's control totals: " + "; ".join(unexplained[:10])
        )
    if problems:
        log.warning(
            "landing differs from the source's totals where rows were rejected at landing: %s",
            [message for _, message in problems[:10]],
        )
