"""The enterprise-subsidy source (ledger era, optional, ``LCM_SUBSIDY_DATABASE_URL``): subsidies
and the openedx-ledger tables that live in the same database — transactions, reversals,
deposits, adjustments, and the transactions' external (GEAG) references. See ``ledger.py`` for
what both ledger-era sources share, and docs/ledger.md for what the read model makes of them.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.engine import URL, make_url

from lcm_etl.db import normalize_url
from lcm_etl.ingest.land import LandingTable
from lcm_etl.ingest.ledger import (
    TRANSACTION_STATES,
    UNKNOWN_TRANSACTION_STATE,
    LedgerTableSource,
    modified_table,
)
from lcm_etl.schema import (
    raw_ledger_adjustment,
    raw_ledger_deposit,
    raw_ledger_external_reference,
    raw_ledger_reversal,
    raw_ledger_transaction,
    raw_subsidy,
)
from lcm_etl.settings import Settings

SYSTEM = "subsidy"
SUBSIDIES = modified_table(SYSTEM, "subsidy_subsidy", raw_subsidy)
TRANSACTIONS = modified_table(SYSTEM, "openedx_ledger_transaction", raw_ledger_transaction)
REVERSALS = modified_table(SYSTEM, "openedx_ledger_reversal", raw_ledger_reversal)
DEPOSITS = modified_table(SYSTEM, "openedx_ledger_deposit", raw_ledger_deposit)
ADJUSTMENTS = modified_table(SYSTEM, "openedx_ledger_adjustment", raw_ledger_adjustment)
EXTERNAL_REFERENCES = modified_table(
    SYSTEM, "openedx_ledger_externaltransactionreference", raw_ledger_external_reference
)
TABLES = (SUBSIDIES, TRANSACTIONS, REVERSALS, DEPOSITS, ADJUSTMENTS, EXTERNAL_REFERENCES)


def demo_or(settings: Settings, configured: str | None) -> URL | None:
    """A ledger-era source's URL: the variable when set; otherwise the demo SQLite file (which
    holds these tables next to the ecommerce ones) when the ecommerce source is that file."""
    if configured:
        return normalize_url(configured)
    if not settings.ecommerce_database_url and settings.demo_source_path.exists():
        return make_url(f"sqlite:///{settings.demo_source_path.resolve()}")
    return None


class Subsidy(LedgerTableSource):
    name: ClassVar[str] = "subsidy"
    tables: ClassVar[tuple[LandingTable, ...]] = TABLES
    reports_source: ClassVar[str | None] = SYSTEM
    variable: ClassVar[str] = "LCM_SUBSIDY_DATABASE_URL"
    uuid_columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "subsidy_subsidy": ("uuid", "enterprise_customer_uuid", "ledger_id"),
        "openedx_ledger_transaction": ("uuid", "ledger_id", "subsidy_access_policy_uuid"),
        "openedx_ledger_reversal": ("uuid", "transaction_id"),
        "openedx_ledger_deposit": ("uuid", "ledger_id", "transaction_id"),
        "openedx_ledger_adjustment": (
            "uuid",
            "ledger_id",
            "transaction_id",
            "transaction_of_interest_id",
        ),
        "openedx_ledger_externaltransactionreference": ("transaction_id",),
    }
    rules: ClassVar[dict[str, tuple[tuple[str, frozenset[str], str], ...]]] = {
        "openedx_ledger_transaction": (("state", TRANSACTION_STATES, UNKNOWN_TRANSACTION_STATE),),
    }
    # The services have had it since 2023; demo and bench files written before lcm-etl read it
    # have not, and their transactions simply have no external reference.
    optional_tables: ClassVar[frozenset[str]] = frozenset(
        {"openedx_ledger_externaltransactionreference"}
    )

    def url(self, settings: Settings) -> URL | None:
        return demo_or(settings, settings.subsidy_database_url)


SOURCE = Subsidy()
