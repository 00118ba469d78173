"""`lcm-etl bench-freshness --scale S` end to end: the cached demo source, a fresh read model,
single rounds and a burst round (correctness and counts only, never times)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import redis

from lcm_etl.bench import freshness_scale
from lcm_etl.settings import Settings

REDIS_URL = os.environ.get("LCM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_bench_freshness_at_scale_s_with_a_burst(make_settings: Any, tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings: Settings = make_settings(event_bus_redis_url=REDIS_URL, event_bus_block_ms=50)

    report = freshness_scale.run_scale(
        settings, "S", rounds=2, burst_events=40, burst_enterprises=8
    )

    assert report["source_rows"]["order_orderdiscount"] > 4_000
    rounds = report["single"]["rounds"]
    assert [float(r["redeemed_after"]) - float(r["redeemed_before"]) for r in rounds] == [10, 10]
    burst = report["burst"]
    assert (burst["events"], burst["enterprises"]) == (40, 8)
    # Coalesced: the consumer never refreshes per event (40) or per enterprise (8).
    assert 1 <= burst["passes"] <= 3
    assert burst["incremental_passes"] == 0
    assert burst["p50_seconds"] <= burst["p95_seconds"] <= burst["max_seconds"]
