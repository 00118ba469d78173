"""The balance-state rule has one SQL definition, ``lcm.balance_state`` (migration 0006), which
the publish uses; the request-time rule in Python (``queries.balance.balance_state``) must give
the same state for every offer and every pair of thresholds."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from lcm_etl.queries.balance import Thresholds, balance_state

CASE = text(
    "SELECT lcm.balance_state(CAST(:cap AS numeric), CAST(:spent AS numeric), "
    "CAST(:fraction AS numeric), CAST(:amount AS numeric))"
)
money = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False)
caps = st.one_of(st.none(), money)
# Settings allow a fraction strictly between 0 and 1 and a non-negative amount.
fractions = st.decimals(
    min_value=Decimal("0.000001"), max_value=Decimal("0.999999"), places=6, allow_nan=False
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cap=caps, spent=money, fraction=fractions, amount=money)
# On each threshold: spent exactly at the fraction of the cap (not low), remaining exactly at the
# amount (depleted); just past the fraction by less than a rounded percentage shows.
@example(
    cap=Decimal("1000.00"), spent=Decimal("750.00"), fraction=Decimal("0.75"), amount=Decimal(0)
)
@example(
    cap=Decimal("1000.00"), spent=Decimal("900.00"), fraction=Decimal("0.75"), amount=Decimal(100)
)
@example(
    cap=Decimal("10000000.00"),
    spent=Decimal("7500000.01"),
    fraction=Decimal("0.75"),
    amount=Decimal(100),
)
@example(cap=Decimal(0), spent=Decimal(0), fraction=Decimal("0.75"), amount=Decimal(0))
def test_the_sql_function_gives_the_python_rule(
    engine: Engine, cap: Decimal | None, spent: Decimal, fraction: Decimal, amount: Decimal
) -> None:
    with engine.connect() as conn:
        in_sql = conn.execute(
            CASE, {"cap": cap, "spent": spent, "fraction": fraction, "amount": amount}
        ).scalar_one()
    assert in_sql == balance_state(cap, spent, Thresholds(fraction, amount))
