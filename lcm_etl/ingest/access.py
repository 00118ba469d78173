"""The enterprise-access source (ledger era, optional, ``LCM_ACCESS_DATABASE_URL``): budgets
(subsidy access policies), their enterprise-group links, assignment and Browse-and-Request
configurations, learner content assignments and their actions. See ``ledger.py`` for what both
ledger-era sources share, and docs/ledger.md for what the read model makes of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.engine import URL

from lcm_etl import convert
from lcm_etl.ingest.base import TableReader
from lcm_etl.ingest.land import LandingTable, Rejection
from lcm_etl.ingest.ledger import (
    ASSIGNMENT_STATES,
    POLICY_TYPES,
    POSITIVE_ASSIGNMENT_QUANTITY,
    UNKNOWN_ASSIGNMENT_STATE,
    UNKNOWN_POLICY_TYPE,
    Check,
    LedgerTableSource,
    modified_table,
)
from lcm_etl.ingest.subsidy import demo_or
from lcm_etl.schema import (
    raw_access_assignment,
    raw_access_assignment_action,
    raw_access_assignment_configuration,
    raw_access_policy,
    raw_access_policy_group,
    raw_access_request_configuration,
)
from lcm_etl.settings import Settings

SYSTEM = "access"
POLICIES = modified_table(SYSTEM, "subsidy_access_policy_subsidyaccesspolicy", raw_access_policy)
CONFIGURATIONS = modified_table(
    SYSTEM, "content_assignments_assignmentconfiguration", raw_access_assignment_configuration
)
REQUEST_CONFIGURATIONS = modified_table(
    SYSTEM, "subsidy_request_learnercreditrequestconfiguration", raw_access_request_configuration
)
GROUPS = modified_table(
    SYSTEM, "subsidy_access_policy_policygroupassociation", raw_access_policy_group
)
ASSIGNMENTS = modified_table(
    SYSTEM, "content_assignments_learnercontentassignment", raw_access_assignment
)
ACTIONS = modified_table(
    SYSTEM, "content_assignments_learnercontentassignmentaction", raw_access_assignment_action
)
TABLES = (POLICIES, CONFIGURATIONS, REQUEST_CONFIGURATIONS, GROUPS, ASSIGNMENTS, ACTIONS)


class Access(LedgerTableSource):
    name: ClassVar[str] = "access"
    tables: ClassVar[tuple[LandingTable, ...]] = TABLES
    reports_source: ClassVar[str | None] = SYSTEM
    variable: ClassVar[str] = "LCM_ACCESS_DATABASE_URL"
    uuid_columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "subsidy_access_policy_subsidyaccesspolicy": (
            "uuid",
            "catalog_uuid",
            "subsidy_uuid",
            "enterprise_customer_uuid",
            "assignment_configuration_id",
            "learner_credit_request_config_id",
        ),
        "content_assignments_assignmentconfiguration": ("uuid", "enterprise_customer_uuid"),
        "subsidy_request_learnercreditrequestconfiguration": ("uuid",),
        "subsidy_access_policy_policygroupassociation": (
            "enterprise_group_uuid",
            "subsidy_access_policy_id",
        ),
        "content_assignments_learnercontentassignment": (
            "uuid",
            "transaction_uuid",
            "assignment_configuration_id",
        ),
        "content_assignments_learnercontentassignmentaction": ("uuid", "assignment_id"),
    }
    rules: ClassVar[dict[str, tuple[tuple[str, frozenset[str], str], ...]]] = {
        "subsidy_access_policy_subsidyaccesspolicy": (
            ("policy_type", POLICY_TYPES, UNKNOWN_POLICY_TYPE),
        ),
        "content_assignments_learnercontentassignment": (
            ("state", ASSIGNMENT_STATES, UNKNOWN_ASSIGNMENT_STATE),
        ),
    }

    def url(self, settings: Settings) -> URL | None:
        return demo_or(settings, settings.access_database_url)

    def extra_check(self, reader: TableReader, spec: LandingTable) -> Check | None:
        if spec is not ASSIGNMENTS:
            return None
        index = spec.columns.index("content_quantity")

        def check(row: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, Rejection | None]:
            try:
                quantity = convert.to_int(row[index])
            except convert.BadValue:
                return row, None  # the lander rejects it as unreadable
            if quantity is not None and quantity > 0:
                return reader.reject(
                    spec,
                    row,
                    POSITIVE_ASSIGNMENT_QUANTITY,
                    f"content_quantity {quantity} is positive (assignments hold negative cents)",
                )
            return row, None

        return check


SOURCE = Access()
