"""lcm_ingest: extract the sources and land them in lcm_raw, hourly or as soon as an Open edX
event arrives. Wiring only: the work is ``lcm_etl.tasks.ingest``."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    dag,
    task,
)
from airflow.sdk.exceptions import AirflowFailException

from lcm_etl import tasks
from lcm_etl.settings import ConfigError

EVENT_BUS = Asset(name=tasks.EVENT_ASSET_NAME, uri=tasks.EVENT_ASSET_URI)
LANDING = Asset(name=tasks.LANDING_ASSET_NAME, uri=tasks.LANDING_ASSET_URI)

DOC = """
### lcm_ingest — extract and land

Reads ecommerce offers, orders, discounts and refunds into `lcm_raw` (one transaction, under the
pipeline's advisory lock), then updates the **lcm_landing** asset, which schedules `lcm_publish`.

**When:** every hour at :00 UTC (incremental; the run of `LCM_FULL_PASS_HOUR_UTC` re-reads
everything) **or** as soon as the event consumer (`lcm-etl consume-events`) posts an event on the
**lcm_event_bus** asset — then only the enterprises named in the events' `extra`
(`{"enterprise_uuids": [...]}`) are re-read (a targeted ingest), and published in the same
task (`LCM_EVENT_PUBLISH_IN_INGEST`, on by default: one scheduler hop and one task start-up fewer
between the event and the page; the `lcm_publish` run that follows then skips).

**Manual runs:** params `mode` (auto | full | incremental | targeted) and `enterprise_uuids`.

**Settings:** `LCM_*` environment variables of the worker (see `.env.example`).

#### Owner
lcm-etl team
"""


@dag(
    dag_id="lcm_ingest",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 * * * *", timezone="UTC"), assets=[EVENT_BUS]
    ),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=tasks.DAG_DEFAULT_ARGS,
    tags=["lcm", "ingest"],
    doc_md=DOC,
    params={
        "mode": Param("auto", enum=list(tasks.PARAM_MODES), description="Manual runs only."),
        "enterprise_uuids": Param(
            [], type="array", items={"type": "string"}, description="Targeted manual runs."
        ),
    },
)
def lcm_ingest() -> None:
    @task(outlets=[LANDING])
    def ingest(
        params: dict[str, Any] | None = None,
        dag_run: Any = None,
        triggering_asset_events: Any = None,
        logical_date: Any = None,
        outlet_events: Any = None,
    ) -> dict[str, Any]:
        extras = [
            dict(event.extra or {})
            for events in (triggering_asset_events or {}).values()
            for event in events
        ]
        try:
            summary = tasks.ingest(
                run_type=dag_run.run_type if dag_run else "manual",
                asset_event_extras=extras,
                params=params,
                logical_date=logical_date,
            )
        except (tasks.BadRunRequest, ConfigError) as exc:  # no retry can fix these
            raise AirflowFailException(str(exc)) from exc
        outlet_events[LANDING].extra = {
            "trigger": summary["trigger"],
            "ingest_run_id": summary["run_id"],
            "published": "published_run_id" in summary,
        }
        return summary

    ingest()


lcm_ingest()
