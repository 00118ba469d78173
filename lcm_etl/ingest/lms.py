"""The LMS source (edx-platform + edx-enterprise; optional, ``LCM_LMS_DATABASE_URL``).

Enterprise customers (the LCM screen flag and the data-sharing-consent settings), the learners
linked to them, the learners' consent records and their enterprise course enrollments. They feed
the LCM page's eligibility rule, the hiding of learners' emails and the enrollments' ids
(``enterprise_enrollment_id``).

=================================== =============================================================
enterprise customers                full re-read every pass (small); rows the source no longer
                                    has are deleted
customer users, consent records,    ``modified`` − ``LCM_EXTRACT_TIME_OVERLAP_SECONDS`` (large)
enterprise course enrollments
=================================== =============================================================
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection, Select, select
from sqlalchemy.engine import URL
from sqlalchemy.sql.expression import TableClause

from lcm_etl.db import lms_source_url
from lcm_etl.ingest import extract
from lcm_etl.ingest.base import TableReader, TableSource, clause
from lcm_etl.ingest.land import LandingTable
from lcm_etl.schema import (
    raw_lms_consent,
    raw_lms_course_enrollment,
    raw_lms_customer,
    raw_lms_customer_user,
)
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
COURSE_ENROLLMENTS = LandingTable(
    SYSTEM,
    "enterprise_enterprisecourseenrollment",
    raw_lms_course_enrollment,
    watermark="modified",
    mark_column="modified",
)
TABLES = (CUSTOMERS, CUSTOMER_USERS, CONSENTS, COURSE_ENROLLMENTS)


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
            statement = _modified_since(reader, spec, table)
            if reader.targeted:
                statement = statement.where(table.c.enterprise_customer_id.in_(forms))
            reader.read(
                source, spec, statement, reader.check_enterprise(spec, "enterprise_customer_id")
            )
        if reader.available(source, (COURSE_ENROLLMENTS,)):
            reader.read(source, COURSE_ENROLLMENTS, self._course_enrollments(reader, forms))

    @staticmethod
    def _course_enrollments(reader: TableReader, forms: list[str]) -> Select[Any]:
        """The enterprise course enrollments (their ids are the enrollments' ids in the admin
        portal); they name no enterprise, so a targeted read goes through the customer users."""
        table = clause(COURSE_ENROLLMENTS.source_table, COURSE_ENROLLMENTS.columns, "ece")
        statement = _modified_since(reader, COURSE_ENROLLMENTS, table)
        if reader.targeted:
            users = clause(CUSTOMER_USERS.source_table, ("id", "enterprise_customer_id"), "ecu")
            statement = statement.where(
                table.c.enterprise_customer_user_id.in_(
                    select(users.c.id).where(users.c.enterprise_customer_id.in_(forms))
                )
            )
        return statement


def _modified_since(reader: TableReader, spec: LandingTable, table: TableClause) -> Select[Any]:
    """Every column of ``table``, from the pass's ``modified`` watermark on (all on a full read)."""
    statement = select(*table.c)
    since = reader.since(spec)
    if since is not None:
        statement = statement.where(table.c.modified >= extract.source_datetime(since))
    return statement


SOURCE = Lms()
