"""Django REST framework's page-number pagination, reproduced for the compatible endpoints.

Parsing follows DRF exactly, so clients see the same behaviour as with the real services:
- ``page``: 1-based, or ``last``; anything else — not an integer, below 1, past the end — is
  404 ``{"detail": "Invalid page."}`` (DRF's ``NotFound``). An empty list still has page 1.
- ``page_size``: a positive integer, capped at the endpoint's maximum; a value that is not a
  positive integer falls back to the default size (DRF's ``_positive_int(strict=True)``).

One difference: DRF builds ``next``/``previous`` from the request's ``Host`` header, which the
client chooses (a poisoned cache or a proxy would hand those links to others). Here they start
with ``LCM_PUBLIC_BASE_URL`` when it is set, and are relative (path and query) otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from lcm_etl.api.deps import api_state
from lcm_etl.queries import InvalidPage, Page, PageRequest

INVALID_PAGE = "Invalid page."


def page_request(
    page: str | None, page_size: str | None, *, default_size: int, max_size: int
) -> PageRequest:
    number: int | str
    if page is None or page == "":
        number = 1
    elif page == "last":
        number = "last"
    elif re.fullmatch(r"[0-9]{1,12}", page.strip()):
        number = int(page.strip())
    else:
        raise InvalidPage(page)
    size = default_size
    if page_size is not None and re.fullmatch(r"\s*[0-9]{1,12}\s*", page_size):
        wanted = int(page_size)
        if wanted > 0:
            size = min(wanted, max_size)
    return PageRequest("last" if number == "last" else int(number), size)


def _link(request: Request, number: int) -> str:
    # DRF drops the page parameter for the first page.
    if number == 1:
        url = request.url.remove_query_params("page")
    else:
        url = request.url.include_query_params(page=number)
    relative = f"{url.path}?{url.query}" if url.query else url.path
    base = api_state(request).settings.public_base_url
    return f"{base}{relative}" if base else relative


def next_link(request: Request, page: Page) -> str | None:
    return _link(request, page.number + 1) if page.has_next else None


def previous_link(request: Request, page: Page) -> str | None:
    return _link(request, page.number - 1) if page.has_previous else None


def analytics_envelope(request: Request, page: Page) -> dict[str, Any]:
    """edx-drf-extensions ``DefaultPagination``: the analytics API's envelope."""
    return {
        "next": next_link(request, page),
        "previous": previous_link(request, page),
        "count": page.count,
        "num_pages": page.num_pages,
        "current_page": page.number,
        "start": page.start,
        "results": page.results,
    }


def drf_envelope(request: Request, page: Page) -> dict[str, Any]:
    """DRF ``PageNumberPagination``: ecommerce's envelope."""
    return {
        "count": page.count,
        "next": next_link(request, page),
        "previous": previous_link(request, page),
        "results": page.results,
    }
