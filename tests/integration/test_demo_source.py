"""The demo source as written to real databases: every case is present and checkable with plain
SQL over the source; same seed, same bytes; the real MariaDB DDL accepts what we write."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL, make_url

from lcm_etl import demo
from lcm_etl.db import make_engine
from lcm_etl.demo import plan as p
from lcm_etl.demo.planning import build_plan
from lcm_etl.demo.writer import DEMO_TABLES
from lcm_etl.ingest.sources import ecommerce

DDL_DIR = Path(__file__).resolve().parents[2] / "lcm_etl" / "ingest" / "sources" / "ddl"
SEED = 7


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, demo.DemoSummary]:
    """One scale-S source for the read-only checks."""
    url = _sqlite_url(tmp_path_factory.mktemp("demo") / "source.sqlite")
    return url, demo.generate(url, seed=SEED, scale="S", replace=True)


@pytest.fixture
def db(source: tuple[str, demo.DemoSummary]) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(make_url(source[0]).database or "")
    yield conn
    conn.close()


def _one(db: sqlite3.Connection, sql: str, *params: Any) -> Any:
    return db.execute(sql, params).fetchone()[0]


def _hex(enterprise: str) -> str:
    return uuid.UUID(enterprise).hex


# Net spend of each learner-credit offer, computed from the source rows alone: discounts of
# Complete orders (a conflicting duplicate counted once), minus the discount share of every line of
# a Complete refund. And ecommerce's own counter: minus full-order Complete refunds only.
OFFER_SPEND_SQL = """
WITH redemption AS (
    SELECT d.offer_id, d.order_id, MIN(d.id) AS discount_id
    FROM order_orderdiscount d JOIN order_order o ON o.id = d.order_id
    WHERE o.status = 'Complete' AND d.amount > 0
    GROUP BY d.offer_id, d.order_id
), refund AS (
    SELECT r.id, r.order_id,
           (SELECT COUNT(*) FROM refund_refundline x WHERE x.refund_id = r.id)
             = (SELECT COUNT(*) FROM order_line l WHERE l.order_id = r.order_id) AS is_full
    FROM refund_refund r WHERE r.status = 'Complete'
), spend AS (
    SELECT red.offer_id, COUNT(*) AS orders, SUM(d.amount) AS gross,
           SUM(CASE WHEN EXISTS (SELECT 1 FROM refund f WHERE f.order_id = red.order_id
                                 AND f.is_full) THEN d.amount ELSE 0 END) AS credited,
           SUM(CASE WHEN EXISTS (SELECT 1 FROM refund f WHERE f.order_id = red.order_id
                                 AND f.is_full) THEN 1 ELSE 0 END) AS credited_orders
    FROM redemption red JOIN order_orderdiscount d ON d.id = red.discount_id
    GROUP BY red.offer_id
), reversed AS (
    SELECT red.offer_id,
           SUM(l.line_price_before_discounts_excl_tax - l.line_price_excl_tax) AS amount
    FROM redemption red
    JOIN refund f ON f.order_id = red.order_id
    JOIN refund_refundline rl ON rl.refund_id = f.id
    JOIN order_line l ON l.id = rl.order_line_id
    GROUP BY red.offer_id
)
SELECT o.id, c.enterprise_customer_uuid, o.max_discount, o.total_discount, o.num_orders,
       ROUND(COALESCE(s.gross, 0) - COALESCE(v.amount, 0), 2) AS net,
       ROUND(COALESCE(s.gross, 0) - COALESCE(s.credited, 0), 2) AS counter,
       COALESCE(s.orders, 0) - COALESCE(s.credited_orders, 0) AS counted_orders
FROM offer_conditionaloffer o
JOIN offer_condition c ON c.id = o.condition_id
LEFT JOIN spend s ON s.offer_id = o.id
LEFT JOIN reversed v ON v.offer_id = o.id
WHERE o.offer_type = 'Site'
  AND c.proxy_class = 'ecommerce.enterprise.conditions.EnterpriseCustomerCondition'
  AND c.enterprise_customer_uuid IS NOT NULL
