# fleetform: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
TOOLS := .tools
PIPENV := $(TOOLS)/bin/pipenv
VENV := .venv
PY := $(VENV)/bin/python

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
export PIPENV_VERBOSITY := -1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export DISABLE_VERSION_CHECK := 1

.PHONY: help setup system-packages standin cdktn test test-unit test-e2e lint format types pytest synth validate bindings bench demo demo-stop demo-fleet demo-fleet-stop clean

help:
	@echo "make demo      setup, start the HyperCore simulator, cdktf deploy manifests/ to it, show the VMs"
	@echo "make demo-stop stop the simulator started by make demo"
	@echo "make demo-fleet  roll the seed applications out to a simulated fleet of 6 clusters in three waves"
	@echo "make demo-fleet-stop  stop the simulated fleet started by make demo-fleet"
	@echo "make setup     install everything into the project (.venv, node_modules)"
	@echo "make test      setup, then lint, types and the test suite (make test-unit / test-e2e: one layer)"
	@echo "make cdktn     CDK Terrain (cdktn 0.24) in .venv-cdktn and tools/cdktn, for the tests that compare it"
	@echo "make synth     synthesize manifests/ into cdktf.out/"
	@echo "make bindings  regenerate providers/hypercore from the provider schema"
	@echo "make bench     synth, plan, import and a 50-cluster rollout at fleet size (about 50 min); writes bench/results.md"

setup: $(VENV)/.synced node_modules/.installed system-packages standin

# The stand-in provider in a filesystem mirror (.fleetform/mirror) and the Terraform CLI configuration that
# selects it (.fleetform/terraformrc); only the simulator mode points TF_CLI_CONFIG_FILE at it.
standin: $(VENV)/.synced
	@$(PY) -m fleetform.standin_provider.install --mirror .fleetform/mirror --cli-config .fleetform/terraformrc >/dev/null

# Debian packages the project uses, installed only when missing: graphviz (fleetform graph --format svg)
# and PostgreSQL (the tests of the pg state backend start a throwaway server).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends
system-packages:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then echo "installing$$missing (apt)"; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) $$missing >/dev/null; fi

$(PIPENV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet pipenv==$(PIPENV_VERSION)

$(VENV)/.synced: Pipfile.lock pyproject.toml | $(PIPENV)
	$(PIPENV) sync --dev
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# CDK Terrain, cdktf's maintained fork, in an environment of its own (tests/cdktn compares its JSON with cdktf's):
# Pipfile.lock's runtime packages without cdktf, plus tools/cdktn/requirements.txt; cdktn-cli and the Node 22 it
# needs from tools/cdktn/package-lock.json.
CDKTN_VENV := .venv-cdktn
cdktn: $(CDKTN_VENV)/.installed tools/cdktn/node_modules/.installed

$(CDKTN_VENV)/.installed: Pipfile.lock tools/cdktn/requirements.txt | $(PIPENV)
	rm -rf $(CDKTN_VENV)
	$(PYTHON) -m venv $(CDKTN_VENV)
	$(PIPENV) requirements | grep -v -E '^(-e |cdktf==|constructs==)' > $(CDKTN_VENV)/locked.txt
	$(CDKTN_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(CDKTN_VENV)/locked.txt -r tools/cdktn/requirements.txt
	touch $@

tools/cdktn/node_modules/.installed: tools/cdktn/package-lock.json
	npm ci --prefix tools/cdktn --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

types: setup
	$(VENV)/bin/mypy

# Two workers, each taking whole test files (a file's deployed fixtures are built once); the 25 slowest tests are
# listed at the end. Slices: `make test-unit` (no Terraform, about a minute), `make test-e2e` (real Terraform
# against the simulator), or any pytest marker expression: `make pytest PYTEST_ARGS='-m "e2e and not slow"'`.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
PYTEST := $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25

pytest: setup cdktn
	$(PYTEST) $(PYTEST_ARGS)

test-unit: setup cdktn
	$(PYTEST) -m "not e2e" $(PYTEST_ARGS)

test-e2e: setup cdktn
	$(PYTEST) -m e2e $(PYTEST_ARGS)

test: setup cdktn lint types pytest

validate: setup
	$(VENV)/bin/fleetform validate manifests/

synth: setup
	$(VENV)/bin/fleetform synth

bindings: setup
	$(PY) tools/generate_bindings.py

# Not part of make test: tens of minutes, and its figures belong to the machine that made them.
bench: setup
	$(PY) bench/run.py

demo: setup
	$(VENV)/bin/fleetform demo --auto-approve

demo-stop:
	@if [ -x $(VENV)/bin/fleetform ]; then $(VENV)/bin/fleetform simulator stop; else echo "nothing to stop"; fi

demo-fleet: setup
	$(VENV)/bin/fleetform demo-fleet

demo-fleet-stop:
	@if [ -x $(VENV)/bin/fleetform ]; then $(VENV)/bin/fleetform demo-fleet --stop; else echo "nothing to stop"; fi

clean:
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache
