"""End to end: the demo source (scale S) through a full pipeline pass into the read model, then
the learner-credit page — from the query module and over HTTP — for the low-balance showcase."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from lcm_etl import demo, pipeline, queries
from lcm_etl.api import create_app

from .serving_support import admin_of


def test_low_balance_showcase_from_source_to_api(api_settings, engine, sqlite_source_url) -> None:
    demo.generate(sqlite_source_url.render_as_string(), seed=7, scale="S", replace=True)
    settings = api_settings(ecommerce_database_url=sqlite_source_url.render_as_string())
    result = pipeline.run_pass(settings, mode="full", trigger="manual")
    assert result.publish.status == "succeeded"

    customer = uuid.UUID(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
    answer = queries.learner_credit_page(engine, customer, settings=settings)
    assert answer is not None
    assert answer["enterprise_name"] == "Acme Corp"
    assert answer["eligible"] is True
    shown = next(o for o in answer["offers"] if o["offer_id"] == answer["lcm_offer_id"])
    assert shown["summary"]["balance_state"] == "low"
    assert shown["alerts"] == [{"kind": "low_balance", "dismissible": True}]
    assert answer["data_as_of"] is not None

    with TestClient(create_app(settings, engine=engine)) as client:
        response = client.get(
            f"/api/v1/enterprises/{customer}/learner-credit", headers=admin_of(customer)
        )
        assert response.status_code == 200
        assert response.json() == answer
        health = client.get("/healthz").json()
        assert health["status"] == "ok"
        assert health["last_publish_run_id"] == result.publish.run_id
        # The enrollment table of the same offer matches the summary's enrollment count.
        table = client.get(
            f"/enterprise/api/v1/enterprise/{customer}/enrollments/",
            params={"offer_id": shown["offer_id"], "page_size": 1},
            headers=admin_of(customer),
        ).json()
        assert table["count"] >= shown["summary"]["enrollment_count"]
