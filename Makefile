# One task runner for people and CI. `make demo` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: demo test test-slow install install-dev lint typecheck contracts unit bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .

install-dev: $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'

demo: install
	$(BIN)/crossdock demo --orders 200 --edi-orders 20 --until-done --faults none

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

contracts: install-dev
	$(BIN)/lint-imports

unit: install-dev
	$(BIN)/pytest -q

test: lint typecheck contracts unit

# Multi-process suites on PostgreSQL + NATS JetStream (minutes, not seconds); CI runs them too.
test-slow: install-dev
	$(BIN)/pytest -q -m slow

bench: install
	$(BIN)/crossdock bench lifecycle --orders 2000 --runs 3 --json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache var