ORDER BY o.id
"""


def _offer_spend(db: sqlite3.Connection) -> list[sqlite3.Row]:
    db.row_factory = sqlite3.Row
    try:
        return db.execute(OFFER_SPEND_SQL).fetchall()
    finally:
        db.row_factory = None


def _current_offers(db: sqlite3.Connection, enterprise: str, now: str) -> list[tuple[Any, ...]]:
    return db.execute(
        """SELECT o.id, b.proxy_class, b.value, o.max_user_applications, o.max_user_discount
           FROM offer_conditionaloffer o
           JOIN offer_condition c ON c.id = o.condition_id
           JOIN offer_benefit b ON b.id = o.benefit_id
           WHERE c.enterprise_customer_uuid = ? AND o.offer_type = 'Site'
             AND c.proxy_class = 'ecommerce.enterprise.conditions.EnterpriseCustomerCondition'
             AND (o.start_datetime IS NULL OR o.start_datetime <= ?)
             AND (o.end_datetime IS NULL OR o.end_datetime >= ?)""",
        (_hex(enterprise), now, now),
    ).fetchall()


NOW = "2026-11-24 00:00:00"


# --- determinism ----------------------------------------------------------------------------------
def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_same_seed_gives_byte_identical_tables_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", SEED), ("b", SEED), ("c", SEED + 1)):
        demo.generate(_sqlite_url(tmp_path / f"{name}.sqlite"), seed=seed, scale="S", replace=True)
    first, again, other = (_dump(tmp_path / f"{n}.sqlite") for n in "abc")

    assert len(first) > 20_000
    assert first == again
    assert first != other
    differing = {
        line.split('"')[1] for line in set(first) ^ set(other) if line.startswith("INSERT")
    }
    assert {"order_order", "order_orderdiscount", "offer_conditionaloffer"} <= differing


def test_replace_recreates_the_tables_and_without_replace_rows_are_never_overwritten(
    tmp_path: Path,
) -> None:
    url = _sqlite_url(tmp_path / "source.sqlite")
    demo.generate(url, seed=1, scale="S", replace=True)
    summary = demo.generate(url, seed=SEED, scale="S", replace=True)
    assert summary.table_counts["order_order"] == _max(url, "SELECT COUNT(*) FROM order_order")

    with pytest.raises(demo.DemoSourceError, match=r"already holds rows.*replace=True"):
        demo.generate(url, seed=SEED, scale="S", replace=False)


# --- what the source contains ---------------------------------------------------------------------
def test_counts_match_the_summary(
    db: sqlite3.Connection, source: tuple[str, demo.DemoSummary]
) -> None:
    summary = source[1]
    for table in DEMO_TABLES:
        assert _one(db, f'SELECT COUNT(*) FROM "{table.name}"') == summary.table_counts[table.name]
    assert _one(db, "SELECT COUNT(*) FROM enterprise_enterprisecustomer") == 50
    assert len(_offer_spend(db)) == 70 + 1  # + the bad offer whose end is before its start


def test_redemptions_are_exactly_the_scale_size(
    db: sqlite3.Connection, source: tuple[str, demo.DemoSummary]
) -> None:
    summary = source[1]
    bad_orders = {row.order_id for row in summary.bad_rows if row.order_id is not None}
    spend = _offer_spend(db)
    lcm_offers = ",".join(str(row["id"]) for row in spend)
    clean = db.execute(
        f"""SELECT COUNT(DISTINCT d.order_id) FROM order_orderdiscount d
            JOIN order_order o ON o.id = d.order_id
            WHERE o.status = 'Complete' AND d.offer_id IN ({lcm_offers})
              AND d.order_id NOT IN ({",".join(map(str, bad_orders))})"""
    ).fetchone()[0]
    assert clean == summary.redemptions == 5_000


def test_ecommerce_counters_credit_full_refunds_only(db: sqlite3.Connection) -> None:
    rows = _offer_spend(db)
    for row in rows:
        assert Decimal(str(row["total_discount"])) == Decimal(str(row["counter"])), row["id"]
        assert row["num_orders"] == row["counted_orders"], row["id"]
    # Partial refunds are the drift between ecommerce's counter and the net spend.
    assert any(row["counter"] > row["net"] for row in rows)


def test_orders_cover_pending_multi_line_and_both_refund_kinds(db: sqlite3.Connection) -> None:
    assert _one(db, "SELECT COUNT(*) FROM order_order WHERE status = 'Pending'") > 10
    pending_with_discount = _one(
        db,
        """SELECT COUNT(*) FROM order_order o JOIN order_orderdiscount d ON d.order_id = o.id
           WHERE o.status = 'Pending' AND d.amount > 0""",
    )
    assert pending_with_discount > 10
    line_counts = dict(
        db.execute(
            """SELECT n, COUNT(*) FROM (SELECT order_id, COUNT(*) AS n FROM order_line
               GROUP BY order_id) GROUP BY n"""
        ).fetchall()
    )
    assert set(line_counts) == {1, 2, 3}
    assert line_counts[2] + line_counts[3] > 0.03 * line_counts[1]
    refund_kinds = dict(
        db.execute(
            """SELECT CASE WHEN (SELECT COUNT(*) FROM refund_refundline x WHERE x.refund_id = r.id)
                             = (SELECT COUNT(*) FROM order_line l WHERE l.order_id = r.order_id)
                      THEN 'full' ELSE 'partial' END || ' ' || r.status, COUNT(*)
               FROM refund_refund r GROUP BY 1"""
        ).fetchall()
    )
    assert refund_kinds["full Complete"] > 0
    assert refund_kinds["partial Complete"] > 0
    assert refund_kinds.get("full Open", 0) + refund_kinds.get("partial Open", 0) > 0
    assert refund_kinds.get("full Denied", 0) + refund_kinds.get("partial Denied", 0) > 0
    redemptions = _one(db, "SELECT COUNT(*) FROM order_order WHERE status = 'Complete'")
    assert 0.012 < refund_kinds["full Complete"] / redemptions < 0.035
    # Refund lines carry the refund's status, and money goes back only for what was paid.
    assert (
        _one(
            db,
            """SELECT COUNT(*) FROM refund_refundline rl JOIN refund_refund r ON r.id = rl.refund_id
               WHERE rl.status <> r.status""",
        )
        == 0
    )


def test_prices_discounts_and_order_totals_add_up(db: sqlite3.Connection) -> None:
    # Each line: list price - discount share = price paid; order total = sum of lines paid.
    mismatched = _one(
        db,
        """SELECT COUNT(*) FROM (
             SELECT o.id, o.total_excl_tax, SUM(l.line_price_excl_tax) AS paid,
                    SUM(l.line_price_before_discounts_excl_tax) AS listed,
                    (SELECT SUM(amount) FROM order_orderdiscount d WHERE d.order_id = o.id) AS off
             FROM order_order o JOIN order_line l ON l.order_id = o.id GROUP BY o.id)
           WHERE ROUND(total_excl_tax - paid, 2) <> 0
              OR (off IS NOT NULL AND off > 0 AND ROUND(listed - paid - off, 2) <> 0
                  AND id NOT IN (SELECT order_id FROM order_orderdiscount
                                 GROUP BY order_id HAVING COUNT(*) > 1))""",
    )
    assert mismatched == 0
    # Percentage < 100 and Absolute offers leave something for the learner to pay.
    partial_pay = db.execute(
        """SELECT b.proxy_class, b.value, COUNT(*) FROM order_orderdiscount d
           JOIN order_order o ON o.id = d.order_id
           JOIN offer_conditionaloffer f ON f.id = d.offer_id
           JOIN offer_benefit b ON b.id = f.benefit_id
           WHERE o.total_excl_tax > 0 AND f.offer_type = 'Site' AND b.proxy_class IS NOT NULL
           GROUP BY 1, 2"""
    ).fetchall()
    paying = {proxy.rsplit(".", 1)[1] for proxy, _, _ in partial_pay}
    assert paying == {"EnterprisePercentageDiscountBenefit", "EnterpriseAbsoluteDiscountBenefit"}
    assert all(value < 100 for proxy, value, _ in partial_pay if "Percentage" in proxy)


def test_offer_rows_look_like_ecommerce_enterprise_offers(db: sqlite3.Connection) -> None:
    rows = db.execute(
        """SELECT o.name, o.slug, o.status, o.priority, o.max_basket_applications, c.type,
                  c.enterprise_customer_name, c.enterprise_customer_catalog_uuid,
                  c.enterprise_customer_uuid, b.proxy_class, o.total_discount, o.max_discount
           FROM offer_conditionaloffer o JOIN offer_condition c ON c.id = o.condition_id
           JOIN offer_benefit b ON b.id = o.benefit_id
           WHERE o.offer_type = 'Site' AND c.enterprise_customer_uuid IS NOT NULL"""
    ).fetchall()
    assert len(rows) == 71
    names = [row[0] for row in rows]
    assert len(set(names)) == len(names)
    assert len({row[1] for row in rows}) == len(rows)
    for (
        name,
        _,
        status,
        priority,
        per_basket,
        ctype,
        ent_name,
        catalog,
        ent,
        proxy,
        total,
        cap,
    ) in rows:
        assert (
            name == f"Discount of type Site provided by {ent_name[:48]} for {uuid.UUID(catalog)}."
        )
        assert re.fullmatch(r"[0-9a-f]{32}", ent)
        assert (priority, per_basket, ctype) == (10, 1, "")
        assert proxy.startswith("ecommerce.enterprise.benefits.Enterprise")
        assert status == ("Consumed" if cap is not None and total >= cap else "Open")
    assert {row[2] for row in rows} == {"Open", "Consumed"}
    # Dates are fixed: no order after the anchor; offers current for years, ended, future.
    assert _one(db, "SELECT MAX(date_placed) FROM order_order") < "2026-11-01"
    assert _one(db, "SELECT MAX(modified) FROM refund_refund") <= "2026-11-01"
    ends = [row[0] for row in db.execute("SELECT end_datetime FROM offer_conditionaloffer")]
    assert any(end is None for end in ends) or any(end >= "2035" for end in ends if end)
    assert any(end and end < "2026" for end in ends)
    assert _one(db, "SELECT COUNT(*) FROM offer_conditionaloffer WHERE start_datetime >= '2036'")


def test_every_bad_row_class_is_present_once_in_its_own_order(
    db: sqlite3.Connection, source: tuple[str, demo.DemoSummary]
) -> None:
    summary = source[1]
    kinds = {row.kind: row for row in summary.bad_rows}
    assert set(kinds) == {
        "offer_without_enterprise",
        "discount_null_amount",
        "discount_negative_amount",
        "discount_unknown_offer",
        "line_without_product",
        "line_course_missing",
        "offer_end_before_start",
        "discount_conflicting_duplicate",
    }
    assert (
        _one(
            db,
            """SELECT COUNT(*) FROM offer_conditionaloffer o JOIN offer_condition c
               ON c.id = o.condition_id WHERE o.offer_type = 'Site'
               AND c.proxy_class = 'ecommerce.enterprise.conditions.EnterpriseCustomerCondition'
               AND c.enterprise_customer_uuid IS NULL""",
        )
        == 1
    )
    assert _one(db, "SELECT COUNT(*) FROM order_orderdiscount WHERE amount IS NULL") == 1
    assert _one(db, "SELECT COUNT(*) FROM order_orderdiscount WHERE amount < 0") == 1
    assert (
        _one(
            db,
            """SELECT COUNT(*) FROM order_orderdiscount d WHERE d.offer_id NOT IN
               (SELECT id FROM offer_conditionaloffer)""",
        )
        == 1
    )
    assert _one(db, "SELECT COUNT(*) FROM order_line WHERE product_id IS NULL") == 1
    assert (
        _one(
            db,
            """SELECT COUNT(*) FROM order_line l JOIN catalogue_product p ON p.id = l.product_id
               WHERE p.course_id IS NULL""",
        )
        == 1
    )
    assert (
        _one(db, "SELECT COUNT(*) FROM offer_conditionaloffer WHERE end_datetime < start_datetime")
        == 1
    )
    duplicates = db.execute(
        """SELECT order_id, offer_id, COUNT(DISTINCT amount) FROM order_orderdiscount
           GROUP BY order_id, offer_id HAVING COUNT(*) > 1"""
    ).fetchall()
    assert len(duplicates) == 1
    assert duplicates[0][2] == 2
    # Each bad order holds exactly one defect: one line, and no showcase enterprise owns it.
    bad_orders = [row.order_id for row in summary.bad_rows if row.order_id is not None]
    assert len(bad_orders) == len(set(bad_orders)) == 6
    host = next(e for e in build_plan(SEED, p.SCALES["S"]).enterprises if e.hosts_bad_rows)
    assert host.showcase is None
    for order_id in bad_orders:
        assert _one(db, "SELECT COUNT(*) FROM order_line WHERE order_id = ?", order_id) == 1
        owner = _one(
            db,
            """SELECT u.email FROM order_order o JOIN ecommerce_user u ON u.id = o.user_id
               WHERE o.id = ?""",
            order_id,
        )
        assert owner.endswith(f"@{host.domain}")


def test_coupons_and_non_enterprise_noise(db: sqlite3.Connection) -> None:
    wayne = _hex(demo.SHOWCASE_COUPON_ENTERPRISE)
    active_codes = _one(
        db,
        """SELECT COUNT(*) FROM voucher_voucher v
           JOIN voucher_voucher_offers vo ON vo.voucher_id = v.id
           JOIN offer_conditionaloffer o ON o.id = vo.conditionaloffer_id
           JOIN offer_condition c ON c.id = o.condition_id
           WHERE o.offer_type = 'Voucher' AND c.enterprise_customer_uuid = ?
             AND c.proxy_class =
                 'ecommerce.enterprise.conditions.AssignableEnterpriseCustomerCondition'
             AND v.start_datetime <= ? AND v.end_datetime >= ?""",
        wayne,
        NOW,
        NOW,
    )
    assert active_codes >= 10
    coupon_redemptions = db.execute(
        """SELECT d.voucher_code, v.code FROM order_orderdiscount d
           JOIN voucher_voucher v ON v.id = d.voucher_id
           JOIN offer_conditionaloffer o ON o.id = d.offer_id WHERE o.offer_type = 'Voucher'"""
    ).fetchall()
    assert len(coupon_redemptions) >= 6
    assert all(code == voucher for code, voucher in coupon_redemptions)
    assert _one(db, "SELECT COUNT(*) FROM order_orderdiscount WHERE voucher_id IS NULL "
                    "AND voucher_code <> ''") == 0  # fmt: skip
    # A plain Site offer without an enterprise condition, with redemptions, and full-price orders.
    noise = _one(
        db,
        """SELECT COUNT(*) FROM order_orderdiscount d JOIN offer_conditionaloffer o
           ON o.id = d.offer_id JOIN offer_condition c ON c.id = o.condition_id
           WHERE o.offer_type = 'Site' AND c.enterprise_customer_uuid IS NULL
             AND c.proxy_class IS NULL""",
    )
    assert noise >= 10
    assert (
        _one(
            db,
            """SELECT COUNT(*) FROM order_order o WHERE NOT EXISTS
               (SELECT 1 FROM order_orderdiscount d WHERE d.order_id = o.id)""",
        )
        >= 10
    )


# --- showcases, by plain SQL over the source ------------------------------------------------------
def _offer_of(db: sqlite3.Connection, enterprise: str) -> sqlite3.Row:
    rows = [row for row in _offer_spend(db) if row["enterprise_customer_uuid"] == _hex(enterprise)]
    assert len(rows) == 1
    return rows[0]


def test_acme_is_eligible_and_low_on_balance(
    db: sqlite3.Connection, source: tuple[str, demo.DemoSummary]
) -> None:
    acme = _offer_of(db, demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
    maximum, net = Decimal(str(acme["max_discount"])), Decimal(str(acme["net"]))
    assert Decimal("0.80") < net / maximum < Decimal("0.90")
    assert maximum - net > 100
    facts = source[1].showcase(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE).offers[0]
    assert (facts.net_spend, facts.max_discount, facts.balance_state) == (net, maximum, "low")
    # Eligible: one current FCFS org-wide offer, flag on, no subscription, no coupon.
    current = _current_offers(db, demo.SHOWCASE_LOW_BALANCE_ENTERPRISE, NOW)
    assert len(current) == 1
    assert current[0][1].endswith("EnterprisePercentageDiscountBenefit")
    assert current[0][2:] == (100, None, None)
    hex_ = _hex(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
    flags = db.execute(
        """SELECT enable_portal_learner_credit_management_screen, enable_data_sharing_consent,
                  enforce_data_sharing_consent FROM enterprise_enterprisecustomer WHERE uuid = ?""",
        (hex_,),
    ).fetchone()
    assert flags == (1, 1, "at_enrollment")
    assert _one(db, "SELECT COUNT(*) FROM subscriptions_customeragreement "
                    "WHERE enterprise_customer_uuid = ?", hex_) == 0  # fmt: skip
    assert _one(db, "SELECT COUNT(*) FROM offer_condition WHERE enterprise_customer_uuid = ? "
                    "AND proxy_class LIKE '%Assignable%'", hex_) == 0  # fmt: skip
    # ~2.5 % of its learners declined data sharing.
    learners, declined = db.execute(
        """SELECT COUNT(DISTINCT username), COUNT(DISTINCT CASE WHEN granted = 0 THEN username END)
           FROM consent_datasharingconsent WHERE enterprise_customer_id = ?""",
        (hex_,),
    ).fetchone()
    assert learners > 80
    assert 0.015 <= declined / learners <= 0.035


def test_showcase_balance_states(db: sqlite3.Connection) -> None:
    depleted = _offer_of(db, demo.SHOWCASE_DEPLETED_ENTERPRISE)
    remaining = Decimal(str(depleted["max_discount"])) - Decimal(str(depleted["net"]))
    assert remaining < 0  # overspent: raw remaining negative
    assert Decimal(str(depleted["total_discount"])) >= Decimal(str(depleted["max_discount"]))
    assert _one(db, "SELECT status FROM offer_conditionaloffer WHERE id = ?", depleted["id"]) == (
        "Consumed"
    )
    assert _offer_of(db, demo.SHOWCASE_UNCAPPED_ENTERPRISE)["max_discount"] is None
    healthy = _offer_of(db, demo.SHOWCASE_HEALTHY_ENTERPRISE)
    assert Decimal(str(healthy["net"])) / Decimal(str(healthy["max_discount"])) <= Decimal("0.75")
    # Hooli's Open and Denied refunds exist and do not reduce its spend.
    statuses = {
        row[0]
        for row in db.execute(
            """SELECT r.status FROM refund_refund r JOIN order_orderdiscount d
               ON d.order_id = r.order_id WHERE d.offer_id = ?""",
            (healthy["id"],),
        )
    }
    assert {"Open", "Denied", "Complete"} <= statuses


def test_eligibility_showcases(db: sqlite3.Connection) -> None:
    def plans(enterprise: str, now: str) -> int:
        return int(
            _one(
                db,
                """SELECT COUNT(*) FROM subscriptions_subscriptionplan s
                   JOIN subscriptions_customeragreement a ON a.uuid = s.customer_agreement_id
                   WHERE a.enterprise_customer_uuid = ? AND s.is_active = 1
                     AND s.start_date <= ? AND s.expiration_date >= ?""",
                _hex(enterprise),
                now,
                now,
            )
        )

    assert plans(demo.SHOWCASE_SUBSCRIPTION_ENTERPRISE, NOW) == 1
    assert plans(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE, NOW) == 0
    # Elsewhere: an expired plan and an inactive plan never count as active.
    kinds = db.execute(
        """SELECT s.is_active, s.expiration_date < ? FROM subscriptions_subscriptionplan s
           JOIN subscriptions_customeragreement a ON a.uuid = s.customer_agreement_id
           WHERE a.enterprise_customer_uuid NOT LIKE 'a11ce000%'""",
        (NOW,),
    ).fetchall()
    assert (0, 0) in kinds
    assert (1, 1) in kinds
    flag = _one(
        db,
        "SELECT enable_portal_learner_credit_management_screen FROM enterprise_enterprisecustomer "
        "WHERE uuid = ?",
        _hex(demo.SHOWCASE_SCREEN_DISABLED_ENTERPRISE),
    )
    assert flag == 0
    assert len(_current_offers(db, demo.SHOWCASE_TWO_OFFERS_ENTERPRISE, NOW)) == 2
    tyrell = _current_offers(db, demo.SHOWCASE_NOT_FCFS_ENTERPRISE, NOW)
    assert len(tyrell) == 1
    assert tyrell[0][2] < 100
    tyrell_paid = _one(
        db,
        """SELECT MIN(o.total_excl_tax) FROM order_order o JOIN order_orderdiscount d
           ON d.order_id = o.id WHERE d.offer_id = ?""",
        tyrell[0][0],
    )
    assert tyrell_paid > 0
    massive = _hex(demo.SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE)
    assert not _current_offers(db, demo.SHOWCASE_NO_CURRENT_OFFER_ENTERPRISE, NOW)
    windows = db.execute(
        """SELECT o.start_datetime, o.end_datetime, o.num_orders FROM offer_conditionaloffer o
           JOIN offer_condition c ON c.id = o.condition_id
           WHERE c.enterprise_customer_uuid = ? ORDER BY o.start_datetime""",
        (massive,),
    ).fetchall()
    assert len(windows) == 2
    assert windows[0][1] < "2026"
    assert windows[0][2] > 0
    assert windows[1][0] >= "2036"
    assert windows[1][2] == 0


def test_learners_exist_in_ecommerce_and_the_lms(db: sqlite3.Connection) -> None:
    mismatched = _one(
        db,
        """SELECT COUNT(*) FROM ecommerce_user e JOIN auth_user a ON a.id = e.lms_user_id
           WHERE a.username <> e.username OR a.email <> e.email""",
    )
    assert mismatched == 0
    assert _one(db, "SELECT COUNT(*) FROM ecommerce_user WHERE lms_user_id IS NULL") > 0
    assert _one(db, "SELECT COUNT(*) FROM ecommerce_user WHERE lms_user_id = id") == 0
    assert _one(db, "SELECT COUNT(*) FROM enterprise_enterprisecustomeruser WHERE linked = 0") > 0
    # Consent is keyed by username + course run + enterprise, for the courses learners bought.
    orphans = _one(
        db,
        """SELECT COUNT(*) FROM consent_datasharingconsent s
           WHERE NOT EXISTS (SELECT 1 FROM auth_user a WHERE a.username = s.username)
              OR NOT EXISTS (SELECT 1 FROM courses_course c WHERE c.id = s.course_id)""",
    )
    assert orphans == 0
    assert _one(db, "SELECT COUNT(*) FROM consent_datasharingconsent WHERE granted IS NULL") > 0
    managed = _one(
        db,
        """SELECT COUNT(*) FROM consent_datasharingconsent s JOIN enterprise_enterprisecustomer e
           ON e.uuid = s.enterprise_customer_id
           WHERE e.enforce_data_sharing_consent = 'externally_managed'
              OR e.enable_data_sharing_consent = 0""",
    )
    assert managed == 0
    assert (
        _one(
            db,
            "SELECT enforce_data_sharing_consent FROM enterprise_enterprisecustomer WHERE uuid = ?",
            _hex(demo.SHOWCASE_HEALTHY_ENTERPRISE),
        )
        == "externally_managed"
    )


def test_describe_names_the_showcases_and_the_bad_rows(
    source: tuple[str, demo.DemoSummary],
) -> None:
    text_ = source[1].describe()
    for showcase in demo.SHOWCASES:
        assert showcase.uuid in text_
        assert showcase.name in text_
    for bad in source[1].bad_rows:
        assert bad.kind in text_
    assert "order_orderdiscount" in text_
    assert "5,000 redemptions" in text_


# --- a tiny scale shaped like L (the real L is measured by `lcm-etl bench`, never in tests) -------
def test_a_scaled_down_l_keeps_exact_counts_and_the_skew(tmp_path: Path) -> None:
    spec = p.ScaleSpec("tiny-L", enterprises=60, offers=72, redemptions=20_000, courses=60)
    summary = demo.generate(
        _sqlite_url(tmp_path / "l.sqlite"), seed=3, scale="L", replace=True, _scale_spec=spec
    )

    assert summary.enterprises == 60
    assert summary.learner_credit_offers == 72
    assert summary.redemptions == 20_000
    largest = summary.largest_enterprises
    assert largest[0] == (demo.SHOWCASE_LARGE_ENTERPRISE, "Globex Corporation", 1_500)
    assert [r for _, _, r in largest[1:3]] == [1_200, 1_000]
    complete_refunds = summary.refunds["Complete full"] + summary.refunds["Complete partial"]
    assert 0.015 < complete_refunds / summary.redemptions < 0.026


# --- apply_changes --------------------------------------------------------------------------------
def _copy(source: tuple[str, demo.DemoSummary], path: Path) -> str:
    conn = sqlite3.connect(make_url(source[0]).database or "")
    target = sqlite3.connect(path)
    conn.backup(target)
    conn.close()
    target.close()
    return _sqlite_url(path)


def _max(url: str, sql: str) -> Any:
    conn = sqlite3.connect(make_url(url).database or "")
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_apply_changes_adds_orders_refunds_completions_and_top_ups(
    source: tuple[str, demo.DemoSummary], tmp_path: Path
) -> None:
    url = _copy(source, tmp_path / "changed.sqlite")
    before_order = _max(url, "SELECT MAX(id) FROM order_order")
    before_refund = _max(url, "SELECT MAX(id) FROM refund_refund")
    before_time = _max(url, "SELECT MAX(modified) FROM refund_refund")
    pending = _max(url, "SELECT COUNT(*) FROM order_order WHERE status = 'Pending'")

    changes = demo.apply_changes(url, seed=3, fraction=0.02)

    assert len(changes.new_orders) > 20
    assert min(changes.new_orders) == before_order + 1
    assert changes.completed_orders
    assert changes.full_refunds
    assert changes.partial_refunds
    assert min(changes.full_refunds + changes.partial_refunds) > before_refund
    assert len(changes.top_ups) == 2
    for _, old, new in changes.top_ups:
        assert new > old
    assert changes.window_start > dt.datetime.fromisoformat(before_time)
    assert changes.enterprise_uuids
    assert "new orders" in changes.describe()

    conn = sqlite3.connect(make_url(url).database or "")
    try:
        placed = conn.execute(
            f"SELECT MIN(date_placed), COUNT(*) FROM order_order WHERE id > {before_order}"
        ).fetchone()
        assert placed[0] > before_time
        assert placed[1] == len(changes.new_orders)
        assert _one(conn, "SELECT COUNT(*) FROM order_order WHERE status = 'Pending'") == (
            pending - len(changes.completed_orders)
        )
        fresh = _one(conn, f"SELECT MIN(modified) FROM refund_refund WHERE id > {before_refund}")
        assert fresh > before_time
        for offer_id, _, new in changes.top_ups:
            cap = _one(
                conn, "SELECT max_discount FROM offer_conditionaloffer WHERE id = ?", offer_id
            )
            assert Decimal(str(cap)) == new
        # ecommerce's counters still follow its own rule after the changes.
        for row in _offer_spend(conn):
            assert Decimal(str(row["total_discount"])) == Decimal(str(row["counter"])), row["id"]
            assert row["num_orders"] == row["counted_orders"], row["id"]
        # New enrollments at customers that request consent got a consent record.
        missing = _one(
            conn,
            f"""SELECT COUNT(*) FROM order_order o
                JOIN order_line l ON l.order_id = o.id
                JOIN catalogue_product p ON p.id = l.product_id
                JOIN ecommerce_user u ON u.id = o.user_id
                JOIN order_orderdiscount d ON d.order_id = o.id
                JOIN offer_conditionaloffer f ON f.id = d.offer_id
                JOIN offer_condition c ON c.id = f.condition_id
                JOIN enterprise_enterprisecustomer e ON e.uuid = c.enterprise_customer_uuid
                WHERE o.id > {before_order} AND e.enable_data_sharing_consent = 1
                  AND e.enforce_data_sharing_consent = 'at_enrollment'
                  AND NOT EXISTS (SELECT 1 FROM consent_datasharingconsent s
                                  WHERE s.username = u.username AND s.course_id = p.course_id
                                    AND s.enterprise_customer_id = e.uuid)""",
        )
        assert missing == 0
    finally:
        conn.close()


def test_apply_changes_is_deterministic_and_moves_forward(
    source: tuple[str, demo.DemoSummary], tmp_path: Path
) -> None:
    urls = [_copy(source, tmp_path / f"{name}.sqlite") for name in "abc"]
    first = demo.apply_changes(urls[0], seed=5)
    again = demo.apply_changes(urls[1], seed=5)
    other = demo.apply_changes(urls[2], seed=6)
    assert other != first

    assert first == again
    assert _dump(tmp_path / "a.sqlite") == _dump(tmp_path / "b.sqlite")
    assert _dump(tmp_path / "a.sqlite") != _dump(tmp_path / "c.sqlite")
    # ~0.5 % of the redemptions.
    assert 15 <= first.changed <= 40
    second = demo.apply_changes(urls[0], seed=5)
    assert second.window_start > first.window_start
    assert min(second.new_orders) > max(first.new_orders)


def test_apply_changes_rejects_a_silly_fraction(source: tuple[str, demo.DemoSummary]) -> None:
    with pytest.raises(ValueError, match="fraction"):
        demo.apply_changes(source[0], seed=1, fraction=0)


# --- other databases ------------------------------------------------------------------------------
def _table_contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    contents = {}
    with engine.connect() as conn:
        for table in DEMO_TABLES:
            order = list(table.primary_key.columns)
            rows = conn.execute(select(table).order_by(*order))
            # Sorted in Python: the databases' string collations differ.
            contents[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return contents


def test_postgres_gets_the_same_contents_as_sqlite(
    source: tuple[str, demo.DemoSummary], empty_database_url: URL
) -> None:
    url = empty_database_url.render_as_string(hide_password=False)
    summary = demo.generate(url, seed=SEED, scale="S", replace=True)

    assert summary.table_counts == source[1].table_counts
    sqlite_engine, pg_engine = make_engine(source[0]), make_engine(url)
    try:
        assert _table_contents(pg_engine) == _table_contents(sqlite_engine)
        changes = demo.apply_changes(url, seed=2)
        assert changes.new_orders
    finally:
        sqlite_engine.dispose()
        pg_engine.dispose()


def _load_real_ddl(engine: Engine) -> None:
    for name in ("ecommerce.sql", "lms_enterprise.sql", "license_manager.sql"):
        script = re.sub(r"--[^\n]*", "", (DDL_DIR / name).read_text())
        with engine.begin() as conn:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(text(statement))


@pytest.mark.mysql
def test_core_definitions_match_the_real_mariadb_schema(mysql_url: URL) -> None:
    from sqlalchemy import inspect

    engine = make_engine(mysql_url)
    try:
        _load_real_ddl(engine)
        inspector = inspect(engine)
        for table in DEMO_TABLES:
            real = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert list(real) == [c.name for c in table.columns], table.name
            for column in table.columns:
                if (table.name, column.name) == ("order_orderdiscount", "amount"):
                    continue  # deliberately nullable in ecommerce.py (bad-row tests insert NULLs)
                assert real[column.name]["nullable"] == column.nullable, (table.name, column.name)
    finally:
        engine.dispose()


@pytest.mark.mysql
def test_generate_into_the_real_mariadb_schema(
    mysql_url: URL, source: tuple[str, demo.DemoSummary]
) -> None:
    """The real DDL (with its foreign keys, unique keys and NOT NULLs) accepts the demo rows."""
    engine = make_engine(mysql_url)
    url = mysql_url.render_as_string(hide_password=False)
    try:
        _load_real_ddl(engine)
        summary = demo.generate(url, seed=SEED, scale="S", replace=False)

        expected = dict(source[1].table_counts)
        expected["order_orderdiscount"] -= 1  # amount is NOT NULL there: no NULL-amount row
        expected["order_order"] -= 1
        expected["order_line"] -= 1
        assert summary.table_counts == expected
        kinds = {row.kind for row in summary.bad_rows}
        assert "discount_null_amount" not in kinds
        assert len(kinds) == 7
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT COUNT(*) FROM order_order")).scalar_one()
                == (expected["order_order"])
            )
            acme = conn.execute(
                select(ecommerce.offer.c.max_discount, ecommerce.offer.c.total_discount)
                .join(
                    ecommerce.condition, ecommerce.condition.c.id == ecommerce.offer.c.condition_id
                )
                .where(
                    ecommerce.condition.c.enterprise_customer_uuid
                    == _hex(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE)
                )
            ).one()
            facts = source[1].showcase(demo.SHOWCASE_LOW_BALANCE_ENTERPRISE).offers[0]
            assert acme.max_discount == facts.max_discount
        changes = demo.apply_changes(url, seed=4, fraction=0.01)
        assert changes.new_orders
        assert changes.full_refunds
    finally:
        engine.dispose()
