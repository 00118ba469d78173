"""The LMS source (edx-platform + edx-enterprise; optional, ``LCM_LMS_DATABASE_URL``).

Enterprise customers (the LCM screen flag and the data-sharing-consent settings), the learners
linked to them, and the learners' consent records. They feed the LCM page's eligibility rule and
the hiding of learners' emails.

=================================== =============================================================
enterprise customers                full re-read every pass (small); rows the source no longer
                                    has are deleted
customer users, consent records     ``modified`` − ``LCM_EXTRACT_TIME_OVERLAP_SECONDS`` (large)
=================================== =============================================================
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Connection, select
from sqlalchemy.engine import URL

from lcm_etl.db import lms_source_url
from lcm_etl.ingest import extract
from lcm_etl.ingest.base import TableReader, TableSource, clause
from lcm_etl.ingest.land import LandingTable
from lcm_etl.schema import raw_lms_consent, raw_lms_customer, raw_lms_customer_user
from lcm_etl.settings import Settings

SYSTEM = "lms"
CUSTOMERS = LandingTable(SYSTEM, "enterprise_enterprisecustomer", raw_lms_customer)
CUSTOMER_USERS = LandingTable(
    SYSTEM,
    "enterprise_enterprisecustomeruser",
    raw_lms_customer_user,
    watermark="modified",
    mark_column="modified",
)
CONSENTS = LandingTable(
    SYSTEM,
    "consent_datasharingconsent",
    raw_lms_consent,
    watermark="modified",
    mark_column="modified",
)
TABLES = (CUSTOMERS, CUSTOMER_USERS, CONSENTS)


class Lms(TableSource):
    name: ClassVar[str] = "lms"
    tables: ClassVar[tuple[LandingTable, ...]] = TABLES
    reports_source: ClassVar[str | None] = SYSTEM

    def url(self, settings: Settings) -> URL | None:
        return lms_source_url(settings)

    def read(self, reader: TableReader, source: Connection) -> None:
        forms = reader.uuid_forms()
        customers = clause(CUSTOMERS.source_table, CUSTOMERS.columns, "ec")
        statement = select(*customers.c)
        if reader.targeted:
            statement = statement.where(customers.c.uuid.in_(forms))
        if reader.available(source, (CUSTOMERS,)):
            reader.read(source, CUSTOMERS, statement, reader.check_enterprise(CUSTOMERS, "uuid"))
        for spec in (CUSTOMER_USERS, CONSENTS):
            if not reader.available(source, (spec,)):
                continue
            table = clause(spec.source_table, spec.columns, "m")
            statement = select(*table.c)
            since = reader.since(spec)
            if since is not None:
                statement = statement.where(table.c.modified >= extract.source_datetime(since))
            if reader.targeted:
                statement = statement.where(table.c.enterprise_customer_id.in_(forms))
            reader.read(
                source, spec, statement, reader.check_enterprise(spec, "enterprise_customer_id")
            )


SOURCE = Lms()
