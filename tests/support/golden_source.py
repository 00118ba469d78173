"""The hand-made ecommerce source behind the golden tests: one small enterprise per rule.

Every number the read model must show for it is worked out by hand in ``tests/fixtures/golden/``
(the expected files say how). The same builder fills SQLite, PostgreSQL or the real MariaDB DDL.
"""

from __future__ import annotations

import uuid
from decimal import Decimal as D

from sqlalchemy import text
from sqlalchemy.engine import URL

from support.sourcebuilder import SourceBuilder

SEVENTY_FIVE = uuid.UUID("00000000-0000-4000-8000-000000000075")  # exactly 75 % spent: ok
HUNDRED_LEFT = uuid.UUID("00000000-0000-4000-8000-000000000100")  # exactly $100 left: depleted
OVERSPENT = uuid.UUID("00000000-0000-4000-8000-000000000110")  # 110 % spent: depleted, clamped
LOW = uuid.UUID("00000000-0000-4000-8000-000000000080")  # 80 % spent, $200 left: low
UNCAPPED = uuid.UUID("00000000-0000-4000-8000-00000000000c")  # no max_discount
REFUNDS = uuid.UUID("00000000-0000-4000-8000-0000000000ef")  # partial/full/denied refunds, pending
HALF_PRICE = uuid.UUID("00000000-0000-4000-8000-000000000050")  # 50 % percentage offer
PER_USER = uuid.UUID("00000000-0000-4000-8000-0000000000aa")  # per-user cap: not FCFS
BAD_DATES = uuid.UUID("00000000-0000-4000-8000-0000000000bd")  # offer ends before it starts

LINE = ("course-v1:edX+DemoX+2026", D("1000.00"), D("0.00"))


