# Flux developer commands. `make run` and `make test` work from a clean clone:
# each installs what it needs first (Python venv, Kafka jars, dashboard assets).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLUX   := $(VENV)/bin/flux
STAMP  := $(VENV)/.flux-installed

.PHONY: help setup lock run down status logs reset test test-unit test-integration lint typecheck \
        codegen check-codegen register-schemas check-schemas check-asyncapi docs bench bench-registry bench-serde \
        bench-services bench-bff bench-gazetteer chaos chaos-quick soak system-deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# The exact versions `make test` runs come from uv.lock (docs/dependencies.md); pyproject.toml keeps the
# ranges library users get. uv itself is pinned here and installed into the venv by pip.
UV_VERSION := 0.13.8
UV         := $(VENV)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)

$(STAMP): pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Flux needs Python >= 3.11 (found " + sys.version.split()[0] + ")")'
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing the locked Python dependencies (uv.lock) into $(VENV)"
	@$(PY) -m pip install --quiet 'uv==$(UV_VERSION)'
	@$(UV) sync --frozen --extra dev --inexact --python $(PY) --quiet
	@touch $(STAMP)

setup: $(STAMP) ## Install everything: venv, Kafka jars (Maven Central), dashboard assets, AsyncAPI validator (npm), gazetteer index
	@$(FLUX) dev fetch
	@$(PY) -m flux.geo.build_index
	@scripts/setup-dashboard.sh
	@scripts/setup-asyncapi.sh

run: setup ## Start the whole platform (Kafka, registry, Valkey, services, BFF) in the background
	@$(FLUX) dev up

down: ## Stop everything `make run` started
	@if [ -x $(FLUX) ]; then $(FLUX) dev down; else echo "nothing to stop (no .venv)"; fi

status: $(STAMP) ## Health of each component of the dev stack
	@$(FLUX) dev status

logs: $(STAMP) ## Tail the dev stack's logs
	@$(FLUX) dev logs

reset: $(STAMP) ## Stop the dev stack and delete its data (.flux/)
	@$(FLUX) dev reset --yes

test: setup ## Every test: schemas gate, unit, contract, integration (real Kafka), e2e
	@$(MAKE) --no-print-directory check-schemas
	@$(MAKE) --no-print-directory check-codegen
	$(PY) -m pytest -ra $(PYTEST_ARGS)

test-unit: $(STAMP) ## Unit tests only (no stack)
	$(PY) -m pytest -ra tests/unit $(PYTEST_ARGS)

test-integration: setup ## Integration tests only (starts the embedded stack on ephemeral ports)
	$(PY) -m pytest -ra tests/integration $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, and uv.lock in step with pyproject.toml
	$(UV) lock --check --python $(PY)
	$(VENV)/bin/ruff check src tests codegen scripts benchmarks
	$(VENV)/bin/ruff format --check src tests codegen scripts benchmarks

typecheck: $(STAMP) ## mypy --strict on src/
	$(VENV)/bin/mypy

codegen: $(STAMP) ## Generate typed classes in src/flux/contracts from schemas/
	$(PY) -m codegen

check-codegen: $(STAMP) ## Fail when src/flux/contracts is out of date with schemas/
	$(PY) -m codegen --check

register-schemas: $(STAMP) ## Register every schema version with FLUX_REGISTRY_URL (default: embedded registry)
	$(FLUX) schemas register

check-schemas: $(STAMP) ## Offline compatibility gate over the schema history
	$(FLUX) schemas check

docs: $(STAMP) ## Regenerate generated docs (topics, contracts, AsyncAPI)
	$(FLUX) topics docs --write docs/topics.md
	$(FLUX) schemas docs --write docs/contracts.md
	$(FLUX) schemas asyncapi --write docs/asyncapi.json

check-asyncapi: setup ## Validate docs/asyncapi.json with the AsyncAPI parser (also part of `make test`)
	node tools/asyncapi/validate.js docs/asyncapi.json

bench: bench-registry bench-serde bench-services bench-bff bench-gazetteer ## Every benchmark

bench-registry: setup ## Schema registry: lookups/s (1, 2 workers), register latency, replay, takeover
	$(PY) benchmarks/bench_registry.py

bench-serde: $(STAMP) ## Serde vs confluent-kafka serializers vs raw fastavro
	$(PY) benchmarks/bench_serde.py

bench-services: setup ## Weather commands/s end to end, ticker ticks/s
	$(PY) benchmarks/bench_services.py

bench-bff: setup ## BFF fan-out: clients, delivered msgs/s, latency, RSS (ARGS="--instances 2 ...": options)
	$(PY) benchmarks/bench_bff.py $(ARGS)

bench-gazetteer: $(STAMP) ## City search index: RSS and load time, old in-memory build vs compact cached index
	$(PY) benchmarks/bench_gazetteer.py

system-deps: ## System packages pip cannot provide: nginx (several BFF instances), chromium, compose client
	@scripts/install-system-deps.sh

chaos: setup system-deps ## Whole-system fault injection; report in reports/
	$(FLUX) chaos --profile full

chaos-quick: setup system-deps ## Short fault-injection run (< 5 min), part of CI
	$(FLUX) chaos --profile quick

soak: setup system-deps ## Long soak (30 min) with faults
	$(FLUX) chaos --profile soak

lock: $(STAMP) ## Re-resolve uv.lock after editing pyproject.toml (UPGRADE=1: newest versions in range)
	$(UV) lock --python $(PY) $(if $(UPGRADE),--upgrade)
	$(UV) sync --frozen --extra dev --inexact --python $(PY)
	@touch $(STAMP)

clean: down ## Remove build outputs (keeps .flux data; see `make reset`)
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache test-output
