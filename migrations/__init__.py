"""The Alembic migrations of the read model; installed as ``lcm_etl._migrations`` (see setup.py)."""
