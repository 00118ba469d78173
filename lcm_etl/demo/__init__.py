"""The deterministic demo source: ``lcm-etl demo-source``.

``generate`` writes an ecommerce source (offers, orders, discounts, refunds, coupons, users,
courses), the LMS enterprise tables and the license-manager subscription tables into one database
(SQLite by default, or any SQLAlchemy URL). The same seed gives byte-identical tables.
``apply_changes`` then mutates it like an hour of live ecommerce traffic, for incremental passes.

Showcase enterprises have fixed UUIDs (the constants below; stored as 32-hex ``char(32)`` in the
source, like Django on MySQL).
"""

from lcm_etl.demo.change_state import ChangeSummary
from lcm_etl.demo.changes import apply_changes
from lcm_etl.demo.plan import (
    ANCHOR,
    LMS_USER_ID_OFFSET,
    SCALES,
    SHOWCASE_COUPON_ENTERPRISE,
    SHOWCASE_DEPLETED_ENTERPRISE,
    SHOWCASE_HEALTHY_ENTERPRISE,
    SHOWCASE_LARGE_ENTERPRISE,
    SHOWCASE_LOW_BALANCE_ENTERPRISE,
    SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE,
    SHOWCASE_NOT_FCFS_ENTERPRISE,
    SHOWCASE_SCREEN_DISABLED_ENTERPRISE,
    SHOWCASE_SUBSCRIPTION_ENTERPRISE,
    SHOWCASE_TWO_OFFERS_ENTERPRISE,
    SHOWCASE_UNCAPPED_ENTERPRISE,
    SHOWCASES,
    ScaleSpec,
    Showcase,
)
from lcm_etl.demo.source import DemoSummary, OfferFacts, ShowcaseFacts, generate
from lcm_etl.demo.writer import DEMO_TABLES, DemoSourceError

__all__ = [
    "ANCHOR",
    "DEMO_TABLES",
    "LMS_USER_ID_OFFSET",
    "SCALES",
    "SHOWCASES",
    "SHOWCASE_COUPON_ENTERPRISE",
    "SHOWCASE_DEPLETED_ENTERPRISE",
    "SHOWCASE_HEALTHY_ENTERPRISE",
    "SHOWCASE_LARGE_ENTERPRISE",
    "SHOWCASE_LOW_BALANCE_ENTERPRISE",
    "SHOWCASE_NOT_FCFS_ENTERPRISE",
    "SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE",
    "SHOWCASE_SCREEN_DISABLED_ENTERPRISE",
    "SHOWCASE_SUBSCRIPTION_ENTERPRISE",
    "SHOWCASE_TWO_OFFERS_ENTERPRISE",
    "SHOWCASE_UNCAPPED_ENTERPRISE",
    "ChangeSummary",
    "DemoSourceError",
    "DemoSummary",
    "OfferFacts",
    "ScaleSpec",
    "Showcase",
    "ShowcaseFacts",
    "apply_changes",
    "generate",
]
