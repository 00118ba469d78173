"""Extract learner-credit data from the ecommerce database and land it in ``lcm_raw``.

Reads with SQLAlchemy Core over untyped table clauses (the driver's own values, converted by
:mod:`lcm_etl.convert`), so the same code reads MariaDB/MySQL, PostgreSQL and SQLite sources.
Rows stream in batches of ``LCM_BATCH_SIZE``; memory stays bounded at any source size.

What is in scope: learner-credit offers (``offer_type='Site'`` with an enterprise condition), the
order discounts of those offers plus discounts whose offer no longer exists (kept so they can be
rejected, never silently dropped), their orders, lines, refunds, refund lines, the users who
placed them, and the products/courses the lines point at.

Watermarks, chosen per table from what the real schema offers:

=========================== ============================================================
offers, conditions, benefits full re-read every pass (small; no modification time, and a raised
                             ``max_discount`` must show up in the next pass)
order_orderdiscount         ``id`` (append-only), re-reading ``LCM_EXTRACT_ID_OVERLAP`` ids below
                             the mark because auto-increment ids commit out of order
order_order, order_line     no usable mark (order_order has no modification time): read the orders
                             of the discounts read in this pass, and re-read every landed order that
                             is not yet Complete, until it is
refund_refund               ``modified``, minus ``LCM_EXTRACT_TIME_OVERLAP_SECONDS``
refund_refundline           the lines of the refunds read in this pass
ecommerce_user              the users of the orders read in this pass (emails are refreshed there
                             and on every full pass)
catalogue_product           ``date_updated`` − overlap, plus every product a landed line needs
courses_course              ``modified`` − overlap, plus every course a landed product needs
=========================== ============================================================

The whole extraction reads one consistent snapshot of the source (REPEATABLE READ on MariaDB and
PostgreSQL, one read transaction on SQLite), so the control totals it reads at the end describe
exactly the rows it landed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.sql.expression import TableClause

from lcm_etl import convert, sqlfiles
from lcm_etl.db import ecommerce_source_url
from lcm_etl.ingest import extract, watermarks
from lcm_etl.ingest.base import IngestRun, SourceResult
from lcm_etl.ingest.control_totals import (
    ControlTotal,
    check_control_totals,
    source_control_totals,
)
from lcm_etl.ingest.land import (
    Lander,
    LandingTable,
    record_rejections,
    resolve_landing_rejections,
)
from lcm_etl.ingest.sources.ecommerce import ENTERPRISE_CONDITION
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.schema import (
    raw_benefit,
    raw_condition,
    raw_course,
    raw_discount,
    raw_line,
    raw_offer,
    raw_order,
    raw_product,
    raw_refund,
    raw_refund_line,
    raw_user,
)

SYSTEM = "ecommerce"
ID_CHUNK = 900  # ids per IN (...) list: below every engine's bound-parameter limit

OFFERS = LandingTable(SYSTEM, "offer_conditionaloffer", raw_offer)
CONDITIONS = LandingTable(SYSTEM, "offer_condition", raw_condition)
BENEFITS = LandingTable(SYSTEM, "offer_benefit", raw_benefit)
DISCOUNTS = LandingTable(
    SYSTEM, "order_orderdiscount", raw_discount, watermark="id", mark_column="id"
)
ORDERS = LandingTable(SYSTEM, "order_order", raw_order, watermark="referenced")
LINES = LandingTable(SYSTEM, "order_line", raw_line, watermark="referenced")
REFUNDS = LandingTable(
    SYSTEM, "refund_refund", raw_refund, watermark="modified", mark_column="modified"
)
REFUND_LINES = LandingTable(SYSTEM, "refund_refundline", raw_refund_line, watermark="referenced")
USERS = LandingTable(SYSTEM, "ecommerce_user", raw_user, watermark="referenced")
PRODUCTS = LandingTable(
    SYSTEM, "catalogue_product", raw_product, watermark="modified", mark_column="date_updated"
)
COURSES = LandingTable(
    SYSTEM, "courses_course", raw_course, watermark="modified", mark_column="modified"
)

ALL_TABLES = (
    OFFERS,
    CONDITIONS,
    BENEFITS,
    DISCOUNTS,
    ORDERS,
    LINES,
    REFUNDS,
    REFUND_LINES,
    USERS,
    PRODUCTS,
    COURSES,
)


def _clause(spec: LandingTable, alias: str | None = None) -> TableClause:
    """An untyped table clause over ``spec``'s source table (see :func:`extract.untyped`)."""
    return extract.untyped(spec.source_table, spec.columns, alias)


