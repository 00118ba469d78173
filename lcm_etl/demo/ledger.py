"""The demo's ledger era: enterprise-subsidy and enterprise-access tables next to the ecommerce
ones (``lcm-etl demo-source``), so the demo shows a customer with both offers and budgets.

Deterministic for a seed. The low-balance showcase enterprise (the one ``make run`` prints) gets
a hand-shaped set: a subsidy with a top-up and a negative adjustment carrying the three policy
types (an Assigned budget, a Browse-and-Request spend budget, an enrollment-capped budget) and a
retired budget, plus a second subsidy that expires soon (an Expiring budget); redemptions in every
state, reversals, and assignments in every state with their actions. Other enterprises get one
subsidy each with a few budgets and random spend. Scale L holds 2,000,000 ledger transactions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table, func, insert, inspect, select

from lcm_etl.demo.plan import ANCHOR, SHOWCASE_LOW_BALANCE_ENTERPRISE
from lcm_etl.demo.writer import DemoSourceError
from lcm_etl.ingest.sources import ledger as st

SPEND = "PerLearnerSpendCreditAccessPolicy"
ENROLL = "PerLearnerEnrollmentCreditAccessPolicy"
ASSIGNED = "AssignedLearnerCreditAccessPolicy"

#: (other enterprises, ledger transactions in all) per scale.
SIZES = {"S": (30, 3_000), "M": (300, 200_000), "L": (2_000, 2_000_000)}
BATCH = 20_000
NAMESPACE = uuid.UUID("5e1d9e70-0000-4000-8000-00000000d3e0")


def _key(*parts: object) -> str:
    return uuid.uuid5(NAMESPACE, ":".join(map(str, parts))).hex


@dataclasses.dataclass
class LedgerDemoSummary:
    subsidies: int = 0
    budgets: int = 0
    transactions: int = 0
    reversals: int = 0
    assignments: int = 0

    def describe(self) -> str:
        return (
            f"  ledger era: {self.subsidies:,} subsidies, {self.budgets:,} budgets, "
            f"{self.transactions:,} ledger transactions ({self.reversals:,} reversed), "
            f"{self.assignments:,} assignments"
        )


class _Writer:
    def __init__(self, subsidy_engine: Engine, access_engine: Engine) -> None:
        self.engines = {"subsidy": subsidy_engine, "access": access_engine}
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.summary = LedgerDemoSummary()

    def add(self, table: Table, **row: Any) -> None:
        batch = self.rows.setdefault(table, [])
        batch.append(row)
        if len(batch) >= BATCH:
            self.flush(table)

    def flush(self, table: Table | None = None) -> None:
        for name in [table] if table is not None else list(self.rows):
            batch = self.rows.get(name)
            if not batch:
                continue
            side = "subsidy" if name.metadata is st.subsidy_metadata else "access"
            with self.engines[side].begin() as conn:
                conn.execute(insert(name), batch)
            self.rows[name] = []


class _Demo:
    def __init__(self, writer: _Writer, rng: random.Random) -> None:
        self.w = writer
        self.rng = rng
        self.ledgers: dict[str, str] = {}
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def subsidy(
        self,
        key: str,
        enterprise: str,
        title: str,
        starting: int,
        start: dt.datetime,
        end: dt.datetime,
    ) -> None:
        ledger = _key("ledger", key)
        self.w.add(
            st.ledger,
            created=start,
            modified=start,
            uuid=ledger,
            idempotency_key=f"ledger-for-subsidy-{uuid.UUID(key)}",
            unit="usd_cents",
            metadata=None,
        )
        self.w.flush(st.ledger)
        self.w.add(
            st.subsidy,
            created=start,
            modified=start,
            uuid=key,
            title=title,
            starting_balance=starting,
            unit="usd_cents",
            reference_id=None,
            reference_type="salesforce_opportunity_line_item",
            enterprise_customer_uuid=enterprise,
            active_datetime=start,
            expiration_datetime=end,
            ledger_id=ledger,
            internal_only=False,
            revenue_category="bulk-enrollment-prepay",
            is_soft_deleted=False,
        )
        self.ledgers[key] = ledger
        self.w.summary.subsidies += 1
        self.deposit(key, starting, start, initial=True)

    def _transaction(self, subsidy: str, quantity: int, when: dt.datetime, **values: Any) -> str:
        key = _key("transaction", subsidy, self._next())
        row = {
            "created": when,
            "modified": when,
            "uuid": key,
            "idempotency_key": f"demo-{key}",
            "quantity": quantity,
            "metadata": None,
            "lms_user_id": None,
            "ledger_id": self.ledgers[subsidy],
            "content_key": None,
            "state": "committed",
            "subsidy_access_policy_uuid": None,
            "fulfillment_identifier": None,
            "content_title": None,
            "lms_user_email": None,
            "parent_content_key": None,
            "course_run_start_date": None,
        }
        row.update(values)
        self.w.add(st.transaction, **row)
        self.w.summary.transactions += 1
        return key

    def deposit(
        self, subsidy: str, quantity: int, when: dt.datetime, *, initial: bool = False
    ) -> None:
        transaction = self._transaction(subsidy, quantity, when)
        self.w.flush(st.transaction)
        self.w.add(
            st.deposit,
            created=when,
            modified=when,
            uuid=_key("deposit", transaction),
            desired_deposit_quantity=quantity,
            sales_contract_reference_id=None if initial else "00k-demo-top-up",
            ledger_id=self.ledgers[subsidy],
            sales_contract_reference_provider_id=None,
            transaction_id=transaction,
        )

    def adjustment(self, subsidy: str, quantity: int, when: dt.datetime) -> None:
        transaction = self._transaction(subsidy, quantity, when)
        self.w.flush(st.transaction)
        self.w.add(
            st.adjustment,
            created=when,
            modified=when,
            uuid=_key("adjustment", transaction),
            adjustment_quantity=quantity,
            reason="good_faith",
            notes="demo correction",
            ledger_id=self.ledgers[subsidy],
            transaction_id=transaction,
            transaction_of_interest_id=None,
        )

    def policy(
        self,
        key: str,
        enterprise: str,
        subsidy: str,
        policy_type: str,
        name: str,
        spend_limit: int | None,
        when: dt.datetime,
        *,
        bnr: bool = False,
        retired_at: dt.datetime | None = None,
        per_learner_spend_limit: int | None = None,
        per_learner_enrollment_limit: int | None = None,
    ) -> str | None:
        configuration = None
        if policy_type == ASSIGNED or bnr:
            configuration = _key("configuration", key)
            self.w.add(
                st.assignment_configuration,
                created=when,
                modified=when,
                uuid=configuration,
                active=True,
                enterprise_customer_uuid=enterprise,
            )
        request_configuration = None
        if bnr:
            request_configuration = _key("bnr", key)
            self.w.add(
                st.request_configuration,
                created=when,
                modified=when,
                uuid=request_configuration,
                active=True,
            )
        self.w.flush()
        self.w.add(
            st.policy,
            created=when,
            modified=retired_at or when,
            policy_type=policy_type,
            uuid=key,
            description="",
            active=True,
            catalog_uuid=_key("catalog", enterprise),
            subsidy_uuid=subsidy,
            access_method="assigned" if policy_type == ASSIGNED else "direct",
            per_learner_enrollment_limit=per_learner_enrollment_limit,
            per_learner_spend_limit=per_learner_spend_limit,
            spend_limit=spend_limit,
            enterprise_customer_uuid=enterprise,
            display_name=name,
            assignment_configuration_id=configuration,
            retired=retired_at is not None,
            late_redemption_allowed_until=None,
            retired_at=retired_at,
            learner_credit_request_config_id=request_configuration,
        )
        self.w.summary.budgets += 1
        return configuration

    def redemption(
        self,
        subsidy: str,
        policy: str,
        cents: int,
        when: dt.datetime,
        learner: int,
        *,
        state: str = "committed",
        refunded: bool = False,
    ) -> str:
        course = self.rng.randrange(1, 400)
        transaction = self._transaction(
            subsidy,
            -cents,
            when,
            state=state,
            lms_user_id=learner,
            lms_user_email=f"learner{learner}@example.com",
            content_key=f"course-v1:DemoX+C{course}+2026",
            parent_content_key=f"DemoX+C{course}",
            content_title=f"Demo course {course}",
            subsidy_access_policy_uuid=policy,
            fulfillment_identifier=str(uuid.UUID(_key("fulfillment", self.counter)))
            if state == "committed"
            else None,
            course_run_start_date=when + dt.timedelta(days=10),
        )
        if refunded and state == "committed":
            self.w.add(
                st.reversal,
                created=when + dt.timedelta(days=3),
                modified=when + dt.timedelta(days=3),
                uuid=_key("reversal", transaction),
                idempotency_key=f"demo-reversal-{transaction}",
                quantity=cents,
                metadata=None,
                transaction_id=transaction,
                state="committed",
            )
            self.w.summary.reversals += 1
        return transaction

    def assignment(
        self,
        configuration: str,
        cents: int,
        state: str,
        when: dt.datetime,
        *,
        notified: bool = True,
        errored: bool = False,
        transaction: str | None = None,
    ) -> None:
        key = _key("assignment", configuration, self._next())
        course = self.rng.randrange(1, 400)
        self.w.add(
            st.assignment,
            created=when,
            modified=when,
            uuid=key,
            learner_email=f"assignee{self.counter}@example.com",
            lms_user_id=None,
            content_key=f"DemoX+C{course}",
            content_quantity=-cents,
            state=state,
            transaction_uuid=transaction,
            assignment_configuration_id=configuration,
            content_title=f"Demo course {course}",
            allocation_batch_id=None,
            accepted_at=when + dt.timedelta(days=2) if state in ("accepted", "reversed") else None,
            allocated_at=when,
            cancelled_at=when + dt.timedelta(days=1) if state == "cancelled" else None,
            errored_at=when if state == "errored" else None,
            expired_at=when + dt.timedelta(days=90) if state == "expired" else None,
            preferred_course_run_key=None,
            reversed_at=when + dt.timedelta(days=5) if state == "reversed" else None,
            is_assigned_course_run=False,
            parent_content_key=None,
            admin_lms_user_id=None,
        )
        self.w.summary.assignments += 1
        if notified or errored:
            self.w.add(
                st.assignment_action,
                created=when,
                modified=when,
                uuid=_key("action", key),
                action_type="notified",
                completed_at=None if errored else when,
                error_reason="email_error" if errored else None,
                traceback=None,
                assignment_id=key,
            )


def _day(rng: random.Random, first: dt.datetime, last: dt.datetime) -> dt.datetime:
    span = int((last - first).total_seconds())
    return first + dt.timedelta(seconds=rng.randrange(span))


def _showcase(demo: _Demo) -> int:
    """The low-balance showcase's budgets; returns the transactions it wrote."""
    enterprise = SHOWCASE_LOW_BALANCE_ENTERPRISE.replace("-", "")
    rng = demo.rng
    start = dt.datetime(2026, 1, 1)
    main = _key("subsidy", enterprise, "main")
    demo.subsidy(
        main, enterprise, "Learner Credit FY26", 5_000_000, start, dt.datetime(2027, 9, 30)
    )
    demo.deposit(main, 1_000_000, dt.datetime(2026, 7, 1))
    demo.adjustment(main, -250_000, dt.datetime(2026, 8, 15))
    engineering = _key("policy", enterprise, "engineering")
    config = demo.policy(engineering, enterprise, main, ASSIGNED, "Engineering", 2_000_000, start)
    catalog = _key("policy", enterprise, "catalog")
    catalog_config = demo.policy(
        catalog, enterprise, main, SPEND, "Open catalog", 3_000_000, start, bnr=True,
        per_learner_spend_limit=150_000,
    )  # fmt: skip
    leadership = _key("policy", enterprise, "leadership")
    demo.policy(
        leadership, enterprise, main, ENROLL, "Leadership", 800_000, start,
        per_learner_enrollment_limit=2,
    )  # fmt: skip
    pilot = _key("policy", enterprise, "pilot")
    demo.policy(
        pilot, enterprise, main, SPEND, "Pilot", 200_000, start,
        retired_at=dt.datetime(2026, 6, 30),
    )  # fmt: skip
    soon = _key("subsidy", enterprise, "q1")
    demo.subsidy(
        soon, enterprise, "Q1 data-science pilot", 300_000, start, dt.datetime(2027, 1, 15)
    )
    data_science = _key("policy", enterprise, "data-science")
    demo.policy(data_science, enterprise, soon, SPEND, "Data science", 300_000, start)

    first, last = ANCHOR - dt.timedelta(days=120), ANCHOR + dt.timedelta(days=28)
    written = 0
    states = ["committed"] * 30 + ["created", "pending", "failed"]
    for index in range(90):
        policy, subsidy, cents = rng.choice(
            [(catalog, main, 29_900), (leadership, main, 19_900), (data_science, soon, 4_900)]
        )
        demo.redemption(
            subsidy,
            policy,
            cents,
            _day(rng, first, last),
            1_000 + index,
            state=states[index % len(states)],
            refunded=index % 11 == 0,
        )
        written += 1
    for index in range(6):
        demo.redemption(
            main, pilot, 24_900, _day(rng, start, dt.datetime(2026, 6, 29)), 2_000 + index
        )
        written += 1
    assert config is not None
    assert catalog_config is not None
    for _ in range(2):  # approved Browse & Request requests: the budget's "Pending" money
        demo.assignment(catalog_config, 29_900, "allocated", _day(rng, first, last))
    for index in range(12):
        when = _day(rng, first, last)
        transaction = demo.redemption(main, engineering, 39_900, when, 3_000 + index)
        written += 1
        demo.assignment(
            config, 39_900, "reversed" if index == 0 else "accepted", when, transaction=transaction
        )
    for state, notified, errored in [
        ("allocated", True, False),
        ("allocated", True, False),
        ("allocated", False, False),
        ("allocated", False, True),
        ("cancelled", True, False),
        ("errored", False, True),
        ("expired", True, False),
    ]:
        demo.assignment(
            config, 49_900, state, _day(rng, first, last), notified=notified, errored=errored
        )
    return written


