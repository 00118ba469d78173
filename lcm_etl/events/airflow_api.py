"""Airflow 3's REST API, the part the consumer needs: turn "these enterprises changed" into an asset
event that schedules the ingest DAG (``POST /api/v2/assets/events``).

The asset id is looked up by name (``GET /api/v2/assets?name_pattern=…``) once and cached.
Transient failures (connection errors, 5xx, 429) are retried with exponential backoff; a 4xx is
a configuration error (wrong token, DAG not deployed) and fails at once with a readable message.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)


class AirflowApiError(RuntimeError):
    """Airflow refused the request or stayed unreachable; the message says which."""


class _Transient(AirflowApiError):
    pass


class AirflowAssetClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_seconds: float = 10.0,
        attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout_seconds,
            transport=transport,
        )
        self._attempts = attempts
        self._asset_ids: dict[str, int] = {}

    def close(self) -> None:
        self._client.close()

    def asset_id(self, name: str) -> int:
        if name not in self._asset_ids:
            answer = self._request("GET", "/api/v2/assets", params={"name_pattern": name})
            ids = [a["id"] for a in answer.get("assets", []) if a.get("name") == name]
            if not ids:
                raise AirflowApiError(
                    f"Airflow knows no asset named {name!r}: is the lcm_ingest DAG deployed "
                    "and parsed?"
                )
            self._asset_ids[name] = int(ids[0])
        return self._asset_ids[name]

    def post_asset_event(self, name: str, extra: dict[str, Any]) -> dict[str, Any]:
        body = {"asset_id": self.asset_id(name), "extra": extra}
        return self._request("POST", "/api/v2/assets/events", json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        @retry(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.2, max=5),
            reraise=True,
        )
        def attempt() -> dict[str, Any]:
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise _Transient(f"{method} {path}: Airflow is unreachable ({exc!r})") from None
            if response.status_code >= 500 or response.status_code == 429:
                raise _Transient(f"{method} {path}: Airflow answered {response.status_code}")
            if response.status_code >= 400:
                raise AirflowApiError(
                    f"{method} {path}: Airflow answered {response.status_code}: "
                    f"{response.text[:300]}"
                )
            payload = response.json()
            if not isinstance(payload, dict):
                raise AirflowApiError(f"{method} {path}: Airflow answered a non-object JSON body")
            return payload

        return attempt()
