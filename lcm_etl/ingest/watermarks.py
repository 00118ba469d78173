"""The watermark store, ``lcm_raw.watermark``: one row per (source, source table) an ingest marks.

A row says how far an incremental read of the table got (kind ``id`` or ``modified``, with the
value), or, kind ``full``, only that the table was read (the publish takes a fact as known only
when the tables giving it are marked). Marks are written in the ingest's transaction, so a mark
only ever moves together with the rows it describes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lcm_etl.schema import watermark

MarkKind = Literal["id", "modified", "full"]


@dataclasses.dataclass(frozen=True)
class Mark:
    """One table's mark: the highest id read, the newest modification time read, or (``full``)
    only that the table was read whole."""

    kind: MarkKind
    id_value: int | None = None
    time_value: dt.datetime | None = None


def load(conn: Connection, source: str) -> dict[str, Mark]:
    """The marks of ``source``'s tables, by source table."""
    rows = conn.execute(select(watermark).where(watermark.c.source == source))
    return {
        row.source_table: Mark(row.kind, id_value=row.id_value, time_value=row.time_value)
        for row in rows
    }


def save(conn: Connection, run_id: int, source: str, marks: Mapping[str, Mark]) -> None:
    """Insert or move the marks of ``source``'s tables (in the caller's transaction)."""
    if not marks:
        return
    rows = [
        {
            "source": source,
            "source_table": source_table,
            "kind": mark.kind,
            "id_value": mark.id_value,
            "time_value": mark.time_value,
            "run_id": run_id,
        }
        for source_table, mark in marks.items()
    ]
    statement = pg_insert(watermark).values(rows)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "source_table"],
            set_={
                "kind": statement.excluded.kind,
                "id_value": statement.excluded.id_value,
                "time_value": statement.excluded.time_value,
                "run_id": statement.excluded.run_id,
                "updated_at": func.now(),
            },
        )
    )


def forget(conn: Connection, source: str, source_tables: Iterable[str]) -> None:
    """Remove the marks of tables that were not read: their facts become unknown, and the next
    pass that can read them reads them from scratch."""
    tables = sorted(set(source_tables))
    if tables:
        conn.execute(
            delete(watermark).where(
                watermark.c.source == source, watermark.c.source_table.in_(tables)
            )
        )


def iso(value: dt.datetime | None) -> str | None:
    """A mark's time as the run log shows it (ISO 8601), or None."""
    return value.isoformat() if value else None
