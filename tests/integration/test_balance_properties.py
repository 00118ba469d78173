"""Property tests: for generated offers and spend, the published balances follow the rules."""

from __future__ import annotations

import itertools
import uuid
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lcm_etl import pipeline
from lcm_etl.schema import offer_summary

from support.sourcebuilder import SourceBuilder

ENTERPRISE = uuid.UUID("00000000-0000-4000-8000-0000000000ff")
cents = st.integers(min_value=0, max_value=300_000).map(lambda c: Decimal(c) / 100)
caps = st.one_of(
    st.none(), st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c) / 100)
)
orders = st.lists(
    st.tuples(st.lists(cents, min_size=1, max_size=3), cents, st.booleans()),
    max_size=5,
)
_examples = itertools.count()


def expected_summary(cap: Decimal | None, spent: Decimal, refunded: Decimal) -> dict[str, object]:
    """The balance rules (docs/architecture.md, "Rules of computation"), written out plainly."""
    net = spent - refunded
    if cap is None:
        return {
            "amount_of_offer_spent": net,
            "remaining_balance": None,
            "percent_of_offer_spent": None,
            "redeemed_funds": net,
            "remaining_funds": None,
            "percent_utilized": None,
            "balance_state": "uncapped",
        }
    remaining = cap - net
    percent = (net / cap).quantize(Decimal("0.000001"), ROUND_HALF_UP) if cap > 0 else None
    state = "depleted" if remaining <= 100 else ("low" if net > Decimal("0.75") * cap else "ok")
    return {
        "amount_of_offer_spent": net,
        "remaining_balance": remaining,
        "percent_of_offer_spent": percent,
        "redeemed_funds": min(net, cap),
        "remaining_funds": max(remaining, Decimal(0)),
        "percent_utilized": None if percent is None else min(percent, Decimal(1)),
        "balance_state": state,
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cap=caps, order_specs=orders)
def test_published_balances_follow_the_rules(
    make_settings, engine, tmp_path, cap, order_specs
) -> None:
    source = f"sqlite:///{tmp_path / f'source-{next(_examples)}.sqlite'}"
    builder = SourceBuilder(source)
    offer = builder.offer(ENTERPRISE, name="Prop", max_discount=cap, offer_id=1)
    spent = refunded = Decimal(0)
    for index, (prices, amount, refund) in enumerate(order_specs):
        lines = [(f"course-v1:edX+C{i}+2026", price, Decimal(0)) for i, price in enumerate(prices)]
        made = builder.order(offer, f"learner{index}@prop.example", lines, amount=amount)
        spent += amount
        if refund:
            builder.refund(made["order_id"], made["line_ids"])
            refunded += amount
    settings_ = make_settings(ecommerce_database_url=source)
    pipeline.run_pass(settings_, mode="full", trigger="manual")
    builder.engine.dispose()

    expected = expected_summary(cap, spent, refunded)
    with engine.connect() as conn:
        row = conn.execute(select(offer_summary).where(offer_summary.c.offer_id == 1)).one()
    got = {name: getattr(row, name) for name in expected}
    assert got == expected
    assert row.amount_spent == spent
    assert row.amount_refunded == refunded
