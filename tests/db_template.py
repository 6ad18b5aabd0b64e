"""Migrate once per test run, and give each pytest-xdist worker a copy.

Migrating the project's test database takes about 20 s of one core (Django renders the models' states some 17,000
times over the ~100 migrations). pytest-django makes every xdist worker migrate its own database, so ``make test``
paid it once per worker and per database. Here the first worker to need a database migrates it under a file lock
(``fcntl``), keyed by xdist's test run id, and leaves a template; every worker then copies the template:

- SQLite (the test database is in memory): the migrated database is written to a file with SQLite's backup API and
  read back into each worker's in-memory database the same way;
- PostgreSQL: the migrated database is a template and each worker's database is ``CREATE DATABASE … TEMPLATE``.

The copy holds what ``migrate`` left (tables, the data migrations' rows, the ``post_migrate`` receivers' role groups
and content types), so the tests see the same database as before. Without xdist, or with ``KEHU_TEST_MIGRATE_EACH=1``,
pytest-django's own set-up runs. The controller removes the template at the end of the run
(``drop_templates``, from ``pytest_sessionfinish`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import fcntl
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

ALIAS = "default"


def run_directory(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"kehu-tests-{run_id}"


@contextmanager
def _locked(directory: Path):
    directory.mkdir(exist_ok=True)
    with open(directory / "lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _template_name(settings_dict: dict, run_id: str) -> str:
    return f"test_{settings_dict['NAME']}_template_{run_id[:12]}"


def setup_from_template(run_id: str, verbosity: int) -> list:
    """This worker's test database, copied from the run's migrated template (made first if no worker has yet).
    Returns the configuration ``django.test.utils.teardown_databases`` takes."""
    from django.db import connections

    connection = connections[ALIAS]
    directory = run_directory(run_id)
    old_name = connection.settings_dict["NAME"]
    with _locked(directory):
        if connection.vendor == "sqlite":
            _sqlite_copy(connection, directory / "template.sqlite3", verbosity)
        elif connection.vendor == "postgresql":
            _postgresql_copy(connection, run_id, directory / "template.made", verbosity)
        else:  # pragma: no cover - the suite runs on SQLite and PostgreSQL
            raise RuntimeError(f"no test database template for {connection.vendor}")
    return [(connection, old_name, True)]


def _sqlite_copy(connection, template: Path, verbosity: int) -> None:
    if not template.exists():
        connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
        target = sqlite3.connect(template.with_suffix(".part"))
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        template.with_suffix(".part").replace(template)
        return
    if not connection.creation.is_in_memory_db(connection.creation._get_test_db_name()):  # pragma: no cover
        raise RuntimeError("the SQLite test database template expects an in-memory test database")
    _use_database(connection, connection.creation._get_test_db_name())
    source = sqlite3.connect(template)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _postgresql_copy(connection, run_id: str, made: Path, verbosity: int) -> None:
    test_settings = connection.settings_dict.setdefault("TEST", {})
    worker_name = connection.creation._get_test_db_name()
    template = _template_name(connection.settings_dict, run_id)
    if not made.exists():
        test_settings["NAME"] = template
        try:
            connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
        finally:
            test_settings["NAME"] = worker_name
        connection.close()  # no session may stay on a template that is being copied
        made.write_text(template)
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(worker_name)}")
        cursor.execute(f"CREATE DATABASE {quote(worker_name)} TEMPLATE {quote(template)}")
    _use_database(connection, worker_name)


def _use_database(connection, name: str) -> None:
    """Point the connection (and the settings, as ``create_test_db`` does) at ``name``."""
    from django.conf import settings

    connection.close()
    settings.DATABASES[ALIAS]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()


def drop_templates(run_id: str) -> None:
    """At the end of the run (the xdist controller): the PostgreSQL template database and the run's files."""
    import shutil

    directory = run_directory(run_id)
    made = directory / "template.made"
    if made.exists():
        from django.db import connections

        connection = connections[ALIAS]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(made.read_text())}")
    shutil.rmtree(directory, ignore_errors=True)
