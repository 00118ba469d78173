"""Migration 0002's eligibility tables: unlogged like the other landing tables, and reversible on
their own. (That the migrations build exactly the declared schema is test_migrations.py's.)"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from lcm_etl import migrate
from lcm_etl.db import make_engine
from lcm_etl.schema import (
    enterprise_eligibility,
    raw_coupon_offer,
    raw_coupon_voucher,
    raw_lm_agreement,
    raw_lm_plan,
    raw_lms_consent,
    raw_lms_customer,
    raw_lms_customer_user,
)

ELIGIBILITY_TABLES = {
    t.name
    for t in (
        raw_lms_customer,
        raw_lms_customer_user,
        raw_lms_consent,
        raw_lm_agreement,
        raw_lm_plan,
        raw_coupon_offer,
        raw_coupon_voucher,
        enterprise_eligibility,
    )
}


def test_the_landing_tables_are_unlogged_like_the_others(engine: Engine) -> None:
    with engine.connect() as conn:
        persistence: dict[str, str] = dict(
            conn.execute(
                text(
                    "SELECT relname, relpersistence FROM pg_class "
                    "WHERE relnamespace = 'lcm_raw'::regnamespace AND relkind = 'r'"
                )
            ).all()
        )
    landing = ELIGIBILITY_TABLES - {enterprise_eligibility.name}
    assert {name: persistence[name] for name in landing} == dict.fromkeys(landing, "u")


def test_migration_0002_downgrades_and_upgrades_again(empty_database_url) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0002")
        assert _tables(engine) >= ELIGIBILITY_TABLES
        migrate.downgrade(engine, "0001")
        assert not ELIGIBILITY_TABLES & _tables(engine)
        migrate.upgrade(engine)
        assert _tables(engine) >= ELIGIBILITY_TABLES
    finally:
        engine.dispose()


def _tables(engine: Engine) -> set[str]:
    inspector = inspect(engine)
    return set(inspector.get_table_names("lcm")) | set(inspector.get_table_names("lcm_raw"))
