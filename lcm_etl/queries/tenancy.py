"""Connections and tenancy: the API's read-only transaction as ``lcm_portal`` under row-level
security, and what the run log says about freshness."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    any_,
    func,
    or_,
    select,
    text,
)

from lcm_etl.schema import offer_summary, pipeline_run

PORTAL_ROLE = "lcm_portal"
TENANT_SETTING = "lcm.enterprise_uuid"
# A request never needs more; a runaway query must not hold a connection.
STATEMENT_TIMEOUT = "30s"
# The enrollments answers filter by text a tenant admin types (search, search_course): however
# costly the pattern, one statement of theirs gives up long before the API's own limit. (A
# streamed CSV's rows come in FETCHes from a cursor, each a statement of its own.)
ENROLLMENTS_STATEMENT_TIMEOUT = "5s"
# A request's statements are index lookups of milliseconds, but PostgreSQL prices some above
# jit_above_cost (the search function counts as 1,000 rows: a course-title search's seek branch,
# never run, was priced at 180,000 at scale L) and then compiled them: 63 of the 65 ms of such a
# page (docs/serving.md). Off in the tenant transaction.
JIT = "off"


@contextlib.contextmanager
def tenant_transaction(
    engine: Engine, enterprise_uuid: uuid.UUID | None, *, statement_timeout: str = STATEMENT_TIMEOUT
) -> Iterator[Connection]:
    """A read-only transaction as ``lcm_portal``, which row-level security limits to one tenant.

    ``SET LOCAL`` and ``set_config(…, true)`` end with the transaction, so a pooled connection
    never carries a role or a tenant into the next request. ``enterprise_uuid=None`` sets no
    tenant: the tenant tables then read as empty (for answers that need none, like /healthz).
    """
    with engine.connect() as conn:
        # One read-only snapshot per request: a page's count and rows, or a streamed CSV and its
        # data_as_of, never straddle a publish. Both options reset when the connection returns.
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            # SET LOCAL ROLE, SET LOCAL statement_timeout and the tenant, in one round trip.
            conn.execute(
                text(
                    "SELECT set_config('role', :role, true), "
                    "set_config('statement_timeout', :timeout, true), "
                    f"set_config('jit', '{JIT}', true), "
                    "set_config(:tenant_setting, :tenant, true)"
                ),
                {
                    "role": PORTAL_ROLE,
                    "timeout": statement_timeout,
                    "tenant_setting": TENANT_SETTING,
                    "tenant": "" if enterprise_uuid is None else str(enterprise_uuid),
                },
            )
            yield conn


@contextlib.contextmanager
def reading(bind: Engine | Connection) -> Iterator[Connection]:
    """Use a caller's connection as is, or open a read-only snapshot transaction on an engine
    (as the engine's own user: the CLI's way; the API passes a tenant transaction)."""
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def enterprise_data_as_of(conn: Connection, enterprise_uuid: uuid.UUID) -> dt.datetime | None:
    """When the enterprise's data was last known current.

    The newest of its offer rows' ``data_as_of`` and the last successful publish that covered it
    (every full or incremental publish covers all enterprises; a targeted one only those listed),
    so an enterprise whose rows did not change in the last pass still shows that pass's time.
    """
    value: dt.datetime | None = conn.execute(data_as_of_query(enterprise_uuid)).scalar_one()
    return value


def data_as_of_query(enterprise: uuid.UUID | ColumnElement[Any]) -> Select[Any]:
    """``enterprise_data_as_of``'s query, for a value or a bound parameter."""
    rows = select(func.max(offer_summary.c.data_as_of)).where(
        offer_summary.c.enterprise_customer_uuid == enterprise
    )
    runs = select(func.max(pipeline_run.c.data_as_of)).where(
        pipeline_run.c.stage == "publish",
        pipeline_run.c.status == "succeeded",
        or_(
            pipeline_run.c.mode != "targeted",
            any_(pipeline_run.c.enterprise_uuids) == enterprise,
        ),
    )
    return select(func.greatest(rows.scalar_subquery(), runs.scalar_subquery()))


@dataclasses.dataclass(frozen=True)
class PublishInfo:
    run_id: int
    finished_at: dt.datetime
    data_as_of: dt.datetime | None


def last_successful_publish(bind: Engine | Connection) -> PublishInfo | None:
    """The newest succeeded publish in the run log (what /healthz reports)."""
    query = (
        select(pipeline_run.c.run_id, pipeline_run.c.finished_at, pipeline_run.c.data_as_of)
        .where(
            pipeline_run.c.stage == "publish",
            pipeline_run.c.status == "succeeded",
            pipeline_run.c.finished_at.is_not(None),
        )
        .order_by(pipeline_run.c.finished_at.desc(), pipeline_run.c.run_id.desc())
        .limit(1)
    )
    with reading(bind) as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return PublishInfo(row.run_id, row.finished_at, row.data_as_of)
