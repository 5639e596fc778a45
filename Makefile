# One entry point for people and CI alike. `make test` works on a fresh machine: it makes the
# virtual environment, installs syncer with its test dependencies, and runs the suite.

# Python >= 3.12 is preferred: the official BeProduct SDK's async client does not import on 3.11
# (its tests then skip with that reason). Override with `make PYTHON=/path/to/python3.x test`.
PYTHON ?= $(shell for p in python3.12 $$(ls -d $$HOME/.pyenv/versions/3.12.*/bin/python3 2>/dev/null) \
	python3.13 $$(ls -d $$HOME/.pyenv/versions/3.13.*/bin/python3 2>/dev/null) python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install browser test demo lint typecheck check clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python >= 3.11 found; set PYTHON=..." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## make the virtual environment with syncer and its dev dependencies

# The browser tests (tests/browser) drive Debian's chromium through Playwright, which never downloads
# a browser of its own; without chromium they skip (fail under SYNCER_REQUIRE_BROWSER=1, as in CI).
browser:  ## install Debian's chromium when missing (needs root; else a warning)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "warning: no chromium and not root: the browser tests will skip" >&2; fi; }

# Branch coverage of syncer/: the total is printed and must stay at the floor ([tool.coverage.report]);
# `$(BIN)/coverage report` lists the files below 100% with their missing lines. A run of part of the
# suite skips it: `make test COV= PYTEST_ARGS=tests/core`.
COV ?= --cov --cov-report=
# The suite runs on one pytest-xdist worker per core (most of its time is spent waiting on emulators
# and subprocesses, so two workers on two cores nearly halve it); pytest-cov combines the workers'
# data before the floor is checked, so the floor is measured over the whole run. `worksteal` evens
# out the tail (tests take from 10 ms to 20 s). `make test WORKERS=0` runs it in one process.
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
XDIST ?= -n $(WORKERS) --dist worksteal
test: $(STAMP)  ## run the test suite on every core, with branch coverage and its floor
	$(BIN)/python -m pytest $(XDIST) $(COV) $(PYTEST_ARGS)

demo: $(STAMP)  ## run the demo: four emulators, a migration and an incremental sync
	$(BIN)/syncer demo

lint: $(STAMP)  ## ruff, and the import contracts (lint-imports)
	$(BIN)/ruff check syncer tests bench
	$(BIN)/ruff format --check syncer tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)  ## mypy --strict on syncer/ and bench/, on tests/ a little relaxed
	$(BIN)/mypy

check: lint typecheck test  ## everything CI runs

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .coverage .coverage.*