@dataclasses.dataclass
class Watermarks:
    """High-water marks carried from one ingest to the next (``lcm_raw.watermark``)."""

    discount_id: int | None = None
    refund_modified: dt.datetime | None = None
    product_updated: dt.datetime | None = None
    course_modified: dt.datetime | None = None

    #: The table each attribute marks.
    TABLES: ClassVar[dict[str, LandingTable]] = {
        "discount_id": DISCOUNTS,
        "refund_modified": REFUNDS,
        "product_updated": PRODUCTS,
        "course_modified": COURSES,
    }

    @classmethod
    def load(cls, conn: Connection) -> Watermarks:
        stored = watermarks.load(conn, SYSTEM)
        marks = cls()
        for attribute, spec in cls.TABLES.items():
            mark = stored.get(spec.source_table)
            if mark is not None:
                value = mark.id_value if spec.watermark == "id" else mark.time_value
                setattr(marks, attribute, value)
        return marks

    def save(self, conn: Connection, run_id: int) -> None:
        marks = {}
        for attribute, spec in self.TABLES.items():
            value = getattr(self, attribute)
            marks[spec.source_table] = (
                watermarks.Mark("id", id_value=value)
                if spec.watermark == "id"
                else watermarks.Mark("modified", time_value=value)
            )
        watermarks.save(conn, run_id, SYSTEM, marks)

    def as_json(self) -> dict[str, Any]:
        return {
            f"{spec.source_table}.{spec.mark_column}": getattr(self, attribute)
            if spec.watermark == "id"
            else watermarks.iso(getattr(self, attribute))
            for attribute, spec in self.TABLES.items()
        }


@dataclasses.dataclass
class EcommerceIngestResult:
    watermarks: Watermarks
    control_totals: list[ControlTotal] | None
    touched_offer_ids: set[int]


