# Relais — the two commands of the README, and a few more for developers.
#   make demo   creates .venv, installs, migrates, seeds the demo and serves it with a worker
#   make test   runs the whole suite on SQLite (or on DATABASE_URL when it is set)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
AGENTS ?= 2000
PYTEST_ARGS ?=

.PHONY: demo test lint format install install-dev check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Relais needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	@DEBUG=true $(BIN)/python manage.py migrate --noinput
	@DEBUG=true $(BIN)/python manage.py setup_schedules
	@DEBUG=true $(BIN)/python manage.py seed_demo --agents $(AGENTS)
	@echo ""
	@echo "  Relais runs at http://$(HOST):$(PORT)/   (API docs: http://$(HOST):$(PORT)/api/v1/docs/)"
	@echo "  Demo logins (password relais-demo): comms, manager, ambassador, agent; admin for /admin/"
	@echo "  Stop with Ctrl+C."
	@echo ""
	@DEBUG=true $(BIN)/python manage.py qcluster & qpid=$$!; \
	trap 'kill $$qpid 2>/dev/null; wait $$qpid 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/relais.sqlite3*
