"""The attack suite: each class of attempt an outside tester made, kept as parametrized tests.

The API fixtures are the serving tests' own (a migrated database per test, a read-model row
writer, an HS256 client), re-exported here so both suites build them the same way.
"""

from __future__ import annotations

from integration.serving.conftest import api_settings, client, read_model

__all__ = ["api_settings", "client", "read_model"]
