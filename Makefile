# Parley: every target is listed by `make help`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PROTO_OUT := libs/contracts/src
MYPY_PACKAGES := parley_kit parley_devstack parley_testkit parley_emulator parley_cli parley_gateway parley_tenants \
	parley_negotiation parley_delivery parley_analytics
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/parley: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --all-packages --locked --python $(PYTHON)
	@touch $@

.PHONY: install
install: $(BIN)/parley ## install every package and tool into .venv (the parley command lives there)

uv.lock: pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) | $(UV)
	$(UV) lock --python $(PYTHON)

.PHONY: proto
proto: install ## generate typed Python from protos/ into libs/contracts
	$(BIN)/python -m parley_devstack.protogen --protos protos --out $(PROTO_OUT)

.PHONY: proto-check
proto-check: install ## fail when generated code drifts from protos/ (and lint the protos)
	$(BIN)/buf lint protos
	$(BIN)/python -m parley_devstack.protogen --protos protos --out $(PROTO_OUT) --check

.PHONY: lint
lint: install ## ruff and mypy --strict on hand-written code
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(addprefix -p ,$(MYPY_PACKAGES))

.PHONY: fmt
fmt: install ## format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: test
test: install proto-check lint ## run every test (starts its own PostgreSQL and NATS when no URL is set)
	$(BIN)/python -m pytest

.PHONY: run
run: install ## run the whole mesh locally with the Messenger emulator; Ctrl-C stops everything
	$(BIN)/parley devstack run

.PHONY: gateway
gateway: install ## run the gateway alone (needs PARLEY_NATS_URL)
	$(BIN)/parley gateway serve

.PHONY: tenants
tenants: install ## run the tenants gRPC service alone (needs its settings, see README)
	$(BIN)/parley tenants serve

.PHONY: migrate
migrate: install ## apply every service's database migrations (PARLEY_DATABASE_URL)
	$(BIN)/parley tenants migrate
	$(BIN)/parley negotiation migrate
	$(BIN)/parley delivery migrate
	$(BIN)/parley analytics migrate

.PHONY: emulator
emulator: install ## run the Messenger emulator alone
	$(BIN)/parley emulator serve

.PHONY: bench
bench: install ## benchmark suite, one table against the targets (BENCH_ARGS=..., BENCH_PARTS=1 adds each part's own)
	$(BIN)/python -m parley_devstack.bench_suite $(BENCH_ARGS)
	if [ -n "$${BENCH_PARTS:-}" ]; then \
		$(BIN)/python -m parley_devstack.bench_tenants; \
		$(BIN)/python -m parley_emulator.bench; \
		$(BIN)/python -m parley_negotiation.bench; \
		$(BIN)/python -m parley_devstack.bench_negotiation; \
		$(BIN)/python -m parley_delivery.bench; \
		$(BIN)/python -m parley_analytics.bench; \
	fi

.PHONY: clean
clean: ## remove the virtualenv, tools and local data
	rm -rf $(VENV) $(TOOLS) .local

-include deploy/k8s/k8s.mk
