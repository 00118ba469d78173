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

from lcm_etl import sqlfiles
from lcm_etl.schema import rejected_record

log = logging.getLogger(__name__)


class LandingMismatch(RuntimeError):
    """A full ingest landed rows that do not add up to the source's own totals."""


@dataclasses.dataclass
class ControlTotal:
    """What the source itself says an enterprise spent: Σ discount amounts of Complete orders."""

    enterprise_key: str
    discount_amount: Decimal
    discount_count: int


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
