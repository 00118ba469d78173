"""Publish: compute the read model from ``lcm_raw`` with ``sql/transform`` and apply it.

A publish recomputes what changed since the landing it last consumed (or everything, after a full
ingest): the redemptions of the orders in scope, then the summaries and daily rows of the offers
in scope. New rows are computed into temporary tables and *merged*: rows that disappeared are
deleted, changed ones rewritten, identical ones left untouched — so publishing the same landing
twice writes nothing and leaves the read model identical. Everything runs in the caller's
transaction; readers see the previous read model until it commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Connection, Table, text

from lcm_etl import sqlfiles
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.schema import (
    enterprise_eligibility,
    offer_redemption,
    offer_summary,
    offer_utilization_daily,
)
from lcm_etl.settings import Settings


class ReconciliationError(RuntimeError):
    """The read model does not add up to the landed source; the publish must not commit."""

    def __init__(self, mismatches: list[dict[str, Any]]) -> None:
        self.mismatches = mismatches
        lines = [
            (
                f"enterprise {m['enterprise_customer_uuid']}: landed spend {m['landed_spend']} − "
                f"rejected {m['rejected_spend']} ≠ redeemed {m['redeemed_gross']} "
                f"(summaries: gross {m['summary_gross']}, refunded {m['summary_refunded']}, "
                f"net {m['summary_net']}; redemptions refunded {m['redeemed_refunded']})"
            )
            for m in mismatches[:10]
        ]
        more = f" (and {len(mismatches) - 10} more)" if len(mismatches) > 10 else ""
        super().__init__(
            f"reconciliation failed for {len(mismatches)} enterprise(s){more}: " + "; ".join(lines)
        )


@dataclasses.dataclass(frozen=True)
class PublishOutcome:
    full: bool
    scope_orders: int
    scope_offers: int
    redemptions_written: int
    redemptions_deleted: int
    summaries_written: int
    daily_written: int
    rejected: int
    enterprises: int
    eligibility_written: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "scope_orders": self.scope_orders,
            "scope_offers": self.scope_offers,
            "published": self.redemptions_written + self.summaries_written + self.daily_written,
            "redemptions_written": self.redemptions_written,
            "redemptions_deleted": self.redemptions_deleted,
            "summaries_written": self.summaries_written,
            "daily_written": self.daily_written,
            "rejected": self.rejected,
            "enterprises": self.enterprises,
            "eligibility_written": self.eligibility_written,
        }


#: A temporary table up to this many rows gets no index: the planner hashes or scans so few rows
#: at no cost, and a targeted publish's small tables would otherwise cost as many catalog-writing
#: statements. (Every one is ANALYZEd, even an empty one: without statistics the planner takes
#: a never-analyzed table for ten pages of rows and may scan a landing table whole to join it.)
SMALL_TEMP_TABLE_ROWS = 500


def _temp_table(
    conn: Connection, name: str, sql_file: str, params: dict[str, Any] | None = None
) -> int:
    """Materialize ``sql/<sql_file>`` as temporary table ``name`` (a fixed identifier), once per
    publish transaction (ON COMMIT DROP ends it with the transaction, committed or not)."""
    result = conn.execute(
        text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {sqlfiles.load(sql_file)}"), params or {}
    )
    conn.execute(text(f"ANALYZE {name}"))
    return int(result.rowcount)


def _index(conn: Connection, rows: int, ddl: str) -> None:
    """``CREATE [UNIQUE] INDEX`` on a temporary table of ``rows`` rows, unless it is small."""
    if rows > SMALL_TEMP_TABLE_ROWS:
        conn.execute(text(ddl))


def configure_session(conn: Connection, settings: Settings) -> None:
    """The publish transaction's planner and memory settings (``SET LOCAL``: they end with it)."""
    memory = f"{settings.transform_work_mem_mb}MB"
    conn.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": memory})
    # The publish's temporary tables hold every redemption on a full pass; with the default
    # 8 MB of temp_buffers they would be written out to disk and read back at every step.
    # (Settable only before a session's first temporary table; each stage has its own.)
    conn.execute(text("SELECT set_config('temp_buffers', :value, true)"), {"value": memory})
    # JIT compiles each big-looking query for about a second; an incremental publish is
    # dozens of queries that touch few rows, and even a full one gains little from it.
    conn.execute(text("SET LOCAL jit = off"))
    conn.execute(
        text("SELECT set_config('random_page_cost', :value, true)"),
        {"value": str(settings.transform_random_page_cost)},
    )


