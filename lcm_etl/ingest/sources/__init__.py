"""The source systems lcm-etl reads: their tables as SQLAlchemy Core, and their real DDL."""
