"""Extract the eligibility sources and land them in ``lcm_raw`` (issue 3).

Three sources feed the LCM page's eligibility rule (ADR 3) and the data-sharing-consent email
hiding:

- the **LMS** (optional, ``LCM_LMS_DATABASE_URL``): enterprise customers (the LCM screen flag and
  the consent settings), the learners linked to them, and the learners' consent records;
- **license-manager** (optional, ``LCM_LICENSE_MANAGER_DATABASE_URL``): customer agreements and
  their subscription plans;
- **ecommerce**, read in the pass's own snapshot: enterprise coupons (Voucher offers with an
  enterprise condition) and the validity of their codes. They land in their own tables, never in
  ``lcm_raw.ecommerce_conditionaloffer``, which holds the learner-credit offers redemptions use.

The rules are the ecommerce extractor's: rows stream in batches, each source is read in one
consistent snapshot, a bad row becomes a landing rejection with a reason code while the rest
lands, and landing the same rows twice changes nothing.

=================================== =============================================================
enterprise customers, agreements,   full re-read every pass (small, and vouchers have no change
plans, coupon offers, vouchers      mark); rows the source no longer has are deleted
customer users, consent records     ``modified`` − ``LCM_EXTRACT_TIME_OVERLAP_SECONDS`` (large)
=================================== =============================================================

A table that is read gets a marker in ``lcm_raw.watermark`` (its ``modified`` mark, or kind
``full``); the publish takes a fact as known only when the tables giving it are marked. An unset
source, or a table a configured source lacks (with a warning), is not read and its markers are
removed: its facts become unknown (NULL in ``lcm.enterprise_eligibility``, never a reason), and a
later pass that has it again reads it from scratch. Its landed rows stay: the consent settings
they hold keep hiding the emails they hid (README, "Eligibility").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import operator
import re
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.sql.expression import TableClause

from lcm_etl import convert
from lcm_etl.db import license_manager_source_url, lms_source_url
from lcm_etl.ingest import extract
from lcm_etl.ingest.land import Lander, LandingTable, Rejection, payload_of, upsert_watermarks
from lcm_etl.ingest.sources.ecommerce import ASSIGNABLE_ENTERPRISE_CONDITION
from lcm_etl.progress import NullProgress, ProgressReporter
from lcm_etl.schema import (
    raw_coupon_offer,
    raw_coupon_voucher,
    raw_lm_agreement,
    raw_lm_plan,
    raw_lms_consent,
    raw_lms_customer,
    raw_lms_customer_user,
    rejected_record,
    watermark,
)
from lcm_etl.settings import Settings

log = logging.getLogger(__name__)

LMS = "lms"
LICENSE_MANAGER = "license_manager"
ECOMMERCE = "ecommerce"
OPTIONAL_SOURCES = (LMS, LICENSE_MANAGER)

CUSTOMERS = LandingTable(LMS, "enterprise_enterprisecustomer", raw_lms_customer)
CUSTOMER_USERS = LandingTable(LMS, "enterprise_enterprisecustomeruser", raw_lms_customer_user)
CONSENTS = LandingTable(LMS, "consent_datasharingconsent", raw_lms_consent)
AGREEMENTS = LandingTable(LICENSE_MANAGER, "subscriptions_customeragreement", raw_lm_agreement)
PLANS = LandingTable(LICENSE_MANAGER, "subscriptions_subscriptionplan", raw_lm_plan)
COUPON_OFFERS = LandingTable(ECOMMERCE, "offer_conditionaloffer", raw_coupon_offer)
COUPON_VOUCHERS = LandingTable(ECOMMERCE, "voucher_voucher_offers", raw_coupon_voucher)

TABLES: dict[str, tuple[LandingTable, ...]] = {
    LMS: (CUSTOMERS, CUSTOMER_USERS, CONSENTS),
    LICENSE_MANAGER: (AGREEMENTS, PLANS),
    ECOMMERCE: (COUPON_OFFERS, COUPON_VOUCHERS),
}
#: Tables read whole every pass; the others are read from their ``modified`` watermark on.
FULL_READ = (CUSTOMERS, AGREEMENTS, PLANS, COUPON_OFFERS, COUPON_VOUCHERS)
BY_MODIFIED = (CUSTOMER_USERS, CONSENTS)

# Landing rejection reason codes (lcm_raw.rejected_record.reason).
INVALID_ENTERPRISE_UUID = "invalid_enterprise_uuid"
INVALID_UUID = "invalid_uuid"
PLAN_EXPIRATION_BEFORE_START = "plan_expiration_before_start"
PLAN_AGREEMENT_MISSING = "plan_agreement_missing"
COUPON_MISSING_ENTERPRISE_UUID = "coupon_missing_enterprise_uuid"
COUPON_INVALID_ENTERPRISE_UUID = "coupon_invalid_enterprise_uuid"
VOUCHER_END_BEFORE_START = "voucher_end_before_start"


@dataclasses.dataclass
class EligibilityIngestOutcome:
    """What the eligibility extraction did, for the ingest's ``lcm.pipeline_run`` row."""

    sources: dict[str, str | None]
    """Each optional source's URL (password hidden) when it took part, else None."""
    counts: dict[str, int]
    watermarks: dict[str, str | None]
    rejections: list[Rejection]

    @property
    def extracted(self) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith("extracted."))

    @property
    def landed(self) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith("landed."))


