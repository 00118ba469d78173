"""Ingest: read the source systems and land their rows in ``lcm_raw``."""
