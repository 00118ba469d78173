"""``/metrics``: requests counted per route template (never per enterprise), and the read model's
freshness and row counts read from the run log, before and after a pipeline pass."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL

from lcm_etl import demo, pipeline
from lcm_etl.api import create_app
from lcm_etl.schema import pipeline_run
from lcm_etl.settings import Settings

from .serving_support import ACME, GLOBEX, ReadModel, admin_of

PAGE = "/api/v1/enterprises/{enterprise_uuid}/learner-credit"
OFFERS = "/enterprise/api/v1/enterprise/{enterprise_uuid}/offers/"


def scrape(client: TestClient) -> tuple[str, list[Sample]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = [s for f in text_string_to_metric_families(response.text) for s in f.samples]
    return response.text, samples


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) <= 1
    return found[0] if found else None


def test_requests_are_counted_per_route_template_never_per_enterprise(
    client: TestClient, read_model: ReadModel
) -> None:
    for enterprise in (ACME, GLOBEX):
        read_model.offer(enterprise)
        for _ in range(2):
            response = client.get(PAGE.format(enterprise_uuid=enterprise), **_as(enterprise))
            assert response.status_code == 200
    assert client.get(OFFERS.format(enterprise_uuid=ACME), **_as(ACME)).status_code == 200
    # Another tenant's page (403), a malformed UUID (400), an unknown path (404).
    assert client.get(PAGE.format(enterprise_uuid=GLOBEX), **_as(ACME)).status_code == 403
    assert client.get(PAGE.format(enterprise_uuid="not-a-uuid"), **_as(ACME)).status_code == 400
    assert client.get(f"/no/such/{ACME}").status_code == 404

    text, samples = scrape(client)
    for enterprise in (ACME, GLOBEX):
        assert str(enterprise) not in text
        assert enterprise.hex not in text
    assert "not-a-uuid" not in text
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in samples
        if s.name == "lcm_api_requests_total" and s.labels["method"] == "GET"
    }
    assert requests == {
        (PAGE, "200"): 4,
        (OFFERS, "200"): 1,
        (PAGE, "403"): 1,
        (PAGE, "400"): 1,
        ("unmatched", "404"): 1,
    }
    assert value(samples, "lcm_api_request_duration_seconds_count", method="GET", route=PAGE) == 6
    duration = value(samples, "lcm_api_request_duration_seconds_sum", method="GET", route=PAGE)
    assert duration is not None
    assert duration > 0


def _as(enterprise: uuid.UUID) -> dict[str, dict[str, str]]:
    return {"headers": admin_of(enterprise)}


def test_freshness_and_row_counts_before_and_after_a_pass(
    api_settings: Callable[..., Settings], engine: Engine, sqlite_source_url: URL
) -> None:
    demo.generate(sqlite_source_url.render_as_string(), seed=7, scale="S", replace=True)
    settings = api_settings(ecommerce_database_url=sqlite_source_url.render_as_string())
    with TestClient(create_app(settings, engine=engine)) as client:
        _, before = scrape(client)
        assert value(before, "lcm_read_model_up") == 1
        assert value(before, "lcm_read_model_age_seconds") == math.inf
        assert value(before, "lcm_read_model_last_publish_seconds") is None
        assert value(before, "lcm_last_pass_extracted_rows") is None
        assert value(before, "lcm_last_pass_published_rows") is None
        # The API reads the primary here: no replica, no lag series (tests/integration/replica).
        assert value(before, "lcm_read_database_is_replica") == 0
        assert value(before, "lcm_read_replica_lag_seconds") is None

        result = pipeline.run_pass(settings, mode="full", trigger="manual")
        assert result.publish.status == "succeeded"
        _, after = scrape(client)

    with engine.connect() as conn:
        runs = {
            row.stage: row
            for row in conn.execute(
                select(pipeline_run.c.stage, pipeline_run.c.counts, pipeline_run.c.finished_at)
            )
        }
    publish, ingest = runs["publish"], runs["ingest"]
    assert value(after, "lcm_read_model_last_publish_seconds") == (publish.finished_at.timestamp())
    age = value(after, "lcm_read_model_age_seconds")
    assert age is not None
    assert 0 <= age < math.inf
    assert value(after, "lcm_last_pass_extracted_rows") == ingest.counts["extracted"] > 0
    assert value(after, "lcm_last_pass_published_rows") == publish.counts["published"] > 0
    assert value(after, "lcm_last_pass_rejected_rows", stage="ingest") == ingest.counts["rejected"]
    assert (
        value(after, "lcm_last_pass_rejected_rows", stage="publish") == (publish.counts["rejected"])
    )
    assert value(after, "lcm_pipeline_failed_runs_total", stage="publish", reason="other") == 0


def test_a_failed_reconciliation_is_counted_as_such(client: TestClient, engine: Engine) -> None:
    def failed(stage: str, error: str) -> dict[str, str]:
        return {
            "stage": stage,
            "trigger": "schedule",
            "mode": "full",
            "status": "failed",
            "error": error,
        }

    with engine.begin() as conn:
        conn.execute(
            pipeline_run.insert(),
            [
                failed("publish", "ReconciliationError: offer 8812: read model 300.00, source 310"),
                failed("ingest", "LandingMismatch: enterprise 0a9a: landed 3 discounts, source 4"),
                failed("publish", "OperationalError: server closed the connection unexpectedly"),
            ],
        )
    _, samples = scrape(client)
    failures = {
        (s.labels["stage"], s.labels["reason"]): s.value
        for s in samples
        if s.name == "lcm_pipeline_failed_runs_total"
    }
    assert failures == {
        ("publish", "reconciliation"): 1,
        ("publish", "other"): 1,
        ("ingest", "reconciliation"): 1,
        ("ingest", "other"): 0,
    }


def test_a_read_model_that_does_not_answer_is_reported_not_raised(
    api_settings: Callable[..., Settings], pg_admin_url: URL
) -> None:
    from lcm_etl.db import make_engine

    gone = make_engine(pg_admin_url.set(database=f"lcm_missing_{uuid.uuid4().hex[:8]}"))
    try:
        with TestClient(create_app(api_settings(), engine=gone)) as client:
            _, samples = scrape(client)
    finally:
        gone.dispose()
    assert value(samples, "lcm_read_model_up") == 0
    assert value(samples, "lcm_read_model_age_seconds") is None