def ingest_eligibility_sources(
    conn: Connection,
    ecommerce_source: Connection,
    *,
    settings: Settings,
    run_id: int,
    mode: str,
    enterprise_uuids: Sequence[uuid.UUID] = (),
    progress: ProgressReporter | None = None,
) -> EligibilityIngestOutcome:
    """Extract the coupons (from ``ecommerce_source``) and the optional LMS and license-manager
    sources into ``lcm_raw`` on ``conn``, inside the caller's landing transaction."""
    urls = {LMS: lms_source_url(settings), LICENSE_MANAGER: license_manager_source_url(settings)}
    extraction = _Extraction(
        conn,
        run_id=run_id,
        mode=mode,
        targets=enterprise_uuids,
        batch_size=settings.batch_size,
        time_overlap=dt.timedelta(seconds=settings.extract_time_overlap_seconds),
        progress=progress or NullProgress(),
    )
    extraction.coupons(ecommerce_source)
    for name, url in urls.items():
        if url is None:
            extraction.forget(TABLES[name])
            continue
        with extract.source_snapshot(url) as source:
            if name == LMS:
                extraction.lms(source)
            else:
                extraction.license_manager(source)
    extraction.finish()
    took_part = {spec.source for spec in extraction.extracted}
    return EligibilityIngestOutcome(
        sources={
            name: url.render_as_string() if url is not None and name in took_part else None
            for name, url in urls.items()
        },
        counts=extraction.counts(),
        watermarks=extraction.watermarks_json(),
        rejections=extraction.rejections,
    )


# ------------------------------------------------------------------------------------------------
# reading a source
# ------------------------------------------------------------------------------------------------


def _clause(name: str, columns: Sequence[str], alias: str) -> TableClause:
    return extract.untyped(name, columns, alias)


def _uuid_forms(targets: Sequence[uuid.UUID]) -> list[str]:
    """Both spellings of each target: 32 hex (char(32) columns) and dashed (MariaDB ``uuid``)."""
    return [u.hex for u in targets] + [str(u) for u in targets]


# ------------------------------------------------------------------------------------------------
# the extraction
# ------------------------------------------------------------------------------------------------

#: Validates (and normalizes) one source row: the row to land, or the reason it is rejected.
Check = Callable[[tuple[Any, ...]], tuple[tuple[Any, ...] | None, Rejection | None]]


