"""The SQL of lcm-etl, one file per table or view; installed as ``lcm_etl._sql`` (see setup.py)."""
