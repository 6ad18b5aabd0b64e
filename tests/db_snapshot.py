"""Record what a slow, deterministic data load wrote, and write it again instead of loading again.

``replay_or_record(key, load)`` runs ``load()`` the first time and records every table before and after it (this
process's test database, on SQLite rows, on PostgreSQL ``COPY`` text). The next call with the same ``key``, made on
a database whose every table holds exactly what it held before that first load, writes the recorded difference (rows
deleted, updated, added: the tables the load changed end equal to what it left) and returns the first call's result.
The same holds after a transactional test's flush, which makes the rows of ``post_migrate`` and the data migrations
again with other ids (``_renumbered``): every table is then made equal to what the first load left. On any other
database (a test's own rows), ``load()`` runs again and its run is recorded instead.

The demo tests use it (``tests.demo.test_demo.run_demo``): ``kehu demo`` of the small size takes several seconds per
call, and a dozen tests in several apps read what it wrote. It still runs in every test process, on every database,
and a test that changes something first or runs it again (``test_running_again_adds_nothing``) runs the real thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

State = dict[str, frozenset]


@dataclass
class _Recording:
    before: State
    after: State
    result: Any


_recordings: dict[Any, _Recording] = {}


def _tables(connection) -> dict[str, str]:
    """Table name → ``"table"`` or (SQLite's full-text indexes) ``"virtual"``; SQLite's own tables and the shadow
    tables behind a full-text index are left out (they follow the index)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA main.table_list")
            return {name: kind for _schema, name, kind, *_rest in cursor.fetchall()
                    if kind in ("table", "virtual") and not name.startswith("sqlite_")}
        return {info.name: "table" for info in connection.introspection.get_table_list(cursor) if info.type == "t"}


def capture(connection=None) -> State:
    """Every table's rows, as a set (each table has a primary key, so no row appears twice)."""
    from django.db import connection as default

    connection = connection or default
    quote = connection.ops.quote_name
    state: State = {}
    with connection.cursor() as cursor:
        for table, kind in sorted(_tables(connection).items()):
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {quote(table)} TO STDOUT") as copy:
                    data = b"".join(bytes(block) for block in copy)
                state[table] = frozenset(data.splitlines(keepends=True))
            else:  # a full-text index's rows with their rowid (the row they index), as the first column
                cursor.execute(f"SELECT {'rowid, ' if kind == 'virtual' else ''}* FROM {quote(table)}")
                columns = tuple(column[0] for column in cursor.description)
                state[table] = frozenset((columns, *row) for row in cursor.fetchall())
    return state


def _write(connection, table: str, rows: frozenset) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                copy.write(b"".join(rows))
            for sequence in connection.introspection.get_sequences(cursor, table):
                column, name = quote(sequence["column"]), sequence["name"]
                # the recorded ids were drawn from the sequence already; make sure it is past them all the same
                cursor.execute(
                    f"SELECT setval(%s, m) FROM (SELECT max({column}) AS m FROM {quote(table)}) AS t "
                    "WHERE m > COALESCE(pg_sequence_last_value(%s::regclass), 0)", [name, name])
        else:
            columns = next(iter(rows))[0]
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})", [row[1:] for row in rows])


def replay(recording: _Recording, connection, current: State) -> None:
    """Make every table equal to what the load left, from ``current`` (the database's foreign keys are deferred to
    the end of the transaction, so the order of tables does not matter)."""
    quote = connection.ops.quote_name
    for table, after in recording.after.items():
        now = current.get(table, frozenset())
        if after == now:
            continue
        if now - after:  # a row deleted or updated: the table again, whole
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {quote(table)}")
            _write(connection, table, after)
        else:
            _write(connection, table, after - now)


def _renumbered(current: State, before: State) -> bool:
    """The database holds what the load started from but for the rows a transactional test's flush made again
    (``post_migrate``: content types, permissions, role groups, the data migrations' rows) with other ids: the same
    tables, every one with as many rows, and only tables that were not empty differ (a test's own customers, users,
    … would be in tables empty after migrate, or change a count)."""
    if current.keys() != before.keys():
        return False
    return all(len(current[table]) == len(rows) and (rows or not current[table]) for table, rows in before.items()
               if current[table] != rows)


def replay_or_record(key: Any, load: Callable[[], Any], connection=None) -> Any:
    from django.db import connection as default

    connection = connection or default
    before = capture(connection)
    recording = _recordings.get(key)
    if recording is not None and (recording.before == before or _renumbered(before, recording.before)):
        replay(recording, connection, before)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # the ids of the recording's (tests' teardown clears it again)
        return recording.result
    result = load()
    _recordings[key] = _Recording(before, capture(connection), result)
    return result
