"""A transaction's ``transaction_status_api_url`` is enterprise-subsidy's: ``urljoin`` of its own
address (``LCM_ENTERPRISE_SUBSIDY_URL``) and the absolute path ``/api/v1/transactions/<uuid>/``."""

from __future__ import annotations

import uuid

import pytest

from lcm_etl.queries.budgets import transaction_status_api_url

KEY = "f0e1d2c3-b4a5-4968-8776-655443322110"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://subsidy.example.com", f"https://subsidy.example.com/api/v1/transactions/{KEY}/"),
        ("https://subsidy.example.com/", f"https://subsidy.example.com/api/v1/transactions/{KEY}/"),
        # An absolute path replaces the address's path, as the service's urljoin does.
        ("https://example.com/subsidy/", f"https://example.com/api/v1/transactions/{KEY}/"),
        ("http://localhost:18280", f"http://localhost:18280/api/v1/transactions/{KEY}/"),
    ],
)
def test_the_status_url_joins_as_the_service_does(base: str, expected: str) -> None:
    assert transaction_status_api_url(base, uuid.UUID(KEY)) == expected


def test_no_subsidy_address_no_status_url() -> None:
    assert transaction_status_api_url(None, uuid.UUID(KEY)) is None
