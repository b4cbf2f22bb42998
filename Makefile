# Two commands matter: `make run` (demo at http://127.0.0.1:8000/) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6.1 needs Python >= 3.12. Look on PATH first, then under pyenv; a pyenv shim that
# answers "command not found" does not count, so every candidate is asked to run.
define FIND_PYTHON
for c in python3.14 python3.13 python3.12 python3 \
         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
    echo $$c; exit 0; fi; \
done; exit 1
endef
export FIND_PYTHON

.PHONY: help run test test-postgres lint format bench check clean

help:
	@echo "make run    install, migrate, load the demo, serve http://$(HOST):$(PORT)/ with the task worker"
	@echo "make test   install test dependencies and run the whole suite on SQLite"
	@echo "make bench  run the benchmarks (figures for the issue notes)"

$(PY):
	@py=$$(bash -c "$$FIND_PYTHON") || { echo "error: Python 3.12 or newer is required (Django 6.1); none found on PATH or under pyenv." >&2; exit 1; }; \
	echo "using $$py ($$($$py --version))"; \
	$$py -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test]"
	@touch $@ $(VENV)/.installed-app

# The task worker (db_worker) sends the emails and webhooks; it runs beside the server and
# stops with it (Ctrl-C reaches both; the trap covers the server ending any other way).
run: $(VENV)/.installed-app
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py collectstatic --noinput -v0
	@export SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"; \
	$(PY) manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "task worker started (pid $$worker): emails are printed here by the console backend"; \
	$(PY) manage.py runserver --nostatic $(HOST):$(PORT)

test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: $(VENV)/.installed-app
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# bench http loads gunicorn with Debian's wrk; bench admin_browser drives Debian's chromium.
bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null 2>&1 || { echo "installing Debian's wrk (bench http)"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
	@if [ -x .ci/browser-deps ]; then .ci/browser-deps; fi
	$(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
