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
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

## install: create .venv and install Kehu with its development tools (.venv/bin/kehu)
install: $(STAMP)

## demo: embedded SQLite database under var/, demo data, server on http://127.0.0.1:8000
demo: install
	KEHU_TESTING= $(BIN)/kehu demo

## test: lint and the whole suite on SQLite and, when it answers, on PostgreSQL, side by side
# Lint and the two suites run at once (each one's output is shown when it ends). The browser tests (e2e) and the
# schema fuzz (fuzz) exercise the pages and the API's input handling rather than the database: under `make test`
# the browser tests run on SQLite and the fuzz on PostgreSQL, once each; `make test-sqlite` or `make test-postgres`
# alone runs everything. Without PostgreSQL, everything runs on SQLite.
PG_ANSWERS = $(BIN)/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()" 2>/dev/null
# (the fuzz file is left out of the SQLite run rather than deselected: collecting it generates its cases, ~10 s a process)
SQLITE_SKIP_FUZZ ?=
POSTGRES_MARKS ?=
test: install e2e-deps
	@if $(PG_ANSWERS); then \
		echo "== lint, the suite on SQLite and the suite on PostgreSQL, side by side (outputs follow as each ends) =="; \
		$(MAKE) --no-print-directory -j3 -O lint test-sqlite test-postgres SQLITE_SKIP_FUZZ=1 POSTGRES_MARKS="not e2e"; \
	else \
		echo "== PostgreSQL does not answer on 127.0.0.1:5432: SKIPPING the PostgreSQL run =="; \
		$(MAKE) --no-print-directory -j2 -O lint test-sqlite; \
	fi

test-sqlite: install
	@echo "== test suite on SQLite =="
	KEHU_DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_XDIST) $(if $(SQLITE_SKIP_FUZZ),--ignore=tests/api/test_schemathesis.py) $(PYTEST_ARGS)

test-postgres: install
	@if $(PG_ANSWERS); then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		KEHU_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_XDIST) $(if $(POSTGRES_MARKS),-m "$(POSTGRES_MARKS)") $(PYTEST_ARGS); \
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
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

## messages: refresh and compile the zh-Hans and English catalogues
messages: install
	cd src/kehu && KEHU_DEBUG=1 ../../$(BIN)/kehu makemessages -l zh_Hans -l en --no-obsolete
	cd src/kehu && KEHU_DEBUG=1 ../../$(BIN)/kehu compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