class _Extraction:
    def __init__(
        self,
        conn: Connection,
        *,
        run_id: int,
        mode: str,
        targets: Sequence[uuid.UUID],
        batch_size: int,
        time_overlap: dt.timedelta,
        progress: ProgressReporter,
    ) -> None:
        if mode not in ("full", "incremental", "targeted"):
            raise ValueError(f"unknown ingest mode {mode!r}")
        self.conn = conn
        self.run_id = run_id
        self.full = mode == "full"
        self.targeted = mode == "targeted"
        self.targets = list(targets)
        self.batch_size = batch_size
        self.time_overlap = time_overlap
        self.progress = progress
        self.lander = Lander(conn, run_id, full=self.full)
        self.rejections: list[Rejection] = []
        self.extracted: dict[LandingTable, int] = {}
        self.deleted: dict[LandingTable, int] = {}
        self.previous = self._load_marks()
        self.marks: dict[LandingTable, dt.datetime | None] = {}
        self.unknown: set[LandingTable] = set()

    # ---- watermarks -------------------------------------------------------------------------

    def _load_marks(self) -> dict[tuple[str, str], dt.datetime | None]:
        rows = self.conn.execute(
            select(watermark.c.source, watermark.c.source_table, watermark.c.time_value).where(
                watermark.c.source.in_(OPTIONAL_SOURCES)
            )
        )
        return {(row.source, row.source_table): row.time_value for row in rows}

    def _since(self, spec: LandingTable) -> dt.datetime | None:
        if self.full:
            return None
        mark = self.previous.get((spec.source, spec.source_table))
        return None if mark is None else mark - self.time_overlap

    def forget(self, specs: Sequence[LandingTable]) -> None:
        """Tables not read (their source is unset, or lacks them): their facts are unknown."""
        self.unknown.update(specs)

    def _available(self, source: Connection, specs: Sequence[LandingTable]) -> bool:
        """Whether the source has every table ``specs`` read; if not, those facts are unknown
        and the run log and the progress say which tables were missing."""
        inspector = inspect(source)
        missing = [spec for spec in specs if not inspector.has_table(spec.source_table)]
        for spec in missing:
            message = (
                f"the {spec.source} source has no table {spec.source_table}: the facts it gives "
                "are unknown in this pass"
            )
            log.warning(message)
            self.progress.note(message)
        if missing:
            self.forget(specs)
        return not missing

    def finish(self) -> None:
        """Record the marks of the tables read and drop those of the tables not read (what the
        publish reads as known/unknown), and resolve the landing rejections of the tables read
        whole that this pass no longer saw."""
        if self.targeted:
            return
        # The coupons' marker is their vouchers' (both are read together or not at all).
        marked = [spec for spec in self.extracted if spec is not COUPON_OFFERS]
        rows = [
            {
                "source": spec.source,
                "source_table": spec.source_table,
                "kind": "modified" if spec in BY_MODIFIED else "full",
                "id_value": None,
                "time_value": self._mark(spec) if spec in BY_MODIFIED else None,
                "run_id": self.run_id,
            }
            for spec in marked
        ]
        for spec in self.unknown:
            self.conn.execute(
                delete(watermark).where(
                    watermark.c.source == spec.source,
                    watermark.c.source_table == spec.source_table,
                )
            )
        upsert_watermarks(self.conn, rows)
        resolved = [spec for spec in self.extracted if self.full or spec in FULL_READ]
        for spec in resolved:
            self.conn.execute(
                update(rejected_record)
                .where(
                    rejected_record.c.stage == "landing",
                    rejected_record.c.source == spec.source,
                    rejected_record.c.source_table == spec.source_table,
                    rejected_record.c.last_run_id != self.run_id,
                    rejected_record.c.resolved_at.is_(None),
                )
                .values(resolved_at=func.now())
            )

    def _mark(self, spec: LandingTable) -> dt.datetime | None:
        if self.full:
            # A full read's mark is the newest row it landed (cheaper than tracking every row).
            newest: dt.datetime | None = self.conn.execute(
                select(func.max(spec.raw.c.modified))
            ).scalar_one()
            return newest
        return self.marks.get(spec) or self.previous.get((spec.source, spec.source_table))

    def watermarks_json(self) -> dict[str, str | None]:
        return {
            f"{spec.source}.{spec.source_table}.modified": _iso(self._mark(spec))
            for spec in BY_MODIFIED
            if spec in self.extracted and not self.targeted
        }

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for spec, read in self.extracted.items():
            name = f"{spec.source}.{spec.source_table}"
            counts[f"extracted.{name}"] = read
            counts[f"landed.{name}"] = self.lander.landed.get(spec.source_table, 0)
            if spec in self.deleted:
                counts[f"deleted.{name}"] = self.deleted[spec]
        for spec in self.unknown:
            counts[f"unknown.{spec.source}.{spec.source_table}"] = 1
        return counts

    # ---- plumbing ---------------------------------------------------------------------------

    def _read(
        self,
        source: Connection,
        spec: LandingTable,
        statement: Select[Any],
        check: Check | None = None,
    ) -> set[Any]:
        """Stream one query into ``spec``'s landing table; return the keys landed."""
        if self.full and spec not in self.extracted:
            self.lander.truncate([spec])
        self.extracted.setdefault(spec, 0)
        key_index = spec.columns.index(spec.key[0])
        modified_index = spec.columns.index("modified") if spec in BY_MODIFIED else None
        keys: set[Any] = set()
        with self.progress.step(f"extract {spec.source} {spec.source_table}") as tracker:
            for fetched in extract.batches(source, statement, self.batch_size):
                batch = list(map(tuple, fetched))
                self.extracted[spec] += len(batch)
                rows = batch if check is None else self._checked(spec, batch, check)
                self.lander.land(spec, rows)
                if spec in FULL_READ:  # only tables read whole need their keys (deletions)
                    keys.update(map(operator.itemgetter(key_index), rows))
                if modified_index is not None and not self.full:
                    self._track_modified(spec, rows, modified_index)
                tracker.advance(len(batch))
        if spec in FULL_READ and not self.full and not self.targeted:
            self.deleted[spec] = self._delete_unseen(spec, keys)
        return keys

    def _checked(
        self, spec: LandingTable, batch: list[tuple[Any, ...]], check: Check
    ) -> list[tuple[Any, ...]]:
        # A batch whose checked column is already what the check would make of it passes whole
        # (a C-speed test over the column), not row by row.
        index = _FAST_UUID_COLUMNS.get(check)
        if index is not None and _all_hex_uuids(map(operator.itemgetter(index), batch)):
            return batch
        good = []
        for row in batch:
            fixed, rejection = check(row)
            if fixed is not None:
                good.append(fixed)
            elif rejection is not None:
                self.rejections.append(rejection)
        return good

    def _reject(
        self,
        spec: LandingTable,
        row: Sequence[Any],
        reason: str,
        detail: str,
        enterprise: str | None = None,
    ) -> tuple[None, Rejection]:
        key = "/".join(str(row[spec.columns.index(k)]) for k in spec.key)
        return None, Rejection(
            source=spec.source,
            source_table=spec.source_table,
            natural_key=key,
            reason=reason,
            detail=detail,
            payload=payload_of(spec.columns, row),
            stage="landing",
            enterprise_customer_uuid=enterprise,
        )

    def _track_modified(self, spec: LandingTable, rows: list[tuple[Any, ...]], index: int) -> None:
        newest = self.marks.get(spec) or self.previous.get((spec.source, spec.source_table))
        for row in rows:
            try:
                value = convert.to_datetime(row[index])
            except convert.BadValue:
                continue  # rejected by the lander; read again next time
            if value is not None and (newest is None or value > newest):
                newest = value
        self.marks[spec] = newest

    def _delete_unseen(self, spec: LandingTable, keys: set[Any]) -> int:
        """Rows of a table read whole that the source no longer has (or now rejects)."""
        key = spec.raw.c[spec.key[0]]
        array_type = "text[]" if key.type.python_type is str else "bigint[]"
        # Identifiers come from the table metadata; the keys are a bound array.
        statement = text(
            f"DELETE FROM {spec.raw.fullname} AS t "  # noqa: S608
            f"WHERE t.{key.name} NOT IN (SELECT unnest(CAST(:keys AS {array_type})))"
        )
        return int(self.conn.execute(statement, {"keys": sorted(keys)}).rowcount)

    # ---- ecommerce: enterprise coupons ------------------------------------------------------

    def _coupon_scope(self, offer: TableClause, condition: TableClause) -> ColumnElement[bool]:
        """Voucher offers whose condition names an enterprise (or is the enterprise coupon
        condition, so that one naming none is rejected rather than ignored)."""
        enterprise = condition.c.enterprise_customer_uuid
        if self.targeted:
            return and_(offer.c.offer_type == "Voucher", enterprise.in_(_uuid_forms(self.targets)))
        return and_(
            offer.c.offer_type == "Voucher",
            or_(
                enterprise.is_not(None),
                condition.c.proxy_class == ASSIGNABLE_ENTERPRISE_CONDITION,
            ),
        )

    def coupons(self, source: Connection) -> None:
        if not self._available(source, (COUPON_OFFERS, COUPON_VOUCHERS)):
            return
        offer_columns = ("id", "name", "status", "start_datetime", "end_datetime", "condition_id")
        condition_columns = ("id", "proxy_class", "enterprise_customer_uuid")
        o = _clause("offer_conditionaloffer", (*offer_columns, "offer_type"), "co")
        c = _clause("offer_condition", (*condition_columns, "enterprise_customer_name"), "cc")
        coupon_offers = (
            select(
                *(o.c[name] for name in offer_columns),
                c.c.proxy_class,
                c.c.enterprise_customer_uuid,
                c.c.enterprise_customer_name,
            )
            .select_from(o.join(c, c.c.id == o.c.condition_id))
            .where(self._coupon_scope(o, c))
        )
        owners: dict[Any, str] = {}
        self._read(source, COUPON_OFFERS, coupon_offers, self._check_coupon_offer(owners))

        so = _clause("offer_conditionaloffer", ("id", "condition_id", "offer_type"), "so")
        sc = _clause("offer_condition", condition_columns, "sc")
        scope_ids = (
            select(so.c.id)
            .select_from(so.join(sc, sc.c.id == so.c.condition_id))
            .where(self._coupon_scope(so, sc))
        )
        vo = _clause("voucher_voucher_offers", ("id", "voucher_id", "conditionaloffer_id"), "vo")
        v = _clause(
            "voucher_voucher",
            ("id", "usage", "start_datetime", "end_datetime", "num_orders"),
            "vv",
        )
        vouchers = (
            select(
                vo.c.id,
                vo.c.voucher_id,
                vo.c.conditionaloffer_id,
                v.c.usage,
                v.c.start_datetime,
                v.c.end_datetime,
                v.c.num_orders,
            )
            .select_from(vo.join(v, v.c.id == vo.c.voucher_id))
            .where(vo.c.conditionaloffer_id.in_(scope_ids))
        )
        self._read(source, COUPON_VOUCHERS, vouchers, self._check_voucher(owners))

    def _check_coupon_offer(self, owners: dict[Any, str]) -> Check:
        spec = COUPON_OFFERS
        uuid_index = spec.columns.index("enterprise_customer_uuid")

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            value = row[uuid_index]
            if value is None or (isinstance(value, str | bytes) and not value.strip()):
                return self._reject(
                    spec,
                    row,
                    COUPON_MISSING_ENTERPRISE_UUID,
                    "an enterprise coupon condition names no enterprise",
                )
            try:
                hex_uuid = convert.to_uuid_hex(value)
            except convert.BadValue as exc:
                return self._reject(spec, row, COUPON_INVALID_ENTERPRISE_UUID, str(exc))
            owners[row[0]] = str(hex_uuid)
            return _replace(row, uuid_index, hex_uuid), None

        return check

    def _check_voucher(self, owners: dict[Any, str]) -> Check:
        spec = COUPON_VOUCHERS
        offer_index = spec.columns.index("conditionaloffer_id")
        start_index = spec.columns.index("start_datetime")
        end_index = spec.columns.index("end_datetime")

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            if _ends_before_start(row[start_index], row[end_index]):
                return self._reject(
                    spec,
                    row,
                    VOUCHER_END_BEFORE_START,
                    f"end_datetime {row[end_index]} is before start_datetime {row[start_index]}",
                    owners.get(row[offer_index]),
                )
            return row, None

        return check

    # ---- LMS --------------------------------------------------------------------------------

    def lms(self, source: Connection) -> None:
        forms = _uuid_forms(self.targets)
        customers = _clause(CUSTOMERS.source_table, CUSTOMERS.columns, "ec")
        statement = select(*customers.c)
        if self.targeted:
            statement = statement.where(customers.c.uuid.in_(forms))
        if self._available(source, (CUSTOMERS,)):
            self._read(source, CUSTOMERS, statement, self._check_enterprise(CUSTOMERS, "uuid"))
        for spec in (CUSTOMER_USERS, CONSENTS):
            if not self._available(source, (spec,)):
                continue
            clause = _clause(spec.source_table, spec.columns, "m")
            statement = select(*clause.c)
            since = self._since(spec)
            if since is not None:
                statement = statement.where(clause.c.modified >= extract.source_datetime(since))
            if self.targeted:
                statement = statement.where(clause.c.enterprise_customer_id.in_(forms))
            self._read(
                source, spec, statement, self._check_enterprise(spec, "enterprise_customer_id")
            )

    def _check_enterprise(self, spec: LandingTable, name: str) -> Check:
        """Land the enterprise UUID as 32 hex whatever the source stored (char(32), or the
        dashed native ``uuid`` of MariaDB after edx-enterprise 0242); reject non-UUIDs."""
        index = spec.columns.index(name)

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            value = row[index]
            hex_uuid, problem = _uuid_hex(value)
            if problem is not None:
                return self._reject(spec, row, INVALID_ENTERPRISE_UUID, f"{name}: {problem}")
            if hex_uuid is None or hex_uuid == value:
                return row, None  # (NULL in a NOT NULL column: the lander rejects it)
            return _replace(row, index, hex_uuid), None

        _FAST_UUID_COLUMNS[check] = index
        return check

    # ---- license-manager --------------------------------------------------------------------

    def license_manager(self, source: Connection) -> None:
        # A plan reaches its enterprise only through its agreement: both or neither.
        if not self._available(source, (AGREEMENTS, PLANS)):
            return
        agreements = _clause(AGREEMENTS.source_table, AGREEMENTS.columns, "a")
        statement = select(*agreements.c)
        if self.targeted:
            statement = statement.where(
                agreements.c.enterprise_customer_uuid.in_(_uuid_forms(self.targets))
            )
        owners: dict[str, str] = {}
        self._read(source, AGREEMENTS, statement, self._check_agreement(owners))

        plans = _clause(PLANS.source_table, PLANS.columns, "p")
        statement = select(*plans.c)
        if self.targeted:
            scope = _clause(AGREEMENTS.source_table, ("uuid", "enterprise_customer_uuid"), "sa")
            statement = statement.where(
                plans.c.customer_agreement_id.in_(
                    select(scope.c.uuid).where(
                        scope.c.enterprise_customer_uuid.in_(_uuid_forms(self.targets))
                    )
                )
            )
        self._read(source, PLANS, statement, self._check_plan(owners))

    def _check_agreement(self, owners: dict[str, str]) -> Check:
        spec = AGREEMENTS
        key_index = spec.columns.index("uuid")
        enterprise_index = spec.columns.index("enterprise_customer_uuid")

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            try:
                agreement = convert.to_uuid_hex(row[key_index])
            except convert.BadValue as exc:
                return self._reject(spec, row, INVALID_UUID, f"uuid: {exc}")
            try:
                enterprise = convert.to_uuid_hex(row[enterprise_index])
            except convert.BadValue as exc:
                return self._reject(
                    spec, row, INVALID_ENTERPRISE_UUID, f"enterprise_customer_uuid: {exc}"
                )
            if agreement is not None and enterprise is not None:
                owners[agreement] = enterprise
            fixed = _replace(_replace(row, key_index, agreement), enterprise_index, enterprise)
            return fixed, None

        return check

    def _check_plan(self, owners: dict[str, str]) -> Check:
        spec = PLANS
        agreement_index = spec.columns.index("customer_agreement_id")
        start_index = spec.columns.index("start_date")
        end_index = spec.columns.index("expiration_date")

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            try:
                agreement = convert.to_uuid_hex(row[agreement_index])
            except convert.BadValue as exc:
                return self._reject(spec, row, INVALID_UUID, f"customer_agreement_id: {exc}")
            enterprise = owners.get(agreement) if agreement is not None else None
            if enterprise is None and agreement is not None:
                return self._reject(
                    spec,
                    row,
                    PLAN_AGREEMENT_MISSING,
                    f"customer agreement {agreement} was not landed (missing or rejected)",
                )
            if _ends_before_start(row[start_index], row[end_index]):
                return self._reject(
                    spec,
                    row,
                    PLAN_EXPIRATION_BEFORE_START,
                    f"expiration_date {row[end_index]} is before start_date {row[start_index]}",
                    enterprise,
                )
            return _replace(row, agreement_index, agreement), None

        return check


