# ProfileDesk. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO := DJANGO_SETTINGS_MODULE=profiledesk.settings.demo
# Settings that `check --deploy` must pass with, as production sets them.
DEPLOY_ENV := env -u DJANGO_SETTINGS_MODULE -u DEBUG SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	ALLOWED_HOSTS=desk.example.com DATABASE_URL=postgres://desk@127.0.0.1:5432/desk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-faults test-scale lint check bench bench-apply bench-http scan deps messages system-run system-test system-bench clean

## set-up ------------------------------------------------------------------------------
$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed node_modules/.installed

# Translation catalogues: every locale/*/LC_MESSAGES/*.po in the project (a new app's too)
# compiled to the .mo Django reads, with Babel from requirements.txt (no system gettext).
# .mo files are build output (.gitignore); only stale ones are rewritten.
messages: $(VENV)/.installed
	$(BIN)/python -m profiledesk.i18n.catalogues

# The scanners' own virtualenv: their dependencies never meet the desk's.
.venv-scan/.installed: tests/scan/requirements.txt
	$(PYTHON) -m venv .venv-scan
	.venv-scan/bin/pip install -q -r tests/scan/requirements.txt
	touch $@

# Debian packages the desk runs with; installed once, only when missing.
system-run:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server >/dev/null; }

system-test: system-run
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-liberation >/dev/null; }
	@command -v initdb >/dev/null || { echo "PostgreSQL 15 (initdb, pg_ctl) must be on PATH"; exit 1; }

# The HTTP load generator of `make bench`.
system-bench:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

## the two commands --------------------------------------------------------------------
run: deps messages system-run
	$(DEMO) $(BIN)/python manage.py migrate --noinput -v0
	$(DEMO) $(BIN)/python manage.py seed_demo
	$(DEMO) $(BIN)/python manage.py run_demo

test: deps messages system-test lint check
	tests/with_services.sh $(BIN)/pytest $(PYTEST_ARGS)

# Fault tests (SIGKILLed workers, lost tasks): slower, so not in every `make test`.
test-faults: deps messages system-test
	PROFILEDESK_FAULTS=1 tests/with_services.sh $(BIN)/pytest tests/connectors/test_faults.py tests/connectors/test_faults_redis.py tests/connectors/test_faults_order.py

# The floor at scale: two web nodes, two workers, two beats on one PostgreSQL, Redis and
# store of private files, a worker SIGKILLed and a node restarted under load (tests/scale).
test-scale: deps messages system-test
	tests/with_services.sh $(BIN)/python -m tests.scale.run

## the parts ---------------------------------------------------------------------------
lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo  # the layers of docs/architecture.md (.importlinter)
	$(BIN)/mypy  # files and strictness in pyproject.toml [tool.mypy]
	$(BIN)/python -m profiledesk.browser.markup_check  # nothing but constants marked safe

check: deps
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(DEMO) $(BIN)/python manage.py makemigrations --check --dry-run

# The queue at 1,000,000 tickets (through the test client, then the hot pages over HTTP:
# gunicorn and wrk, one seed), then apply -> hand-off and confirmations a second, then the
# history pages with 10,000 versions for one customer.
bench: deps system-test system-bench
	tests/with_services.sh $(BIN)/python -m tests.bench.http_bench
	tests/with_services.sh $(BIN)/python -m tests.bench.apply_bench
	tests/with_services.sh $(BIN)/python -m tests.bench.history_bench
	tests/with_services.sh $(BIN)/python -m tests.bench.stp_bench

# The hot pages over HTTP through gunicorn, loaded by wrk (tests/bench/http_bench.py).
bench-http: deps system-test system-bench
	tests/with_services.sh $(BIN)/python -m tests.bench.http_bench

# Apply -> provider hand-off, and confirmations a second of one worker (local sinks).
bench-apply: deps system-test
	tests/with_services.sh $(BIN)/python -m tests.bench.apply_bench

# wapiti and sqlmap against the desk on 127.0.0.1 (production settings, PostgreSQL), signed
# in as an agent and a supervisor; reports in var/scan/, fails on any finding. About 25
# minutes, so not part of `make test` (docs/security.md).
scan: deps system-test .venv-scan/.installed
	tests/with_services.sh $(BIN)/python tests/scan/run.py

clean:
	rm -rf $(VENV) .venv-scan node_modules var staticfiles .pytest_cache .ruff_cache .mypy_cache
