"""The ledger era (issue 14): budgets from enterprise-subsidy and enterprise-access.

The sources are ingest modules (``lcm_etl/ingest/subsidy.py``, ``access.py``, their DDL copies in
``lcm_etl/ingest/sources/``); the answers are ``lcm_etl/queries/budgets.py``; here:

- ``publish``: the budgets' read model (``lcm.subsidy_balance``, ``lcm.budget``,
  ``lcm.budget_transaction``, ``lcm.budget_assignment``, ``lcm.budget_utilization_daily``) and
  its reconciliation;
- ``events``: the ledger events landing their transaction (state order) for a targeted refresh.
"""