_HEX_UUID = re.compile("[0-9a-f]{32}")
# Checks that only normalize one UUID column, by that column's index: see _checked.
_FAST_UUID_COLUMNS: weakref.WeakKeyDictionary[Check, int] = weakref.WeakKeyDictionary()


def _all_hex_uuids(values: Iterable[Any]) -> bool:
    """Every value is a str of 32 lowercase hex characters (what Django stores on MySQL)."""
    values = list(values)
    return set(map(type, values)) == {str} and all(map(_HEX_UUID.fullmatch, values))


@functools.lru_cache(maxsize=65_536)
def _uuid_hex(value: Any) -> tuple[str | None, str | None]:
    """(32-hex UUID, None), or (None, why not). Cached: the large tables (consent records,
    learner links) repeat a few thousand enterprise ids over millions of rows."""
    try:
        return convert.to_uuid_hex(value), None
    except convert.BadValue as exc:
        return None, str(exc)


def _replace(row: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return (*row[:index], value, *row[index + 1 :])


def _ends_before_start(start: Any, end: Any) -> bool:
    """Whether a validity window ends before it starts (unreadable values are the lander's)."""
    try:
        begins, ends = convert.to_datetime(start), convert.to_datetime(end)
    except convert.BadValue:
        return False
    return begins is not None and ends is not None and ends < begins


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


__all__ = [
    "BY_MODIFIED",
    "FULL_READ",
    "TABLES",
    "EligibilityIngestOutcome",
    "ingest_eligibility_sources",
]
