# issues-api developer tasks: `make help` lists them.
#
# Every tool runs from .venv/bin/. The interpreter that creates .venv is PYTHON when given
# (`make run PYTHON=/path/to/python3.12`), otherwise the newest Python >= 3.12 that
# scripts/find-python finds. An existing healthy .venv is reused unless PYTHON is given and
# is a different Python, in which case .venv is rebuilt with it.

.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.issues-api-requirements
PYTHON ?=
PYTEST_ARGS ?=
NODE_SDK := tests/sdk/node
NODE_SDK_STAMP := $(NODE_SDK)/node_modules/.package-lock.json

HOST := 127.0.0.1
PORT := 8000

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv run test lint format bench clean

help:
	@echo "make run     create .venv, migrate, load the reference world, print a token and a DSN, run digest_events and serve on http://$(HOST):$(PORT)/"
	@echo "make test    ruff lint + format check, migration check, install @sentry/node (npm), pytest (PYTEST_ARGS='...' to pass options)"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make format  ruff check --fix, then ruff format"
	@echo "make bench   benchmark the served API on PostgreSQL with wrk (several minutes; README, Benchmark)"
	@echo "make venv    create or update .venv from requirements.txt"
	@echo "make clean   remove .venv, tests/sdk/node/node_modules and caches (var/, the SQLite database and secret key, is kept)"
	@echo "Options: PYTHON=/path/to/python3.12 to choose the interpreter; DATABASE_URL=postgres://... for PostgreSQL"

# (Re)creates .venv when it is missing, broken, older than 3.12, or not the requested PYTHON;
# (re)installs requirements.txt when its content changed since the last install (stamp file).
venv:
	@set -e; \
	check='import sys; sys.exit(sys.version_info < (3, 12))'; \
	if [ -n "$(PYTHON)" ] || ! $(BIN)/python -c "$$check" >/dev/null 2>&1 \
		|| ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
		py=$$(PYTHON="$(PYTHON)" sh scripts/find-python); \
		want=$$("$$py" -c 'import sys; print(sys.version)'); \
		have=$$($(BIN)/python -c 'import sys; print(sys.version)' 2>/dev/null || true); \
		if [ "$$want" != "$$have" ] || ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
			echo ">> creating $(VENV) with $$py (Python $$("$$py" -c 'import platform; print(platform.python_version())'))"; \
			rm -rf $(VENV); \
			"$$py" -m venv $(VENV); \
		fi; \
	fi; \
	sum=$$($(BIN)/python -c 'import hashlib, platform; print(hashlib.sha256(open("requirements.txt", "rb").read()).hexdigest(), platform.python_version())'); \
	if [ ! -f $(STAMP) ] || [ "$$(cat $(STAMP))" != "$$sum" ]; then \
		echo ">> installing requirements.txt into $(VENV)"; \
		$(BIN)/python -m pip install --upgrade pip; \
		$(BIN)/python -m pip install -r requirements.txt; \
		echo "$$sum" > $(STAMP); \
	fi

run: venv
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	@set -e; \
	token=$$($(BIN)/python manage.py seed_example --token-only); \
	if [ -z "$$token" ]; then echo "seed_example printed no token" >&2; exit 1; fi; \
	dsn=$$(ISSUES_API_URL_PREFIX="$${ISSUES_API_URL_PREFIX:-http://$(HOST):$(PORT)}" \
		$(BIN)/python manage.py seed_example --dsn-only); \
	admin=$$($(BIN)/python manage.py ensure_admin); \
	echo ""; \
	echo "  API token: $$token"; \
	echo "  DSN:       $$dsn"; \
	echo "  Issue:     http://$(HOST):$(PORT)/api/0/issues/1/"; \
	echo "  Try:       curl -H \"Authorization: Bearer $$token\" http://$(HOST):$(PORT)/api/0/issues/1/"; \
	echo "  Admin:     http://$(HOST):$(PORT)/admin/"; \
	echo "             $$admin"; \
	echo "  Events sent to the DSN are digested by digest_events, which runs beside gunicorn."; \
	echo ""; \
	$(BIN)/python manage.py digest_events & digest=$$!; \
	trap 'kill $$digest 2>/dev/null; wait $$digest' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn issues_api.wsgi:application --bind $(HOST):$(PORT) --workers 2 --access-logfile -

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint $(NODE_SDK_STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# @sentry/node for tests/sdk/test_node.py (sentry-sdk and sentry-cli come with requirements.txt):
# installed from package-lock.json when node_modules is missing or older than it. npm ci
# writes the stamp, node_modules/.package-lock.json; touch dates it after the install.
$(NODE_SDK_STAMP): $(NODE_SDK)/package-lock.json $(NODE_SDK)/package.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "make test needs Node.js 20+ and npm, for @sentry/node ($(NODE_SDK))" >&2; exit 1; }
	npm ci --prefix $(NODE_SDK) --no-audit --no-fund
	@touch $@

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A new PostgreSQL database (BENCH_DATABASE, default issues_api_bench, dropped first) with a
# 1,000,000-event issue, gunicorn as in production, wrk; knobs BENCH_* (bench/run.py).
bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(NODE_SDK)/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
