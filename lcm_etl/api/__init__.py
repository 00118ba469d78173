"""The HTTP API (FastAPI): ``create_app`` builds it, ``server.serve`` runs it with uvicorn."""

from lcm_etl.api.app import create_app

__all__ = ["create_app"]
