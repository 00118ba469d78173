"""Hand-made ledger-era sources (enterprise-subsidy + enterprise-access) for tests.

Rows are written the way the services write them: UUIDs as 32 lowercase hex, naive UTC
datetimes, integer cents (redemptions negative), an initial deposit for every subsidy. The same
builder writes to SQLite, MariaDB (the real DDL) and PostgreSQL sources.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from sqlalchemy import Engine, create_engine, insert, update
from sqlalchemy.engine import URL

from lcm_etl.ingest.sources import ledger as st

T0 = dt.datetime(2026, 6, 1, 12, 0, 0)


def hex_uuid(text: str) -> str:
    """A deterministic 32-hex UUID from a label (readable tests, stable goldens)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lcm-etl-test:{text}").hex


def dashed(text: str) -> str:
    return str(uuid.UUID(hex_uuid(text)))


class LedgerBuilder:
    def __init__(
        self,
        subsidy_url: str | URL,
        access_url: str | URL | None = None,
        *,
        create: bool = True,
    ) -> None:
        self.subsidy_engine: Engine = create_engine(subsidy_url)
        self.access_engine: Engine = (
            create_engine(access_url) if access_url is not None else self.subsidy_engine
        )
        if create:
            st.create_source_tables(self.subsidy_engine, "subsidy")
            st.create_source_tables(self.access_engine, "access")
        self._clock = itertools.count(1)
        self._ids = itertools.count(1)
        self.ledgers: dict[str, str] = {}

    def dispose(self) -> None:
        self.subsidy_engine.dispose()
        self.access_engine.dispose()

    def _tick(self) -> dt.datetime:
        return T0 + dt.timedelta(minutes=next(self._clock))

    def _insert(self, engine: Engine, table: Any, **values: Any) -> None:
        with engine.begin() as conn:
            conn.execute(insert(table).values(**values))

    # ---- enterprise-subsidy -----------------------------------------------------------------

    def subsidy(
        self,
        label: str,
        enterprise: str,
        *,
        starting_balance: int,
        active: dt.datetime | None = dt.datetime(2026, 1, 1),
        expires: dt.datetime | None = dt.datetime(2027, 1, 1),
        soft_deleted: bool = False,
        internal_only: bool = False,
        title: str | None = None,
    ) -> str:
        """A subsidy, its ledger and the initial deposit of ``starting_balance``."""
        key, ledger_key = hex_uuid(f"subsidy:{label}"), hex_uuid(f"ledger:{label}")
        when = self._tick()
        self._insert(
            self.subsidy_engine,
            st.ledger,
            created=when,
            modified=when,
            uuid=ledger_key,
            idempotency_key=f"ledger-for-subsidy-{uuid.UUID(key)}",
            unit="usd_cents",
            metadata=None,
        )
        self._insert(
            self.subsidy_engine,
            st.subsidy,
            created=when,
            modified=when,
            uuid=key,
            title=title or label,
            starting_balance=starting_balance,
            unit="usd_cents",
            reference_id=None,
            reference_type="salesforce_opportunity_line_item",
            enterprise_customer_uuid=hex_uuid(f"enterprise:{enterprise}"),
            active_datetime=active,
            expiration_datetime=expires,
            ledger_id=ledger_key,
            internal_only=internal_only,
            revenue_category="bulk-enrollment-prepay",
            is_soft_deleted=soft_deleted,
        )
        self.ledgers[label] = ledger_key
        self.deposit(label, starting_balance, f"{label}:initial")
        return key

    def _transaction(self, subsidy: str, label: str, quantity: int, **values: Any) -> str:
        key = hex_uuid(f"transaction:{label}")
        when = values.pop("created", None) or self._tick()
        row = {
            "created": when,
            "modified": values.pop("modified", when),
            "uuid": key,
            "idempotency_key": f"key-{label}",
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
        self._insert(self.subsidy_engine, st.transaction, **row)
        return key

    def deposit(self, subsidy: str, quantity: int, label: str | None = None) -> str:
        label = label or f"deposit:{next(self._ids)}"
        transaction = self._transaction(subsidy, label, quantity)
        when = self._tick()
        self._insert(
            self.subsidy_engine,
            st.deposit,
            created=when,
            modified=when,
            uuid=hex_uuid(f"deposit:{label}"),
            desired_deposit_quantity=quantity,
            sales_contract_reference_id=None,
            ledger_id=self.ledgers[subsidy],
            sales_contract_reference_provider_id=None,
            transaction_id=transaction,
        )
        return transaction

    def adjustment(self, subsidy: str, quantity: int, label: str | None = None) -> str:
        label = label or f"adjustment:{next(self._ids)}"
        transaction = self._transaction(subsidy, label, quantity)
        when = self._tick()
        self._insert(
            self.subsidy_engine,
            st.adjustment,
            created=when,
            modified=when,
            uuid=hex_uuid(f"adjustment:{label}"),
            adjustment_quantity=quantity,
            reason="good_faith",
            notes=None,
            ledger_id=self.ledgers[subsidy],
            transaction_id=transaction,
            transaction_of_interest_id=None,
        )
        return transaction

    def redemption(
        self,
        subsidy: str,
        policy: str | None,
        label: str,
        cents: int,
        *,
        state: str = "committed",
        lms_user_id: int = 1,
        created: dt.datetime | None = None,
        policy_key: str | None = None,
    ) -> str:
        """A redemption of ``cents`` (positive; stored negative) by ``policy``."""
        return self._transaction(
            subsidy,
            label,
            -cents,
            state=state,
            lms_user_id=lms_user_id,
            lms_user_email=f"learner{lms_user_id}@example.com",
            content_key=f"course-v1:edX+{label}+2T2026",
            parent_content_key=f"edX+{label}",
            content_title=f"Course {label}",
            subsidy_access_policy_uuid=policy_key
            or (hex_uuid(f"policy:{policy}") if policy else None),
            fulfillment_identifier=str(uuid.UUID(hex_uuid(f"fulfillment:{label}")))
            if state == "committed"
            else None,
            created=created,
        )

    def reversal(
        self, transaction_label: str, cents: int, created: dt.datetime | None = None
    ) -> str:
        key = hex_uuid(f"reversal:{transaction_label}")
        when = created or self._tick()
        self._insert(
            self.subsidy_engine,
            st.reversal,
            created=when,
            modified=when,
            uuid=key,
            idempotency_key=f"unenrollment-reversal-{transaction_label}",
            quantity=cents,
            metadata=None,
            transaction_id=hex_uuid(f"transaction:{transaction_label}"),
            state="committed",
        )
        return key

    def external_reference(self, transaction_label: str, reference_id: str) -> None:
        """An external (GEAG, Exec Ed) order reference of a transaction, from the one provider."""
        when = self._tick()
        with self.subsidy_engine.begin() as conn:
            known = conn.execute(
                st.external_fulfillment_provider.select().where(
                    st.external_fulfillment_provider.c.slug == "geag"
                )
            ).first()
            if known is None:
                conn.execute(
                    insert(st.external_fulfillment_provider).values(
                        id=1, created=when, modified=when, name="GetSmarter GEAG", slug="geag"
                    )
                )
            conn.execute(
                insert(st.external_transaction_reference).values(
                    created=when,
                    modified=when,
                    external_reference_id=reference_id,
                    external_fulfillment_provider_id=1,
                    transaction_id=hex_uuid(f"transaction:{transaction_label}"),
                )
            )

    def set_transaction(self, label: str, **values: Any) -> None:
        with self.subsidy_engine.begin() as conn:
            conn.execute(
                update(st.transaction)
                .where(st.transaction.c.uuid == hex_uuid(f"transaction:{label}"))
                .values(**values)
            )

    # ---- enterprise-access ------------------------------------------------------------------

    def policy(
        self,
        label: str,
        enterprise: str,
        subsidy: str,
        policy_type: str,
        *,
        spend_limit: int | None,
        active: bool = True,
        retired: bool = False,
        retired_at: dt.datetime | None = None,
        display_name: str | None = None,
        assignable: bool = False,
        bnr: bool | None = None,
        per_learner_spend_limit: int | None = None,
        per_learner_enrollment_limit: int | None = None,
    ) -> str:
        """A budget; ``assignable`` gives it an assignment configuration, ``bnr`` a Browse and
        Request configuration (active when True)."""
        key = hex_uuid(f"policy:{label}")
        enterprise_key = hex_uuid(f"enterprise:{enterprise}")
        when = self._tick()
        configuration = None
        if assignable or bnr is not None:
            configuration = hex_uuid(f"configuration:{label}")
            self._insert(
                self.access_engine,
                st.assignment_configuration,
                created=when,
                modified=when,
                uuid=configuration,
                active=True,
                enterprise_customer_uuid=enterprise_key,
            )
        request_configuration = None
        if bnr is not None:
            request_configuration = hex_uuid(f"bnr:{label}")
            self._insert(
                self.access_engine,
                st.request_configuration,
                created=when,
                modified=when,
                uuid=request_configuration,
                active=bnr,
            )
        self._insert(
            self.access_engine,
            st.policy,
            created=when,
            modified=when,
            policy_type=policy_type,
            uuid=key,
            description="",
            active=active,
            catalog_uuid=hex_uuid(f"catalog:{label}"),
            subsidy_uuid=hex_uuid(f"subsidy:{subsidy}"),
            access_method="assigned" if policy_type.startswith("Assigned") else "direct",
            per_learner_enrollment_limit=per_learner_enrollment_limit,
            per_learner_spend_limit=per_learner_spend_limit,
            spend_limit=spend_limit,
            enterprise_customer_uuid=enterprise_key,
            display_name=display_name if display_name is not None else label,
            assignment_configuration_id=configuration,
            retired=retired,
            late_redemption_allowed_until=None,
            retired_at=retired_at,
            learner_credit_request_config_id=request_configuration,
        )
        return key

    def assignment(
        self,
        policy: str,
        label: str,
        cents: int,
        *,
        state: str = "allocated",
        email: str | None = None,
        allocated_at: dt.datetime | None = None,
    ) -> str:
        key = hex_uuid(f"assignment:{label}")
        when = self._tick()
        self._insert(
            self.access_engine,
            st.assignment,
            created=when,
            modified=when,
            uuid=key,
            learner_email=email or f"{label}@example.com",
            lms_user_id=None,
            content_key=f"edX+{label}",
            content_quantity=-cents,
            state=state,
            transaction_uuid=None,
            assignment_configuration_id=hex_uuid(f"configuration:{policy}"),
            content_title=f"Course {label}",
            allocation_batch_id=None,
            accepted_at=None,
            allocated_at=allocated_at or when,
            cancelled_at=None,
            errored_at=when if state == "errored" else None,
            expired_at=None,
            preferred_course_run_key=None,
            reversed_at=None,
            is_assigned_course_run=False,
            parent_content_key=None,
            admin_lms_user_id=None,
        )
        return key

    def action(
        self,
        assignment: str,
        action_type: str,
        *,
        error_reason: str | None = None,
        completed: bool = True,
        at: dt.datetime | None = None,
    ) -> str:
        key = hex_uuid(f"action:{assignment}:{action_type}:{next(self._ids)}")
        when = at or self._tick()
        self._insert(
            self.access_engine,
            st.assignment_action,
            created=when,
            modified=when,
            uuid=key,
            action_type=action_type,
            completed_at=when if completed and error_reason is None else None,
            error_reason=error_reason,
            traceback=None,
            assignment_id=hex_uuid(f"assignment:{assignment}"),
        )
        return key


__all__ = ["T0", "LedgerBuilder", "dashed", "hex_uuid"]
