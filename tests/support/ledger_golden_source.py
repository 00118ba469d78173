"""The golden ledger-era source: hand-made budgets whose numbers were worked out by hand with
the services' rules (docs/ledger.md). Used by the golden, API and page tests."""

from __future__ import annotations

from typing import Any

from support.ledger_builder import LedgerBuilder, hex_uuid

SPEND = "PerLearnerSpendCreditAccessPolicy"
ENROLL = "PerLearnerEnrollmentCreditAccessPolicy"
ASSIGNED = "AssignedLearnerCreditAccessPolicy"


def build_golden(builder: LedgerBuilder) -> None:
    """Subsidy S1 ($1,000 start, +$500 top-up, -$200 adjustment) carrying five budgets; S2
    soft-deleted with one budget."""
    b = builder
    b.subsidy("S1", "acme", starting_balance=100_000)
    b.deposit("S1", 50_000, "S1:top-up")
    b.adjustment("S1", -20_000, "S1:negative-adjustment")
    # P1: learner-led spend budget. created/pending/committed count, failed does not, a
    # reversal gives back.
    b.policy("P1", "acme", "S1", SPEND, spend_limit=60_000)
    b.redemption("S1", "P1", "p1-committed", 10_000, lms_user_id=1)
    b.redemption("S1", "P1", "p1-pending", 5_000, state="pending", lms_user_id=2)
    b.redemption("S1", "P1", "p1-created", 2_000, state="created", lms_user_id=3)
    b.redemption("S1", "P1", "p1-failed", 7_000, state="failed", lms_user_id=4)
    b.redemption("S1", "P1", "p1-refunded", 8_000, lms_user_id=5)
    b.reversal("p1-refunded", 8_000)
    # P2: assigned budget whose own limit exceeds what the subsidy holds: capped by the balance.
    b.policy("P2", "acme", "S1", ASSIGNED, spend_limit=150_000, assignable=True)
    b.redemption("S1", "P2", "p2-committed", 30_000, lms_user_id=6)
    # An Exec Ed redemption: the external (GEAG) orders behind it, listed in id order.
    b.external_reference("p2-committed", "geag-order-2")
    b.external_reference("p2-committed", "geag-order-1")
    b.assignment("P2", "p2-allocated-a", 4_000)
    b.assignment("P2", "p2-allocated-b", 6_000)
    b.assignment("P2", "p2-accepted", 30_000, state="accepted")
    b.assignment("P2", "p2-cancelled", 1_000, state="cancelled")
    b.action("p2-allocated-a", "notified")  # learner_state waiting (b: notifying)
    b.assignment("P2", "p2-errored", 5_000, state="errored")  # listed, never counted
    b.action("p2-errored", "notified", error_reason="email_error")
    # P3: spend budget with Browse & Request on: its allocated assignments count.
    b.policy("P3", "acme", "S1", SPEND, spend_limit=20_000, bnr=True)
    b.assignment("P3", "p3-approved", 3_000)
    # P4: enrollment-capped budget without a spend limit: available is the subsidy balance.
    b.policy("P4", "acme", "S1", ENROLL, spend_limit=None, per_learner_enrollment_limit=3)
    b.redemption("S1", "P4", "p4-committed", 1_000, lms_user_id=7)
    # P5: spend budget whose Browse & Request configuration is off: allocated does not count.
    b.policy("P5", "acme", "S1", SPEND, spend_limit=10_000, bnr=False)
    b.assignment("P5", "p5-allocated", 2_500)
    # A redemption naming a budget enterprise-access does not know.
    b.redemption("S1", None, "orphan", 500, policy_key=hex_uuid("policy:nobody"))
    # S2 is soft-deleted: its budget's amounts are unknown to the services (null).
    b.subsidy("S2", "acme", starting_balance=5_000, soft_deleted=True)
    b.policy("P6", "acme", "S2", SPEND, spend_limit=5_000)


# Worked by hand. S1 balance: 100,000 + 50,000 - 20,000 (deposits and adjustment)
# - 10,000 - 5,000 - 2,000 (P1; failed excluded; the refunded one nets 0) - 30,000 (P2)
# - 1,000 (P4) - 500 (orphan) = 81,500. Total deposits: 130,000.
EXPECTED_SUBSIDY = {"current_balance_cents": 81_500, "total_deposits_cents": 130_000}
EXPECTED_BUDGETS: dict[str, dict[str, Any]] = {
    # spent, allocated, available
    "P1": {"spent_cents": 17_000, "allocated_cents": 0, "spend_available_cents": 43_000},
    # min(max(0, 150,000 - 30,000), 81,500) = 81,500 (capped by the subsidy), - 10,000 allocated
    "P2": {"spent_cents": 30_000, "allocated_cents": 10_000, "spend_available_cents": 71_500},
    "P3": {"spent_cents": 0, "allocated_cents": 3_000, "spend_available_cents": 17_000},
    "P4": {"spent_cents": 1_000, "allocated_cents": 0, "spend_available_cents": 81_500},
    "P5": {"spent_cents": 0, "allocated_cents": 0, "spend_available_cents": 10_000},
    "P6": {"spent_cents": 0, "allocated_cents": 0, "spend_available_cents": None},
}