def merge(
    conn: Connection,
    target: Table,
    source: str,
    *,
    scope: str | None,
    using: str | None = None,
) -> tuple[int, int]:
    """Make ``target`` hold exactly ``source``'s rows within ``scope``; return (written, deleted).

    ``scope`` is a SQL predicate on the target alias ``t`` selecting the rows ``source`` replaces
    (None: the whole table), optionally over a table joined in with ``using`` (``DELETE …
    USING``: a join the planner may drive from a small scope table into the target's index,
    where an ``EXISTS`` was planned as a walk through the whole target). Identical rows are not
    rewritten.
    """
    key = [c.name for c in target.primary_key.columns]
    values = [c.name for c in target.columns if c.name not in key]
    columns = ", ".join(c.name for c in target.columns)
    key_match = " AND ".join(f"n.{k} = t.{k}" for k in key)
    where_scope = f"({scope}) AND " if scope else ""
    joined = f" USING {using}" if using else ""
    # Identifiers come from Table metadata and code constants, never from input.
    deleted = conn.execute(
        text(
            f"DELETE FROM {target.fullname} AS t{joined} WHERE {where_scope}"  # noqa: S608
            f"NOT EXISTS (SELECT 1 FROM {source} AS n WHERE {key_match})"
        )
    ).rowcount
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in values)
    written = conn.execute(
        text(
            f"INSERT INTO {target.fullname} AS t ({columns}) SELECT {columns} FROM {source} "  # noqa: S608
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments} WHERE {changed}"
        )
    ).rowcount
    return int(written), int(deleted)


def publish_read_model(
    conn: Connection,
    *,
    settings: Settings,
    full: bool,
    since_landing_run: int,
    run_id: int,
    data_as_of: dt.datetime,
    progress: ProgressReporter | None = None,
) -> PublishOutcome:
    """Recompute and merge the read model for what changed after ``since_landing_run``."""
    progress = progress or NullProgress()
    scope_params = {"since_run": -1 if full else since_landing_run, "full": full}

    with progress.step("transform learner-credit offers"):
        offers = _temp_table(conn, "lc_offer", "transform/lc_offer.sql")
        _index(conn, offers, "CREATE UNIQUE INDEX ON lc_offer (offer_id)")
        # Issue 3: whose learner emails may be shown (data-sharing consent); the redemptions
        # and the scope of an incremental publish read it.
        policies = _temp_table(
            conn,
            "email_policy",
            "transform/email_policy.sql",
            {"hide_unknown": settings.hide_emails_when_consent_unknown},
        )
        _index(conn, policies, "CREATE UNIQUE INDEX ON email_policy (enterprise_customer_uuid)")

    with progress.step("transform scope"):
        _temp_table(conn, "changed_offer", "transform/changed_offer.sql")
        if full:
            scope_orders = _temp_table(conn, "scope_order", "transform/scope_order_full.sql")
        else:
            _temp_table(conn, "email_changed_offer", "transform/email_changed_offer.sql")
            scope_orders = _temp_table(
                conn, "scope_order", "transform/scope_order_incremental.sql", scope_params
            )
        _index(conn, scope_orders, "CREATE UNIQUE INDEX ON scope_order (order_id)")

    with progress.step("transform order lines and discounts"):
        lines = _temp_table(conn, "scoped_line", "transform/scoped_line.sql", {"full": full})
        _index(conn, lines, "CREATE INDEX ON scoped_line (order_id)")
        discounts = _temp_table(
            conn, "scoped_discount", "transform/scoped_discount.sql", {"full": full}
        )
        _index(conn, discounts, "CREATE INDEX ON scoped_discount (order_id)")

    with progress.step("publish lcm.offer_redemption", total=None) as tracker:
        _temp_table(conn, "new_offer_redemption", "transform/offer_redemption.sql")
        _temp_table(conn, "old_redemption", "transform/old_redemption.sql", {"full": full})
        scope_offers = _temp_table(conn, "scope_offer", "transform/scope_offer.sql", scope_params)
        _index(conn, scope_offers, "CREATE UNIQUE INDEX ON scope_offer (offer_id)")
        if not full:
            _temp_table(conn, "summary_before", "reconcile/summary_before.sql")
        written, deleted = merge(
            conn,
            offer_redemption,
            "new_offer_redemption",
            scope=None if full else "t.order_id IN (SELECT order_id FROM scope_order)",
        )
        tracker.advance(written)

    thresholds = {
        "full": full,
        "low_balance_fraction": settings.low_balance_fraction,
        "no_balance_amount": settings.no_balance_amount,
        "data_as_of": data_as_of,
    }
    with progress.step("publish lcm.offer_summary") as tracker:
        _temp_table(conn, "new_offer_summary", "transform/offer_summary.sql", thresholds)
        summaries_written, _ = merge(
            conn,
            offer_summary,
            "new_offer_summary",
            scope=None if full else "t.offer_id IN (SELECT offer_id FROM scope_offer)",
        )
        _refresh_every_summary(conn, settings, data_as_of)
        tracker.advance(summaries_written)

    with progress.step("publish lcm.offer_utilization_daily") as tracker:
        _temp_table(conn, "new_offer_utilization_daily", "transform/offer_utilization_daily.sql")
        daily_written, _ = merge(
            conn,
            offer_utilization_daily,
            "new_offer_utilization_daily",
            scope=None if full else "s.offer_id = t.offer_id AND t.day >= s.start_day",
            using=None if full else "scope_offer AS s",
        )
        tracker.advance(daily_written)

    # Issue 3: one row per enterprise, recomputed whole each publish (one row per enterprise is
    # small); its "current" facts are as of data_as_of, so rows are rewritten when it moves.
    with progress.step("publish lcm.enterprise_eligibility") as tracker:
        _temp_table(
            conn,
            "new_enterprise_eligibility",
            "transform/enterprise_eligibility.sql",
            {"now": data_as_of},
        )
        eligibility_written, _ = merge(
            conn, enterprise_eligibility, "new_enterprise_eligibility", scope=None
        )
        tracker.advance(eligibility_written)

    with progress.step("record rejected rows") as tracker:
        rejected = _record_transform_rejections(conn, run_id=run_id, full=full)
        tracker.advance(rejected)

    with progress.step("reconcile read model"):
        enterprises = _reconcile(conn, full=full)

    return PublishOutcome(
        full=full,
        scope_orders=scope_orders,
        scope_offers=scope_offers,
        redemptions_written=written,
        redemptions_deleted=deleted,
        summaries_written=summaries_written,
        daily_written=daily_written,
        eligibility_written=eligibility_written,
        rejected=rejected,
        enterprises=enterprises,
    )


