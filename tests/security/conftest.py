"""The attack suite: each class of attempt an outside tester made, kept as parametrized tests.

The API fixtures are the serving tests' own (a migrated database per test, a read-model row
writer, an HS256 client) and the event-bus fixtures the consumer tests' own, re-exported here so
both suites build them the same way. Their modules are imported as pytest imports them, from
``tests/integration`` (on the path here too, when this suite runs alone).
"""

from __future__ import annotations

import sys
from pathlib import Path

INTEGRATION = str(Path(__file__).resolve().parent.parent / "integration")
if INTEGRATION not in sys.path:
    sys.path.insert(0, INTEGRATION)

from serving.conftest import api_settings, client, read_model  # noqa: E402

__all__ = ["api_settings", "client", "read_model"]
