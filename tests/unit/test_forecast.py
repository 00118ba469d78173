"""The depletion forecast's rules on hand-worked cases (docs/forecast.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from lcm_etl.forecast import depletion_forecast, window_start

AS_OF = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("remaining", "net", "expires", "status", "rate", "day"),
    [
        # $300 net in 30 days = $10/day; $700 left lasts 70 days: 2026-06-10 06:00 + 70 d.
        (D("700"), D("300"), LATE, "projected", 10.0, "2026-08-19"),
        # The same money with the plan ending before then: it outlasts the plan.
        (D("700"), D("300"), dt.datetime(2026, 7, 1, tzinfo=dt.UTC), "after_expiry", 10.0, None),
        # Ends the very day the plan does: still projected.
        (
            D("700"),
            D("300"),
            dt.datetime(2026, 8, 19, 23, 0, tzinfo=dt.UTC),
            "projected",
            10.0,
            "2026-08-19",
        ),
        # Nothing spent (or refunds outweigh spend) in the window: no forecast.
        (D("700"), D("0"), LATE, "no_recent_spend", None, None),
        (D("700"), D("-50"), LATE, "no_recent_spend", None, None),
        # Nothing left (an overspent offer's remaining balance is negative): depleted.
        (D("0"), D("300"), LATE, "depleted", 10.0, None),
        (D("-12.50"), D("300"), LATE, "depleted", 10.0, None),
        # Uncapped offer: nothing to run out of.
        (None, D("300"), LATE, "uncapped", None, None),
        # No end date: no expiry check.
        (D("1"), D("3"), None, "projected", 0.1, "2026-06-20"),
    ],
)
def test_forecast_cases(remaining, net, expires, status, rate, day) -> None:
    answer = depletion_forecast(
        remaining=remaining, net_spend_in_window=net, as_of=AS_OF, expires=expires
    ).as_json()
    assert answer["status"] == status
    assert answer["daily_net_spend"] == rate
    assert answer["projected_depletion_date"] == day
    assert answer["method"] == "trailing_30_day_net_spend"
    assert answer["window_days"] == 30


def test_the_window_is_thirty_utc_days_ending_on_the_data_day() -> None:
    assert window_start(AS_OF) == dt.date(2026, 5, 12)
    late_evening_elsewhere = dt.datetime(
        2026, 6, 10, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert window_start(late_evening_elsewhere) == dt.date(2026, 5, 13)  # 04:30 UTC on the 11th
