# Nexus Graph developer tasks. `make` (or `make help`) lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The test suite runs against its own services (own data dir and ports), never dev data.
# Ports and data dir can be overridden (e.g. `make test TEST_PG_PORT=55433`; .ci/run does).
TEST_DATA_DIR   ?= $(CURDIR)/.nexus/test
TEST_PG_PORT    ?= 55432
TEST_REDIS_PORT ?= 56379
TEST_NEO4J_PORT ?= 57687
TEST_ENV := \
	NEXUS_ENV=test \
	NEXUS_DATA_DIR=$(TEST_DATA_DIR) \
	NEXUS_PG_PORT=$(TEST_PG_PORT) \
	NEXUS_REDIS_PORT=$(TEST_REDIS_PORT) \
	NEXUS_NEO4J_BOLT_PORT=$(TEST_NEO4J_PORT) \
	NEXUS_DATABASE_URL=postgresql+asyncpg://nexus:nexus@127.0.0.1:$(TEST_PG_PORT)/nexus \
	NEXUS_NEO4J_URI=bolt://127.0.0.1:$(TEST_NEO4J_PORT) \
	NEXUS_REDIS_URL=redis://127.0.0.1:$(TEST_REDIS_PORT)/0
TEST_TARGETS := test test-services test-services-stop
# Export TEST_ENV into those targets' recipes (and their prerequisites').
$(foreach var,$(TEST_ENV),$(eval $(TEST_TARGETS): export $(var)))

.PHONY: help venv install services services-stop services-status migrate seed run \
	test test-services test-services-stop bench lint fmt typecheck layers schema clean-data

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11+ is required ($(PYTHON) is $$($(PYTHON) -V 2>&1)); use make PYTHON=python3.x" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# pip runs again only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	@touch $@

venv: $(STAMP) ## Create .venv and install the package with dev extras
install: $(STAMP) ## Same as venv

services: ## Start Postgres, Redis and Neo4j for development (data in .nexus/)
	scripts/services.sh start

services-stop: ## Stop the development services (data is kept)
	scripts/services.sh stop

services-status: ## Show whether the development services are up
	scripts/services.sh status

migrate: install services ## Apply database migrations
	$(BIN)/nexus migrate

seed: install services ## Load demo data
	$(BIN)/nexus seed

run: install services migrate seed ## Everything, then serve the API (prints the GraphiQL URL)
	$(BIN)/nexus serve

bench: install ## The scale benchmarks at 100k relationships (a few minutes; see docs/benchmarks.md)
	scripts/bench.sh

test-services: ## Start the separate test services (.nexus/test; ports 55432, 56379, 57687)
	scripts/services.sh start

test-services-stop: ## Stop the test services
	scripts/services.sh stop

test: install test-services ## Lint, format check, type check, layer contracts and the test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: install ## ruff check
	$(BIN)/ruff check .

fmt: install ## Format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy (strict)
	$(BIN)/mypy

layers: install ## The layer contracts: imports point down only (pyproject.toml [tool.importlinter])
	$(BIN)/lint-imports

schema: install ## Write the GraphQL schema to schema.graphql
	$(BIN)/nexus print-schema > schema.graphql.tmp && mv schema.graphql.tmp schema.graphql

clean-data: ## Stop dev and test services and DELETE all their data (.nexus/)
	-scripts/services.sh stop
	-env $(TEST_ENV) scripts/services.sh stop
	rm -rf .nexus
