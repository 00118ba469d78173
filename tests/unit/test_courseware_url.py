"""A transaction's ``courseware_url`` is enterprise-subsidy's: ``urljoin`` of the learning MFE's
address (``LCM_FRONTEND_APP_LEARNING_URL``) and ``course/<content_key>/home``."""

from __future__ import annotations

import pytest

from lcm_etl.queries.budgets import courseware_url

KEY = "course-v1:edX+DemoX+2T2026"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://learning.example.com", f"https://learning.example.com/course/{KEY}/home"),
        ("https://learning.example.com/", f"https://learning.example.com/course/{KEY}/home"),
        # urljoin, as the service: a base path without a trailing slash loses its last segment.
        ("https://example.com/learning", f"https://example.com/course/{KEY}/home"),
        ("https://example.com/learning/", f"https://example.com/learning/course/{KEY}/home"),
        ("http://localhost:2000", f"http://localhost:2000/course/{KEY}/home"),
    ],
)
def test_the_courseware_url_joins_as_the_service_does(base: str, expected: str) -> None:
    assert courseware_url(base, KEY) == expected


def test_a_transaction_without_content_gets_the_services_text() -> None:
    # f"course/{obj.content_key}/home" with content_key None (a deposit).
    assert courseware_url("https://l.example.com", None) == "https://l.example.com/course/None/home"


def test_no_learning_url_no_courseware_url() -> None:
    assert courseware_url(None, KEY) is None