class EcommerceIngest:
    """One ingest of the ecommerce source, in one of three modes.

    ``full`` re-reads everything in scope; ``incremental`` reads what changed since ``previous``;
    ``targeted`` reads like incremental but only for ``enterprise_uuids`` and leaves the watermarks
    where they are (it read only part of the source).
    """

    def __init__(
        self,
        source: Connection,
        lander: Lander,
        *,
        mode: str,
        previous: Watermarks,
        enterprise_uuids: Sequence[uuid.UUID] = (),
        batch_size: int,
        id_overlap: int,
        time_overlap: dt.timedelta,
        pending_order_ids: Callable[[], list[int]],
        known_order_ids: Callable[[Iterable[Any]], Iterable[Any]] = lambda ids: (),
        progress: ProgressReporter | None = None,
    ) -> None:
        self.source = source
        self.lander = lander
        self.mode = mode
        self.previous = previous
        self.targets = list(enterprise_uuids)
        self.batch_size = batch_size
        self.id_overlap = id_overlap
        self.time_overlap = time_overlap
        self.pending_order_ids = pending_order_ids
        self.known_order_ids = known_order_ids
        self.progress = progress or NullProgress()
        self.marks = dataclasses.replace(previous)

        self.offer = _clause(OFFERS, "o")
        self.condition = _clause(CONDITIONS, "c")
        self.benefit = _clause(BENEFITS, "b")
        self.discount = _clause(DISCOUNTS, "d")
        self.order = _clause(ORDERS, "r")
        self.line = _clause(LINES, "l")
        self.refund = _clause(REFUNDS, "f")
        self.refund_line = _clause(REFUND_LINES, "fl")
        self.user = _clause(USERS, "u")
        self.product = _clause(PRODUCTS, "p")
        self.course = _clause(COURSES, "cr")

    # ---- scope ------------------------------------------------------------------------------

    def _enterprise_filter(self, condition: TableClause) -> ColumnElement[bool]:
        uuid_column = condition.c.enterprise_customer_uuid
        if self.mode == "targeted":
            forms = [u.hex for u in self.targets] + [str(u) for u in self.targets]
            return uuid_column.in_(forms)
        return or_(uuid_column.is_not(None), condition.c.proxy_class == ENTERPRISE_CONDITION)

    def learner_credit_offer_ids(self) -> Select[Any]:
        """Ids of learner-credit offers: Site offers whose condition names an enterprise."""
        o = _clause(OFFERS, "lc_o")
        c = _clause(CONDITIONS, "lc_c")
        return (
            select(o.c.id)
            .select_from(o.join(c, c.c.id == o.c.condition_id))
            .where(o.c.offer_type == "Site", self._enterprise_filter(c))
        )

    def discount_in_scope(self, d: TableClause) -> ColumnElement[bool]:
        """Discounts of learner-credit offers, plus (except in targeted passes) discounts whose
        offer the source no longer has: those are landed to be rejected, not ignored."""
        lc_offer = d.c.offer_id.in_(self.learner_credit_offer_ids())
        if self.mode == "targeted":
            return lc_offer
        known = _clause(OFFERS, "known_o")
        return or_(lc_offer, ~exists(select(literal(1)).where(known.c.id == d.c.offer_id)))

    def orders_in_scope(self) -> Select[Any]:
        d = _clause(DISCOUNTS, "scope_d")
        return select(d.c.order_id).where(self.discount_in_scope(d))

    # ---- plumbing ---------------------------------------------------------------------------

    def _batches(self, statement: Select[Any]) -> Iterator[Sequence[Sequence[Any]]]:
        return extract.batches(self.source, statement, self.batch_size)

    def _stream(
        self,
        spec: LandingTable,
        statement: Select[Any],
        track: Callable[[Sequence[Any]], None] | None = None,
    ) -> int:
        """Run one extraction query and land its rows batch by batch; return rows read."""
        read = 0
        with self.progress.step(f"extract {spec.source_table}") as tracker:
            for rows in self._batches(statement):
                if track is not None:
                    for row in rows:
                        track(row)
                self.lander.land(spec, rows)
                read += len(rows)
                tracker.advance(len(rows))
        return read

    def _by_ids(
        self,
        spec: LandingTable,
        clause: TableClause,
        id_column: str,
        ids: Iterable[Any],
        track: Callable[[Sequence[Any]], None] | None = None,
    ) -> None:
        ordered = sorted({i for i in ids if i is not None}, key=str)
        if not ordered:
            with self.progress.step(f"extract {spec.source_table}"):
                return
        with self.progress.step(f"extract {spec.source_table}", total=len(ordered)) as tracker:
            for start in range(0, len(ordered), ID_CHUNK):
                chunk = ordered[start : start + ID_CHUNK]
                statement = select(*clause.c).where(clause.c[id_column].in_(chunk))
                for rows in self._batches(statement):
                    if track is not None:
                        for row in rows:
                            track(row)
                    self.lander.land(spec, rows)
                tracker.advance(len(chunk))

    @staticmethod
    def _column_tracker(
        spec: LandingTable, name: str, into: set[Any]
    ) -> Callable[[Sequence[Any]], None]:
        index = spec.columns.index(name)

        def track(row: Sequence[Any]) -> None:
            into.add(row[index])

        return track

    def _max_tracker(
        self, spec: LandingTable, name: str, parse: Callable[[Any], Any], attribute: str
    ) -> Callable[[Sequence[Any]], None]:
        index = spec.columns.index(name)

        def track(row: Sequence[Any]) -> None:
            try:
                value = parse(row[index])
            except convert.BadValue:
                return
            current = getattr(self.marks, attribute)
            if value is not None and (current is None or value > current):
                setattr(self.marks, attribute, value)

        return track

    @staticmethod
    def _both(*trackers: Callable[[Sequence[Any]], None]) -> Callable[[Sequence[Any]], None]:
        def track(row: Sequence[Any]) -> None:
            for t in trackers:
                t(row)

        return track

    # ---- the pass ---------------------------------------------------------------------------

    def run(self) -> EcommerceIngestResult:
        if self.mode == "full":
            self.lander.truncate(ALL_TABLES)
            self.marks = Watermarks()
        touched_offers: set[int] = set()
        self._offers(touched_offers)
        if self.mode == "full":
            self._full_redemptions()
            control = source_control_totals(self.source, self.progress)
        else:
            self._incremental_redemptions()
            control = None
        if self.mode == "targeted":
            self.marks = dataclasses.replace(self.previous)
        return EcommerceIngestResult(self.marks, control, touched_offers)

    def _offers(self, touched: set[int]) -> None:
        o, c = self.offer, self.condition
        condition_ids: set[Any] = set()
        benefit_ids: set[Any] = set()
        statement = (
            select(*o.c)
            .select_from(o.join(c, c.c.id == o.c.condition_id))
            .where(o.c.offer_type == "Site", self._enterprise_filter(c))
        )
        self._stream(
            OFFERS,
            statement,
            self._both(
                self._column_tracker(OFFERS, "condition_id", condition_ids),
                self._column_tracker(OFFERS, "benefit_id", benefit_ids),
                self._column_tracker(OFFERS, "id", touched),
            ),
        )
        self._by_ids(CONDITIONS, self.condition, "id", condition_ids)
        self._by_ids(BENEFITS, self.benefit, "id", benefit_ids)

    def _full_redemptions(self) -> None:
        d, r, ln, f, fl = self.discount, self.order, self.line, self.refund, self.refund_line
        orders = self.orders_in_scope()
        self._stream(DISCOUNTS, select(*d.c).where(self.discount_in_scope(d)))
        self._stream(ORDERS, select(*r.c).where(r.c.id.in_(orders)))
        self._stream(LINES, select(*ln.c).where(ln.c.order_id.in_(orders)))
        self._stream(REFUNDS, select(*f.c).where(f.c.order_id.in_(orders)))
        scope_f = _clause(REFUNDS, "scope_f")
        refund_ids = select(scope_f.c.id).where(scope_f.c.order_id.in_(orders))
        self._stream(REFUND_LINES, select(*fl.c).where(fl.c.refund_id.in_(refund_ids)))
        scope_r = _clause(ORDERS, "scope_r")
        self._stream(
            USERS,
            select(*self.user.c).where(
                self.user.c.id.in_(select(scope_r.c.user_id).where(scope_r.c.id.in_(orders)))
            ),
        )
        # The catalogue and the courses are small next to the orders: read them whole.
        self._stream(PRODUCTS, select(*self.product.c))
        self._stream(COURSES, select(*self.course.c))
        # The marks of a full read are the maxima of what it landed (cheaper than tracking every
        # row in Python; a row rejected at landing is simply read again next time).
        landed = self.lander.connection.execute(
            text(sqlfiles.load("landing/ecommerce_watermarks.sql"))
        ).one()
        self.marks = Watermarks(**landed._asdict())

    def _incremental_redemptions(self) -> None:
        d, f = self.discount, self.refund
        order_ids: set[Any] = set()
        since_id = (self.previous.discount_id or 0) - self.id_overlap
        self._stream(
            DISCOUNTS,
            select(*d.c).where(d.c.id > since_id, self.discount_in_scope(d)),
            self._both(
                self._column_tracker(DISCOUNTS, "order_id", order_ids),
                self._max_tracker(DISCOUNTS, "id", convert.to_int, "discount_id"),
            ),
        )
        order_ids.update(self.pending_order_ids())
        user_ids: set[Any] = set()
        self._by_ids(
            ORDERS, self.order, "id", order_ids, self._column_tracker(ORDERS, "user_id", user_ids)
        )
        product_ids: set[Any] = set()
        self._by_ids(
            LINES,
            self.line,
            "order_id",
            order_ids,
            self._column_tracker(LINES, "product_id", product_ids),
        )
        refund_ids: set[Any] = set()
        refund_tracker = self._both(
            self._column_tracker(REFUNDS, "id", refund_ids),
            self._max_tracker(REFUNDS, "modified", convert.to_datetime, "refund_modified"),
        )
        if self.mode == "incremental" and self.previous.refund_modified is not None:
            # Refunds modified since the mark, kept when their order is one of ours: checking the
            # landed orders is far cheaper than asking the source for its whole discount scope.
            since = extract.source_datetime(self.previous.refund_modified - self.time_overlap)
            order_index = REFUNDS.columns.index("order_id")
            with self.progress.step(f"extract {REFUNDS.source_table}") as tracker:
                for rows in self._batches(select(*f.c).where(f.c.modified >= since)):
                    candidates = {row[order_index] for row in rows}
                    ours = (candidates & order_ids) | set(self.known_order_ids(candidates))
                    kept = [row for row in rows if row[order_index] in ours]
                    for row in kept:
                        refund_tracker(row)
                    self.lander.land(REFUNDS, kept)
                    tracker.advance(len(kept))
        else:
            scoped: list[ColumnElement[bool]] = [f.c.order_id.in_(self.orders_in_scope())]
            if self.previous.refund_modified is not None:
                scoped.append(
                    f.c.modified
                    >= extract.source_datetime(self.previous.refund_modified - self.time_overlap)
                )
            self._stream(REFUNDS, select(*f.c).where(and_(*scoped)), refund_tracker)
        self._by_ids(
            REFUNDS,
            self.refund,
            "order_id",
            order_ids,
            self._column_tracker(REFUNDS, "id", refund_ids),
        )
        self._by_ids(REFUND_LINES, self.refund_line, "refund_id", refund_ids)
        self._by_ids(USERS, self.user, "id", user_ids)

        course_ids: set[Any] = set()
        product_track = self._column_tracker(PRODUCTS, "course_id", course_ids)
        parent_ids: set[Any] = set()
        parent_track = self._column_tracker(PRODUCTS, "parent_id", parent_ids)
        if self.mode == "incremental":
            changed = select(*self.product.c)
            if self.previous.product_updated is not None:
                changed = changed.where(
                    self.product.c.date_updated
                    >= extract.source_datetime(self.previous.product_updated - self.time_overlap)
                )
            self._stream(
                PRODUCTS,
                changed,
                self._max_tracker(PRODUCTS, "date_updated", convert.to_datetime, "product_updated"),
            )
        self._by_ids(
            PRODUCTS, self.product, "id", product_ids, self._both(product_track, parent_track)
        )
        self._by_ids(PRODUCTS, self.product, "id", parent_ids - product_ids, product_track)
        if self.mode == "incremental":
            changed_courses = select(*self.course.c)
            if self.previous.course_modified is not None:
                changed_courses = changed_courses.where(
                    self.course.c.modified
                    >= extract.source_datetime(self.previous.course_modified - self.time_overlap)
                )
            self._stream(
                COURSES,
                changed_courses,
                self._max_tracker(COURSES, "modified", convert.to_datetime, "course_modified"),
            )
        self._by_ids(COURSES, self.course, "id", course_ids)


