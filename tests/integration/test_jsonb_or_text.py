"""lcm.jsonb_or_text: ledger metadata as JSON when it parses, else as a JSON string.

It replaced ``pg_input_is_valid`` (PostgreSQL 16 only), which failed every ledger publish on the
PostgreSQL 15 the read model supports; the function needs nothing newer than 15.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"source": "bulk"}', {"source": "bulk"}),
        ("[1, 2]", [1, 2]),
        ("not json {", "not json {"),
        ("", ""),
        (None, None),
    ],
)
def test_metadata_is_json_when_it_parses_else_a_string(
    engine: Engine, value: str | None, expected: object
) -> None:
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT lcm.jsonb_or_text(CAST(:value AS text))"), {"value": value}
        ).scalar_one()
    assert got == expected


def test_the_ledger_transform_needs_no_postgresql_16_function() -> None:
    from lcm_etl import sqlfiles

    assert "pg_input_is_valid" not in sqlfiles.load("transform/budget_transaction.sql")
