"""The ledger era (issue 14): budgets from enterprise-subsidy and enterprise-access.

- ``source_tables``: the source schemas (DDL copies in ``ddl/`` and their Core mirror);
- ``ingest``: extraction and landing of both sources into ``lcm_raw``;
- ``publish``: the budgets' read model (``lcm.subsidy_balance``, ``lcm.budget``,
  ``lcm.budget_transaction``, ``lcm.budget_assignment``, ``lcm.budget_utilization_daily``) and its
  reconciliation.
"""
