"""Landing batches: the fast path, its fallbacks, idempotent upserts, rejected rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from lcm_etl.ingest.ecommerce import DISCOUNTS, ORDERS
from lcm_etl.ingest.land import Lander, record_rejections
from lcm_etl.schema import raw_discount, raw_order, rejected_record

GOOD_ORDER = (1, "EDX-100001", "Complete", "USD", 0.0, 0.0, "2026-03-01 10:00:00.000000", 7, 1)


def order(order_id: int, **changes: object) -> tuple[object, ...]:
    row = dict(zip(ORDERS.columns, GOOD_ORDER, strict=True))
    row.update({"id": order_id, "number": f"EDX-{100000 + order_id}", **changes})
    return tuple(row[c] for c in ORDERS.columns)


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize(
    ("bad_change", "why"),
    [
        ({"date_placed": "yesterday"}, "date_placed"),  # Postgres would read it as a date!
        ({"date_placed": "2026-13-01 10:00:00"}, "date_placed"),  # passes the shape check only
        ({"total_incl_tax": float("nan")}, "total_incl_tax"),  # numeric would store NaN
        ({"user_id": 2**40}, "user_id"),  # too big for an integer column
        ({"number": None}, "number"),  # NULL where a value is required
        ({"status": "Comp\x00lete"}, "status"),  # a NUL byte Postgres cannot store
        ({"total_excl_tax": "abc"}, "total_excl_tax"),
    ],
)
def test_one_bad_row_is_rejected_and_the_rest_of_the_batch_lands(
    engine, full, bad_change, why
) -> None:
    with engine.begin() as conn:
        lander = Lander(conn, run_id=1, full=full)
        if full:
            lander.truncate([ORDERS])
        rows = [order(1), order(2, **bad_change), order(3)]
        lander.land(ORDERS, rows)
        record_rejections(conn, lander.rejections, 1)
    with engine.connect() as conn:
        landed = conn.execute(select(raw_order.c.id).order_by(raw_order.c.id)).scalars().all()
        rejected = conn.execute(select(rejected_record)).one()
    assert landed == [1, 3]
    assert (rejected.source_table, rejected.natural_key, rejected.reason) == (
        "order_order",
        "2",
        "unreadable_value",
    )
    assert why in rejected.detail


def test_landing_the_same_rows_again_changes_nothing_and_a_changed_row_is_marked(engine) -> None:
    rows = [order(1), order(2), order(3)]
    with engine.begin() as conn:
        assert Lander(conn, run_id=1, full=False).land(ORDERS, rows) == 3
    with engine.begin() as conn:
        assert Lander(conn, run_id=2, full=False).land(ORDERS, rows) == 0
    with engine.begin() as conn:
        changed = [order(1), order(2, status="Refunded"), order(3), order(2, status="Refunded")]
        assert Lander(conn, run_id=3, full=False).land(ORDERS, changed) == 1
    with engine.connect() as conn:
        marks = dict(conn.execute(select(raw_order.c.id, raw_order.c.landed_run_id)).all())
    assert marks == {1: 1, 2: 3, 3: 1}


def test_sqlite_floats_land_as_exact_cents(engine) -> None:
    discount = (9, 1, 101, "", None, "", "Basket", 1, 13.37)
    with engine.begin() as conn:
        Lander(conn, run_id=1, full=False).land(DISCOUNTS, [discount])
    with engine.connect() as conn:
        amount = conn.execute(select(raw_discount.c.amount)).scalar_one()
    assert amount == Decimal("13.37")
