"""What the consumer does once a batch of events has landed: refresh the enterprises they touch.

- With Airflow configured (``LCM_AIRFLOW_API_URL`` + token): one asset event on the event asset,
  ``extra = {"enterprise_uuids": [...]}``; the ingest DAG, scheduled hourly *or* on that asset,
  does a targeted ingest and the publish and alert DAGs follow.
- Without Airflow: a targeted pass right here (``pipeline.run_pass(mode="targeted")``), then the
  balance-alert check, so the page is fresh within seconds.
- When some event's learner could not be resolved (no LMS source), an incremental pass instead:
  it picks up every change, whoever it belongs to.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Protocol

from lcm_etl.modes import Mode
from lcm_etl.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)


class RefreshFailed(RuntimeError):
    """The refresh did not happen; the events stay unprocessed and the next batch retries them."""


class Refresher(Protocol):
    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        """Refresh; return how (stored in ``event_bus_event.refresh``), or raise RefreshFailed."""
        ...

    def close(self) -> None: ...


class PipelineRefresher:
    """Runs the pass in-process (the embedded default and the benchmark)."""

    def __init__(self, settings: Settings, *, check_alerts: bool = True) -> None:
        self._settings = settings
        self._check_alerts = check_alerts
        # One engine for every pass of this (long-running) consumer: its sessions stay open
        # between events, so a pass starts no new database connection.
        self._engine: Engine | None = None

    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        from lcm_etl import pipeline
        from lcm_etl.db import LockTimeout, pipeline_engine

        mode: Mode = "incremental" if incremental else "targeted"
        try:
            if self._engine is None:
                self._engine = pipeline_engine(self._settings)
            pipeline.run_pass(
                self._settings,
                mode=mode,
                trigger="event",
                enterprise_uuids=() if incremental else enterprise_uuids,
                engine=self._engine,
            )
        except (pipeline.PassFailed, LockTimeout) as exc:
            raise RefreshFailed(str(exc)) from exc
        if self._check_alerts:
            self._alerts()
        return f"{mode}_pass"

    def _alerts(self) -> None:
        from lcm_etl import alerts

        try:
            alerts.run(self._settings)
        # The refresh itself succeeded; an alert problem (SMTP down…) is retried by the next check
        # and must not make the consumer redo the pass.
        except Exception:
            log.exception("balance-alert check after the event-driven pass failed")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class AirflowRefresher:
    """Posts one asset event on the ingest DAG's event asset."""

    def __init__(self, settings: Settings) -> None:
        from lcm_etl.events.airflow_api import AirflowAssetClient

        assert settings.airflow_api_url
        assert settings.airflow_api_token
        self._client = AirflowAssetClient(settings.airflow_api_url, settings.airflow_api_token)

    def refresh(self, enterprise_uuids: tuple[uuid.UUID, ...], *, incremental: bool) -> str:
        from lcm_etl.events.airflow_api import AirflowApiError
        from lcm_etl.tasks import EVENT_ASSET_NAME

        extra = {
            "mode": "incremental" if incremental else "targeted",
            "enterprise_uuids": [] if incremental else [str(u) for u in enterprise_uuids],
        }
        try:
            self._client.post_asset_event(EVENT_ASSET_NAME, extra)
        except AirflowApiError as exc:
            raise RefreshFailed(str(exc)) from exc
        return "asset_event"

    def close(self) -> None:
        self._client.close()


def refresher_for(settings: Settings) -> Refresher:
    if settings.airflow_api_url and settings.airflow_api_token:
        return AirflowRefresher(settings)
    return PipelineRefresher(settings)