class Ecommerce:
    """The ecommerce source: learner-credit offers and their redemptions (see the module
    docstring). One run extracts and lands, records the rejections, and, on a full pass, checks
    the control totals; its watermarks move unless the run is targeted."""

    name = "ecommerce"
    tables = ALL_TABLES

    def run(self, ingest: IngestRun) -> SourceResult:
        conn = ingest.conn
        url = ecommerce_source_url(ingest.settings)
        lander = Lander(conn, ingest.run_id, full=ingest.full)
        extraction = EcommerceIngest(
            ingest.snapshot(url),
            lander,
            mode=ingest.mode,
            previous=Watermarks.load(conn),
            enterprise_uuids=ingest.targets,
            batch_size=ingest.settings.batch_size,
            id_overlap=ingest.settings.extract_id_overlap,
            time_overlap=ingest.time_overlap,
            pending_order_ids=lambda: _pending_order_ids(
                conn,
                dt.timedelta(days=ingest.settings.pending_order_lookback_days),
                ingest.targets if ingest.targeted else (),
            ),
            known_order_ids=lambda ids: _known_order_ids(conn, ids),
            progress=ingest.progress,
        )
        with ingest.timed("extract_and_land"):
            outcome = extraction.run()
        rejected = record_rejections(conn, lander.rejections, ingest.run_id)
        if ingest.full:
            resolve_landing_rejections(conn, ingest.run_id, ALL_TABLES)
            # Fresh statistics for the tables just rebuilt, or the next publish plans its joins
            # from row counts of the previous load.
            with ingest.timed("analyze"):
                for spec in ALL_TABLES:
                    conn.execute(text(f"ANALYZE {spec.raw.fullname}"))
        if outcome.control_totals is not None:
            with ingest.timed("control_totals"):
                check_control_totals(conn, outcome.control_totals)
        if not ingest.targeted:
            outcome.watermarks.save(conn, ingest.run_id)
        return SourceResult(
            counts={
                **{f"extracted.{k}": v for k, v in sorted(lander.extracted.items())},
                **{f"landed.{k}": v for k, v in sorted(lander.landed.items())},
            },
            extracted=sum(lander.extracted.values()),
            landed=sum(lander.landed.values()),
            rejected=rejected,
            watermarks=outcome.watermarks.as_json(),
            sources={SYSTEM: url.render_as_string()},
        )


