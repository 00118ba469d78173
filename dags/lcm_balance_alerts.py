"""lcm_balance_alerts: notify offer admins once per balance_state transition (low, depleted, back to
ok) after each publish. Wiring only: the work is ``lcm_etl.tasks.balance_alerts``."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowFailException

from lcm_etl import tasks
from lcm_etl.settings import ConfigError

READ_MODEL = Asset(name=tasks.READ_MODEL_ASSET_NAME, uri=tasks.READ_MODEL_ASSET_URI)

DOC = """
### lcm_balance_alerts — low / no balance notifications

Compares each offer's `balance_state` in `lcm.offer_summary` with the last one seen
(`lcm.offer_balance_state`). A move to **low**, to **depleted**, or from those **back to ok**
(top-up) is recorded once in `lcm.balance_alert` and delivered by `LCM_NOTIFIER`: `smtp` (to the
offer's `emails_for_usage_alert`, like ecommerce's usage emails), `webhook` (JSON POST to
`LCM_WEBHOOK_URL`) or `none` (recorded only). Failed deliveries stay pending and are retried by
the next run; delivered ones are never sent again.

**When:** each time the **lcm_read_model** asset is updated.

#### Owner
lcm-etl team
"""


@dag(
    dag_id="lcm_balance_alerts",
    schedule=[READ_MODEL],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=tasks.DAG_DEFAULT_ARGS,
    tags=["lcm", "alerts"],
    doc_md=DOC,
)
def lcm_balance_alerts() -> None:
    @task
    def notify() -> dict[str, Any]:
        try:
            return tasks.balance_alerts()
        except ConfigError as exc:  # no retry can fix a bad setting
            raise AirflowFailException(str(exc)) from exc

    notify()


lcm_balance_alerts()