def build(url: str | URL, *, create: bool = True) -> SourceBuilder:
    b = SourceBuilder(url, create=create)

    a = b.offer(SEVENTY_FIVE, name="Seventy Five", max_discount=D("4000.00"), offer_id=101)
    b.order(a, "ada@seventy.example", [("course-v1:edX+DemoX+2026", D("3000.00"), D("0.00"))])

    h = b.offer(HUNDRED_LEFT, name="Hundred", max_discount=D("1000.00"), offer_id=102)
    b.order(h, "bo@hundred.example", [("course-v1:edX+DemoX+2026", D("900.00"), D("0.00"))])

    o = b.offer(OVERSPENT, name="Over", max_discount=D("1000.00"), offer_id=103)
    b.order(o, "cy@over.example", [("course-v1:edX+DemoX+2026", D("600.00"), D("0.00"))])
    b.order(o, "di@over.example", [("course-v1:MITx+6.00x+2026", D("500.00"), D("0.00"))])

    low = b.offer(LOW, name="Low", max_discount=D("1000.00"), offer_id=104)
    b.order(low, "ed@low.example", [("course-v1:edX+DemoX+2026", D("800.00"), D("0.00"))])
    # A discount with no amount: rejected, nothing counted.
    if b.engine.dialect.name != "mysql":  # the real DDL has amount NOT NULL
        b.order(low, "fi@low.example", [LINE], null_amount=True, placed="2026-03-02 10:00:00")

    u = b.offer(UNCAPPED, name="Uncapped", max_discount=None, offer_id=105)
    b.order(u, "gu@uncapped.example", [("course-v1:edX+DemoX+2026", D("300.00"), D("0.00"))])
    # A conflicting duplicate: a second discount for the same (order, offer), different amount.
    b.order(
        u,
        "ha@uncapped.example",
        [("course-v1:edX+DemoX+2026", D("50.00"), D("0.00"))],
        extra_discounts=[(u, D("20.00"))],
        placed="2026-03-03 10:00:00",
    )

    f = b.offer(
        REFUNDS,
        name="Refunds",
        max_discount=D("10000.00"),
        offer_id=106,
        # ecommerce's own counter: 850 redeemed − the 150 full refund (partial ones never credited)
        total_discount=D("700.00"),
    )
    multi = b.order(
        f,
        "io@refunds.example",
        [
            ("course-v1:edX+X+2026", D("200.00"), D("0.00")),
            ("course-v1:edX+Y+2026", D("300.00"), D("0.00")),
        ],
        placed="2026-02-01 09:00:00",
    )
    b.refund(multi["order_id"], [multi["line_ids"][1]], when="2026-02-10 12:00:00")  # partial
    single = b.order(
        f,
        "jo@refunds.example",
        [("course-v1:edX+Z+2026", D("150.00"), D("0.00"))],
        placed="2026-02-02 09:00:00",
    )
    b.refund(single["order_id"], single["line_ids"], when="2026-02-11 12:00:00")  # full
    b.order(
        f,
        "ka@refunds.example",
        [
            ("course-v1:edX+P+2026", D("100.00"), D("0.00")),
            ("course-v1:edX+Q+2026", D("100.00"), D("0.00")),
            ("course-v1:edX+R+2026", D("100.00"), D("0.00")),
        ],
        amount=D("100.00"),  # 100 over three equal lines: 33.33 + 33.33 + 33.34
        placed="2026-02-03 09:00:00",
    )
    denied = b.order(
        f,
        "lu@refunds.example",
        [("course-v1:edX+Z+2026", D("100.00"), D("0.00"))],
        placed="2026-02-04 09:00:00",
    )
    b.refund(denied["order_id"], denied["line_ids"], status="Denied", when="2026-02-12 12:00:00")
    b.order(
        f,
        "mo@refunds.example",
        [("course-v1:edX+Z+2026", D("700.00"), D("0.00"))],
        status="Pending",
        placed="2026-02-05 09:00:00",
    )
    b.order(
        f, "ne@refunds.example", [LINE], amount=D("-50.00"), placed="2026-02-06 09:00:00"
    )  # negative amount: rejected, and the reconciliation accounts for it

    half = b.offer(
        HALF_PRICE, name="Half Price", value=D("50"), max_discount=D("5000.00"), offer_id=107
    )
    b.order(half, "ol@half.example", [("course-v1:edX+DemoX+2026", D("400.00"), D("200.00"))])

    per_user = b.offer(PER_USER, name="Per User", max_user_discount=D("500.00"), offer_id=108)
    b.order(per_user, "pa@peruser.example", [("course-v1:edX+DemoX+2026", D("250.00"), D("0.00"))])

    bad_dates = b.offer(
        BAD_DATES,
        name="Bad Dates",
        start="2026-05-01 00:00:00",
        end="2026-04-01 00:00:00",
        offer_id=109,
    )
    b.order(bad_dates, "qi@baddates.example", [("course-v1:edX+DemoX+2026", D("75.00"), D("0.00"))])

    # Offers that are not usable learner credit.
    no_uuid = b.offer(None, name="No Uuid", offer_id=110)
    b.order(no_uuid, "ra@nouuid.example", [LINE])
    b.offer("not-a-uuid", name="Bad Uuid", offer_id=111)

    # Bad lines: no product at all; a product that names no course. Each spoils its order.
    b.order(a, "sa@seventy.example", [("", D("100.00"), D("0.00"))], placed="2026-03-04 10:00:00")
    no_course = b.order(a, "ti@seventy.example", [LINE], placed="2026-03-05 10:00:00")
    _point_line_at_courseless_product(b, no_course["line_ids"][0])

    # A discount for an offer the source no longer has (deleted).
    b.order(None, "uo@ghost.example", [LINE], extra_discounts=[(99_999, D("1000.00"))])

    # Not learner credit, must be ignored (not rejected): a plain Site offer and an enterprise
    # coupon (Voucher offer).
    plain = b.offer(None, name="Plain", proxy_class=None, offer_id=112)
    b.order(plain, "va@plain.example", [LINE])
    coupon = b.offer(LOW, name="Coupon", offer_type="Voucher", offer_id=113)
    b.order(coupon, "wu@coupon.example", [LINE])

    # Unreadable source values (only a source with loose typing can hold them).
    if b.engine.dialect.name == "sqlite":
        unreadable = b.order(
            low, "xe@low.example", [LINE], amount=D("1.00"), placed="2026-03-06 10:00:00"
        )
        with b.engine.begin() as conn:
            conn.execute(
                text("UPDATE order_order SET date_placed = 'yesterday' WHERE id = :id"),
                {"id": unreadable["order_id"]},
            )
    return b


def _point_line_at_courseless_product(b: SourceBuilder, line_id: int) -> None:
    product = b.bare_product(None)
    with b.engine.begin() as conn:
        conn.execute(
            text("UPDATE order_line SET product_id = :p WHERE id = :l"),
            {"p": product, "l": line_id},
        )
