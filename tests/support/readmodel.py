"""Helpers to look at the published read model in tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from lcm_etl.schema import offer_redemption, offer_summary, offer_utilization_daily, rejected_record

# Columns that describe the run rather than the data: excluded when comparing two read models.
RUN_COLUMNS = {"data_as_of"}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model table as sorted tuples, without per-run columns."""
    tables = {}
    with engine.connect() as conn:
        for table in (offer_summary, offer_redemption, offer_utilization_daily):
            columns = [c for c in table.columns if c.name not in RUN_COLUMNS]
            rows = conn.execute(select(*columns)).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
        open_rejections = conn.execute(
            select(
                rejected_record.c.source_table,
                rejected_record.c.natural_key,
                rejected_record.c.reason,
                rejected_record.c.amount,
            ).where(rejected_record.c.resolved_at.is_(None))
        ).all()
        tables["rejected_record"] = sorted((tuple(r) for r in open_rejections), key=repr)
    return tables


def as_text(value: Any) -> str:
    """Render a value the way the golden CSV files write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # a finite number
        if value == value.to_integral_value() and exponent < -2:
            return str(value.quantize(Decimal(1)))
        text = str(value)
        if "." in text and exponent < -2:
            text = text.rstrip("0").rstrip(".")
        return text
    return str(value)
