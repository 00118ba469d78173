"""lcm_publish: transform, reconcile and publish the read model whenever new data has landed.
Wiring only: the work is ``lcm_etl.tasks.publish``."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowFailException

from lcm_etl import tasks
from lcm_etl.settings import ConfigError

LANDING = Asset(name=tasks.LANDING_ASSET_NAME, uri=tasks.LANDING_ASSET_URI)
READ_MODEL = Asset(name=tasks.READ_MODEL_ASSET_NAME, uri=tasks.READ_MODEL_ASSET_URI)

DOC = """
### lcm_publish — transform, reconcile, publish

Runs the `sql/` transforms over what `lcm_ingest` landed, reconciles source discounts against the
read model per enterprise, and publishes `lcm.*` in one transaction (readers never see a half
state), under the pipeline's advisory lock. Then updates the **lcm_read_model** asset, which
schedules `lcm_balance_alerts`.

**When:** each time the **lcm_landing** asset is updated (several updates before a run starts
coalesce into one run).

#### Owner
lcm-etl team
"""


@dag(
    dag_id="lcm_publish",
    schedule=[LANDING],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=tasks.DAG_DEFAULT_ARGS,
    tags=["lcm", "publish"],
    doc_md=DOC,
)
def lcm_publish() -> None:
    @task(outlets=[READ_MODEL])
    def publish(dag_run: Any = None, triggering_asset_events: Any = None) -> dict[str, Any]:
        extras = [
            dict(event.extra or {})
            for events in (triggering_asset_events or {}).values()
            for event in events
        ]
        try:
            return tasks.publish(
                run_type=dag_run.run_type if dag_run else "manual", asset_event_extras=extras
            )
        except ConfigError as exc:  # no retry can fix a bad setting
            raise AirflowFailException(str(exc)) from exc

    publish()


lcm_publish()