READ_MODEL_TABLES = (offer_redemption, offer_summary, offer_utilization_daily)


def vacuum_read_model(conn: Connection) -> None:
    """VACUUM ANALYZE the tables a full publish rewrote (on an autocommit connection, after the
    commit): fresh statistics make the next incremental publish plan its small joins as index
    lookups, and a set visibility map lets the enrollments count be an index-only scan."""
    for table in READ_MODEL_TABLES:
        conn.execute(text(f"VACUUM (ANALYZE) {table.fullname}"))


def _refresh_every_summary(conn: Connection, settings: Settings, data_as_of: dt.datetime) -> int:
    result = conn.execute(
        text(sqlfiles.load("transform/offer_summary_refresh.sql")),
        {
            "low_balance_fraction": settings.low_balance_fraction,
            "no_balance_amount": settings.no_balance_amount,
            "data_as_of": data_as_of,
        },
    )
    return int(result.rowcount)


def _record_transform_rejections(conn: Connection, *, run_id: int, full: bool) -> int:
    """Insert or refresh the rows this publish rejects; resolve earlier ones that now pass."""
    _temp_table(conn, "new_rejection", "transform/rejected_record.sql")
    count = conn.execute(
        text(sqlfiles.load("transform/rejected_record_upsert.sql")), {"run_id": run_id}
    ).rowcount
    conn.execute(text(sqlfiles.load("transform/rejected_record_resolve.sql")), {"full": full})
    return int(count)


def _reconcile(conn: Connection, *, full: bool) -> int:
    """Check the read model against the landed source; return how many enterprises were checked.

    A full publish checks every enterprise's whole history; an incremental one checks, per
    enterprise it touched, exactly what it recomputed (``reconcile/read_model_delta.sql``), so its
    cost follows the size of the change, not of the history.
    """
    if full:
        checked = _temp_table(conn, "scope_enterprise", "reconcile/scope_enterprise.sql")
        check = "reconcile/read_model.sql"
    else:
        checked = int(
            conn.execute(
                text("SELECT count(DISTINCT enterprise_customer_uuid) FROM scoped_discount")
            ).scalar_one()
        )
        check = "reconcile/read_model_delta.sql"
    mismatches = [dict(row._mapping) for row in conn.execute(text(sqlfiles.load(check)))]
    if mismatches:
        raise ReconciliationError(mismatches)
    return checked


__all__ = [
    "PublishOutcome",
    "ReconciliationError",
    "configure_session",
    "merge",
    "publish_read_model",
    "vacuum_read_model",
]
