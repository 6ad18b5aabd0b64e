# Kehu — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/kehu
PYTEST_ARGS ?=
# the suite in PYTEST_WORKERS processes (pytest-xdist), whole files to a worker; 0 runs it in this process
PYTEST_WORKERS ?= 2
PYTEST_XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
export KEHU_TESTING := 1

.PHONY: install demo serve test test-sqlite test-postgres lint e2e e2e-deps bench messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## install: create .venv and install Kehu with its development tools (.venv/bin/kehu)
install: $(STAMP)

## demo: embedded SQLite database under var/, demo data, server on http://127.0.0.1:8000
demo: install
	KEHU_TESTING= $(BIN)/kehu demo

## test: lint, then the whole suite (browser tests included) on SQLite and, when it answers, on PostgreSQL
test: install lint e2e-deps test-sqlite test-postgres

test-sqlite: install
	@echo "== test suite on SQLite =="
	KEHU_DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

test-postgres: install
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		KEHU_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS); \
	else \
		echo "== PostgreSQL does not answer on 127.0.0.1:5432: SKIPPING the PostgreSQL run =="; \
	fi

## lint: ruff, mypy, import contracts (lint-imports), missing migrations, translation catalogues compiled
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/kehu
	$(BIN)/lint-imports
	KEHU_DEBUG=1 $(BIN)/kehu makemigrations --check --dry-run
	$(BIN)/python scripts/check_messages.py

## e2e-deps: Debian's chromium and CJK fonts for the browser tests
e2e-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing chromium and fonts-noto-cjk (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

## e2e: only the browser tests
e2e: install e2e-deps
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

## bench: benchmark scripts (figures printed, nothing asserted); BENCH_ARGS=--full for the million-row sizes
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

## messages: refresh and compile the zh-Hans and English catalogues
messages: install
	cd src/kehu && KEHU_DEBUG=1 ../../$(BIN)/kehu makemessages -l zh_Hans -l en --no-obsolete
	cd src/kehu && KEHU_DEBUG=1 ../../$(BIN)/kehu compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