def _known_order_ids(conn: Connection, candidates: Iterable[Any]) -> list[int]:
    """Which of these source order ids are landed already."""
    ids = [i for i in candidates if isinstance(i, int)]
    if not ids:
        return []
    return list(conn.execute(select(raw_order.c.id).where(raw_order.c.id.in_(ids))).scalars())


def _pending_order_ids(
    conn: Connection, lookback: dt.timedelta, targets: Sequence[uuid.UUID] = ()
) -> list[int]:
    """Landed orders not yet Complete, placed within ``lookback`` of the newest landed order:
    re-read every incremental pass until they complete (order_order has no modified column).

    The window is anchored on the data (the date of the highest landed order id), not on the
    clock, so a source that is behind — or a demo source of a fixed date — is read the same way.
    Older Pending orders wait for the daily full pass. A partial index on Pending orders by
    date_placed (migration 0009) makes this proportional to the recent Pending orders.

    A targeted pass (``targets``) takes only those with a discount of an offer of its
    enterprises, so its cost follows what they own (the planner goes from their discounts to
    the orders, or from the recent Pending orders to their discounts, whichever is fewer). A
    Pending order whose discount names no known offer belongs to no enterprise yet: the next
    incremental pass re-reads it with every other recent Pending order.
    """
    newest = conn.execute(
        select(raw_order.c.date_placed).order_by(raw_order.c.id.desc()).limit(1)
    ).scalar()
    pending = select(raw_order.c.id).where(raw_order.c.status != "Complete")
    if newest is not None:
        pending = pending.where(raw_order.c.date_placed >= newest - lookback)
    if targets:
        forms = [u.hex for u in targets] + [str(u) for u in targets]
        pending = (
            pending.join(raw_discount, raw_discount.c.order_id == raw_order.c.id)
            .join(raw_offer, raw_offer.c.id == raw_discount.c.offer_id)
            .join(raw_condition, raw_condition.c.id == raw_offer.c.condition_id)
            .where(raw_condition.c.enterprise_customer_uuid.in_(forms))
            .distinct()
        )
    return list(conn.execute(pending).scalars())


SOURCE = Ecommerce()
