"""The bench's arithmetic: latency percentiles and the page-vs-baseline comparison."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lcm_etl.bench.api import answer_differences
from lcm_etl.bench.load import summarize
from lcm_etl.bench.sources import BenchError

latencies = st.lists(
    st.floats(min_value=1e-5, max_value=10.0, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=500,
)


@given(latencies, st.integers(min_value=1, max_value=64), st.floats(min_value=0.01, max_value=1e3))
def test_percentiles_are_ordered_within_the_samples(
    samples: list[float], clients: int, seconds: float
) -> None:
    result = summarize(samples, clients, seconds)

    tolerance = 1e-9
    assert min(samples) * 1000 - tolerance <= result.p50_ms
    assert result.p50_ms <= result.p95_ms + tolerance
    assert result.p95_ms <= result.p99_ms + tolerance
    assert result.p99_ms <= result.max_ms + tolerance
    assert result.max_ms == max(samples) * 1000
    assert result.requests == len(samples)
    assert result.requests_per_second == pytest.approx(len(samples) / seconds)


def test_percentiles_of_known_samples() -> None:
    # 1..100 ms: the inclusive method interpolates between neighbours.
    result = summarize([n / 1000 for n in range(1, 101)], 1, 1.0)

    assert result.p50_ms == pytest.approx(50.5)
    assert result.p95_ms == pytest.approx(95.05)
    assert result.p99_ms == pytest.approx(99.01)
    assert result.as_json()["requests_per_second"] == 100.0


def test_one_sample_is_not_a_measurement() -> None:
    with pytest.raises(BenchError, match="at least two"):
        summarize([0.001], 1, 1.0)


PAGE: dict[str, Any] = {
    "enterprise_customer_uuid": "a11ce000-0000-4000-8000-000000000001",
    "enterprise_name": "Acme",
    "eligible": True,
    "reasons": [],
    "lcm_offer_id": "7",
    "offers": [
        {"offer_id": "7", "summary": {"redeemed_funds": 850.0, "enrollment_count": 3}},
        {"offer_id": "9", "summary": {"redeemed_funds": 10.0, "enrollment_count": 1}},
    ],
    "data_as_of": "2026-11-01T00:00:00Z",
}


def test_identical_answers_have_no_difference_whatever_their_freshness() -> None:
    baseline = copy.deepcopy(PAGE)
    baseline["data_as_of"] = "2026-11-01T00:00:05Z"

    assert answer_differences(PAGE, baseline) == []


def test_a_different_summary_is_named_with_its_offer_and_field() -> None:
    baseline = copy.deepcopy(PAGE)
    baseline["offers"][1]["summary"]["redeemed_funds"] = 12.0

    (difference,) = answer_differences(PAGE, baseline)

    assert difference.startswith("offer 9: summary")
    assert "10.0" in difference
    assert "12.0" in difference


def test_missing_offers_and_other_fields_are_differences() -> None:
    baseline = copy.deepcopy(PAGE)
    baseline["offers"].pop()
    baseline["eligible"] = False

    found = answer_differences(PAGE, baseline)

    assert "eligible: page True != baseline False" in found
    assert "offers: page ['7', '9'] != baseline ['7']" in found
