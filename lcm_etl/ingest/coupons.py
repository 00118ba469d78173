"""Enterprise coupons, read from the ecommerce source in the pass's own snapshot.

Enterprise coupons are Voucher offers whose condition names an enterprise, and the validity of
their codes (vouchers). They feed the LCM page's eligibility rule. They land in their own tables,
never in ``lcm_raw.ecommerce_conditionaloffer``, which holds the learner-credit offers redemptions
use. Both tables are small and have no change mark: they are read whole every pass (rows the
source no longer has are deleted), and the vouchers' marker stands for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Connection, and_, or_, select
from sqlalchemy.engine import URL
from sqlalchemy.sql.expression import TableClause

from lcm_etl import convert
from lcm_etl.db import ecommerce_source_url
from lcm_etl.ingest.base import (
    Check,
    TableReader,
    TableSource,
    clause,
    ends_before_start,
    replace,
)
from lcm_etl.ingest.land import LandingTable, Rejection
from lcm_etl.ingest.sources.ecommerce import ASSIGNABLE_ENTERPRISE_CONDITION
from lcm_etl.schema import raw_coupon_offer, raw_coupon_voucher
from lcm_etl.settings import Settings

SYSTEM = "ecommerce"
COUPON_OFFERS = LandingTable(SYSTEM, "offer_conditionaloffer", raw_coupon_offer)
COUPON_VOUCHERS = LandingTable(SYSTEM, "voucher_voucher_offers", raw_coupon_voucher)
TABLES = (COUPON_OFFERS, COUPON_VOUCHERS)

# Landing rejection reason codes (lcm_raw.rejected_record.reason).
COUPON_MISSING_ENTERPRISE_UUID = "coupon_missing_enterprise_uuid"
COUPON_INVALID_ENTERPRISE_UUID = "coupon_invalid_enterprise_uuid"
VOUCHER_END_BEFORE_START = "voucher_end_before_start"


class Coupons(TableSource):
    name: ClassVar[str] = "coupons"
    tables: ClassVar[tuple[LandingTable, ...]] = TABLES

    def url(self, settings: Settings) -> URL | None:
        return ecommerce_source_url(settings)

    def marked(self, tables: Iterable[LandingTable]) -> list[LandingTable]:
        # The coupons' marker is their vouchers' (both are read together or not at all).
        return [spec for spec in tables if spec is not COUPON_OFFERS]

    def read(self, reader: TableReader, source: Connection) -> None:
        if not reader.available(source, TABLES):
            return
        offer_columns = ("id", "name", "status", "start_datetime", "end_datetime", "condition_id")
        condition_columns = ("id", "proxy_class", "enterprise_customer_uuid")
        o = clause("offer_conditionaloffer", (*offer_columns, "offer_type"), "co")
        c = clause("offer_condition", (*condition_columns, "enterprise_customer_name"), "cc")
        coupon_offers = (
            select(
                *(o.c[name] for name in offer_columns),
                c.c.proxy_class,
                c.c.enterprise_customer_uuid,
                c.c.enterprise_customer_name,
            )
            .select_from(o.join(c, c.c.id == o.c.condition_id))
            .where(_scope(reader, o, c))
        )
        owners: dict[Any, str] = {}
        reader.read(source, COUPON_OFFERS, coupon_offers, _check_coupon_offer(reader, owners))

        so = clause("offer_conditionaloffer", ("id", "condition_id", "offer_type"), "so")
        sc = clause("offer_condition", condition_columns, "sc")
        scope_ids = (
            select(so.c.id)
            .select_from(so.join(sc, sc.c.id == so.c.condition_id))
            .where(_scope(reader, so, sc))
        )
        vo = clause("voucher_voucher_offers", ("id", "voucher_id", "conditionaloffer_id"), "vo")
        v = clause(
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
        reader.read(source, COUPON_VOUCHERS, vouchers, _check_voucher(reader, owners))


def _scope(reader: TableReader, offer: TableClause, condition: TableClause) -> ColumnElement[bool]:
    """Voucher offers whose condition names an enterprise (or is the enterprise coupon
    condition, so that one naming none is rejected rather than ignored)."""
    enterprise = condition.c.enterprise_customer_uuid
    if reader.targeted:
        return and_(offer.c.offer_type == "Voucher", enterprise.in_(reader.uuid_forms()))
    return and_(
        offer.c.offer_type == "Voucher",
        or_(
            enterprise.is_not(None),
            condition.c.proxy_class == ASSIGNABLE_ENTERPRISE_CONDITION,
        ),
    )


def _check_coupon_offer(reader: TableReader, owners: dict[Any, str]) -> Check:
    spec = COUPON_OFFERS
    uuid_index = spec.columns.index("enterprise_customer_uuid")

    def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
        value = row[uuid_index]
        if value is None or (isinstance(value, str | bytes) and not value.strip()):
            return reader.reject(
                spec,
                row,
                COUPON_MISSING_ENTERPRISE_UUID,
                "an enterprise coupon condition names no enterprise",
            )
        try:
            hex_uuid = convert.to_uuid_hex(value)
        except convert.BadValue as exc:
            return reader.reject(spec, row, COUPON_INVALID_ENTERPRISE_UUID, str(exc))
        owners[row[0]] = str(hex_uuid)
        return replace(row, uuid_index, hex_uuid), None

    return check


def _check_voucher(reader: TableReader, owners: dict[Any, str]) -> Check:
    spec = COUPON_VOUCHERS
    offer_index = spec.columns.index("conditionaloffer_id")
    start_index = spec.columns.index("start_datetime")
    end_index = spec.columns.index("end_datetime")

    def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
        if ends_before_start(row[start_index], row[end_index]):
            return reader.reject(
                spec,
                row,
                VOUCHER_END_BEFORE_START,
                f"end_datetime {row[end_index]} is before start_datetime {row[start_index]}",
                owners.get(row[offer_index]),
            )
        return row, None

    return check


SOURCE = Coupons()
