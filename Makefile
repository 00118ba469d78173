# lcm-etl — `make run` and `make test` do all set-up on a fresh machine (see README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo enterprise whose offer is running low (lcm_etl.demo.SHOWCASE_LOW_BALANCE_ENTERPRISE).
DEMO_ENTERPRISE := a11ce000-0000-4000-8000-000000000001
PYTEST_ARGS ?=

.PHONY: help run test test-fast test-server lint typecheck bench serve clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lcm-etl needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,airflow]'
	@touch $@ $(VENV)/.installed-base

run: $(VENV)/.installed-base ## install, start the embedded PostgreSQL, run one full pass over the demo source, print a page
	$(BIN)/lcm-etl migrate
	$(BIN)/lcm-etl demo-source --seed 7 --scale S
	$(BIN)/lcm-etl run --full
	$(BIN)/lcm-etl page --indent $(DEMO_ENTERPRISE)

test: $(VENV)/.installed-dev ## install everything and run lint, type checks and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql
	$(BIN)/mypy
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-dev ## the tests not marked slow, without lint (the loop while developing)
	$(BIN)/pytest -n 2 -m "not slow" $(PYTEST_ARGS)

test-server: $(VENV)/.installed-dev ## the database tests not marked slow, against the PostgreSQL server in LCM_TEST_DATABASE_URL
	@test -n "$$LCM_TEST_DATABASE_URL" || { echo "make test-server: set LCM_TEST_DATABASE_URL to a PostgreSQL server URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres); the tests create and drop their own databases there" >&2; exit 2; }
	$(BIN)/pytest -n 2 -m "not slow" tests/integration tests/security tests/dags $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev ## ruff and sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql

typecheck: $(VENV)/.installed-dev ## mypy --strict over lcm_etl and dags (tests: bodies checked)
	$(BIN)/mypy

bench: $(VENV)/.installed-base ## benchmark at scale L (see docs/benchmarks.md)
	$(BIN)/lcm-etl bench --scale L --json bench-L.json

serve: $(VENV)/.installed-base ## serve the API on 127.0.0.1:8000 with auth off (demo only)
	LCM_API_AUTH=none $(BIN)/lcm-etl serve

clean: ## remove the virtualenv and the local data folder (stops the embedded PostgreSQL first)
	-$(BIN)/lcm-etl embedded-db stop
	rm -rf $(VENV) .lcm