def generate(
    subsidy_engine: Engine,
    access_engine: Engine,
    *,
    seed: int,
    scale: str,
    replace: bool,
    advance: Callable[[int], None] | None = None,
) -> LedgerDemoSummary:
    """Write the ledger-era demo tables (created if missing; emptied first with ``replace``)."""
    others, transactions = SIZES[scale.upper()]
    for side, engine in (("subsidy", subsidy_engine), ("access", access_engine)):
        if replace:
            drop_tables(engine, side)
        else:
            _refuse_rows(engine, side)
        st.create_source_tables(engine, side)
    writer = _Writer(subsidy_engine, access_engine)
    demo = _Demo(writer, random.Random(seed * 7919 + 14))
    remaining = transactions - _showcase(demo)
    rng = demo.rng
    per_enterprise = max(1, remaining // others)
    for number in range(others):
        enterprise = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        subsidy = _key("subsidy", enterprise)
        start = dt.datetime(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 200))
        count = per_enterprise if number < others - 1 else remaining - per_enterprise * number
        price = rng.choice([9_900, 19_900, 29_900, 49_900])
        starting = max(price * count * 2, 1_000_000)
        demo.subsidy(
            subsidy, enterprise, f"Learner credit {number}", starting, start,
            start + dt.timedelta(days=rng.choice([200, 365, 540])),
        )  # fmt: skip
        demo.deposit(subsidy, starting // 5, start + dt.timedelta(days=30))
        kinds = rng.sample([SPEND, ENROLL, ASSIGNED], rng.randrange(1, 4))
        policies = []
        for kind in kinds:
            key = _key("policy", enterprise, kind)
            demo.policy(key, enterprise, subsidy, kind, kind.removesuffix("CreditAccessPolicy"),
                        starting, start)  # fmt: skip
            policies.append(key)
        last = min(ANCHOR + dt.timedelta(days=28), start + dt.timedelta(days=199))
        for index in range(max(count, 0)):
            roll = rng.random()
            state = "committed" if roll < 0.96 else ("failed" if roll < 0.985 else "pending")
            demo.redemption(
                subsidy,
                policies[index % len(policies)],
                price,
                _day(rng, start, last),
                10_000 + number * 1_000 + index % 1_000,
                state=state,
                refunded=rng.random() < 0.02,
            )
            if advance is not None and index % BATCH == BATCH - 1:
                advance(BATCH)
    writer.flush()
    return writer.summary


def _refuse_rows(engine: Engine, side: str) -> None:
    """Without ``replace``, rows already there are never overwritten (as for the demo tables)."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in st.METADATA[side].sorted_tables:
            if (
                table.name in existing
                and conn.execute(select(func.count()).select_from(table)).scalar_one()
            ):
                raise DemoSourceError(
                    f"table {table.name} already holds rows; generate with replace=True "
                    "(`lcm-etl demo-source --force`) to overwrite the demo tables"
                )


def drop_tables(engine: Engine, side: str) -> None:
    """Drop one ledger-era source's tables (``side``: 'subsidy' | 'access') where they exist."""
    metadata = st.METADATA[side]
    with engine.begin() as conn:
        if engine.dialect.name in ("mysql", "mariadb"):
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for table in reversed(metadata.sorted_tables):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        if engine.dialect.name in ("mysql", "mariadb"):
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


__all__ = ["SIZES", "LedgerDemoSummary", "drop_tables", "generate"]
