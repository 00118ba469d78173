"""lcm-etl: the Open edX Learner Credit Management backend (ETL, read model, API)."""

__version__ = "0.1.0"
