"""The license-manager source (subscriptions; optional, ``LCM_LICENSE_MANAGER_DATABASE_URL``).

Customer agreements and their subscription plans, which feed the LCM page's eligibility rule. A
plan reaches its enterprise only through its agreement, so both are read or neither. Both are
small and read whole every pass; rows the source no longer has are deleted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection, select
from sqlalchemy.engine import URL

from lcm_etl import convert
from lcm_etl.db import license_manager_source_url
from lcm_etl.ingest.base import (
    INVALID_ENTERPRISE_UUID,
    INVALID_UUID,
    Check,
    TableReader,
    TableSource,
    clause,
    ends_before_start,
    replace,
)
from lcm_etl.ingest.land import LandingTable, Rejection
from lcm_etl.schema import raw_lm_agreement, raw_lm_plan
from lcm_etl.settings import Settings

SYSTEM = "license_manager"
AGREEMENTS = LandingTable(SYSTEM, "subscriptions_customeragreement", raw_lm_agreement)
PLANS = LandingTable(SYSTEM, "subscriptions_subscriptionplan", raw_lm_plan)
TABLES = (AGREEMENTS, PLANS)

# Landing rejection reason codes (lcm_raw.rejected_record.reason).
PLAN_EXPIRATION_BEFORE_START = "plan_expiration_before_start"
PLAN_AGREEMENT_MISSING = "plan_agreement_missing"


class LicenseManager(TableSource):
    name: ClassVar[str] = "license_manager"
    tables: ClassVar[tuple[LandingTable, ...]] = TABLES
    reports_source: ClassVar[str | None] = SYSTEM

    def url(self, settings: Settings) -> URL | None:
        return license_manager_source_url(settings)

    def read(self, reader: TableReader, source: Connection) -> None:
        # A plan reaches its enterprise only through its agreement: both or neither.
        if not reader.available(source, TABLES):
            return
        agreements = clause(AGREEMENTS.source_table, AGREEMENTS.columns, "a")
        statement = select(*agreements.c)
        if reader.targeted:
            statement = statement.where(
                agreements.c.enterprise_customer_uuid.in_(reader.uuid_forms())
            )
        owners: dict[str, str] = {}
        reader.read(source, AGREEMENTS, statement, _check_agreement(reader, owners))

        plans = clause(PLANS.source_table, PLANS.columns, "p")
        statement = select(*plans.c)
        if reader.targeted:
            scope = clause(AGREEMENTS.source_table, ("uuid", "enterprise_customer_uuid"), "sa")
            statement = statement.where(
                plans.c.customer_agreement_id.in_(
                    select(scope.c.uuid).where(
                        scope.c.enterprise_customer_uuid.in_(reader.uuid_forms())
                    )
                )
            )
        reader.read(source, PLANS, statement, _check_plan(reader, owners))


def _check_agreement(reader: TableReader, owners: dict[str, str]) -> Check:
    spec = AGREEMENTS
    key_index = spec.columns.index("uuid")
    enterprise_index = spec.columns.index("enterprise_customer_uuid")

    def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
        try:
            agreement = convert.to_uuid_hex(row[key_index])
        except convert.BadValue as exc:
            return reader.reject(spec, row, INVALID_UUID, f"uuid: {exc}")
        try:
            enterprise = convert.to_uuid_hex(row[enterprise_index])
        except convert.BadValue as exc:
            return reader.reject(
                spec, row, INVALID_ENTERPRISE_UUID, f"enterprise_customer_uuid: {exc}"
            )
        if agreement is not None and enterprise is not None:
            owners[agreement] = enterprise
        fixed = replace(replace(row, key_index, agreement), enterprise_index, enterprise)
        return fixed, None

    return check


def _check_plan(reader: TableReader, owners: dict[str, str]) -> Check:
    spec = PLANS
    agreement_index = spec.columns.index("customer_agreement_id")
    start_index = spec.columns.index("start_date")
    end_index = spec.columns.index("expiration_date")

    def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
        try:
            agreement = convert.to_uuid_hex(row[agreement_index])
        except convert.BadValue as exc:
            return reader.reject(spec, row, INVALID_UUID, f"customer_agreement_id: {exc}")
        enterprise = owners.get(agreement) if agreement is not None else None
        if enterprise is None and agreement is not None:
            return reader.reject(
                spec,
                row,
                PLAN_AGREEMENT_MISSING,
                f"customer agreement {agreement} was not landed (missing or rejected)",
            )
        if ends_before_start(row[start_index], row[end_index]):
            return reader.reject(
                spec,
                row,
                PLAN_EXPIRATION_BEFORE_START,
                f"expiration_date {row[end_index]} is before start_date {row[start_index]}",
                enterprise,
            )
        return replace(row, agreement_index, agreement), None

    return check


SOURCE = LicenseManager()
