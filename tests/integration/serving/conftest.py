"""Fixtures for the serving tests: a read-model row writer and API clients bound to the test's
own migrated database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lcm_etl.api import create_app
from lcm_etl.settings import Settings

from .serving_support import SECRET, ReadModel


@pytest.fixture
def read_model(engine: Engine) -> ReadModel:
    return ReadModel(engine)


@pytest.fixture
def api_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"api_auth": "jwt", "jwt_secret": SECRET}
        values.update(overrides)
        return make_settings(**values)

    return factory


@pytest.fixture
def client(api_settings: Callable[..., Settings], engine: Engine) -> Iterator[TestClient]:
    """An API client with HS256 JWT auth on; requests need a token (see ``admin_of``)."""
    with TestClient(create_app(api_settings(), engine=engine)) as test_client:
        yield test_client
