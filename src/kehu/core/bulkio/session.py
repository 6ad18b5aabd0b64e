"""The connection during a long bulk run: its settings for the run (restored afterwards), the planner's statistics
refreshed on the way, and whether a second connection may write while the first reads.

* :func:`bulk_write_session` — an import: SQLite gets a 128 MiB page cache.
* :func:`tuned_connection` — a scoring run: PostgreSQL without JIT; SQLite with a 256 MiB cache, the file
  memory-mapped and temporary storage in memory.
* :func:`analyze` — PostgreSQL ``ANALYZE`` of tables (or some of their columns); nothing on SQLite, whose planner
  needs no fresh statistics for the index lookups of a bulk write.
* :func:`concurrent_writer` — whether a thread with a connection of its own may write chunks while the run reads
  on (PostgreSQL; SQLite has one writer at a time).
* :func:`transaction_sort_memory` — PostgreSQL ``SET LOCAL work_mem`` for a big sort.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.db import connection

from . import is_postgresql

SQLITE_IMPORT_CACHE_KIB = 131072


@contextmanager
def bulk_write_session() -> Iterator[None]:
    """Connection settings for a big write, restored afterwards.

    SQLite's default page cache (2 MiB) makes every index insert of a large table a page read: during an import the
    connection gets a 128 MiB cache (measured: a million customers import markedly faster, most of all at commit).
    """
    if connection.vendor != "sqlite" or not SQLITE_IMPORT_CACHE_KIB:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


@contextmanager
def tuned_connection() -> Iterator[None]:
    """For the duration of a scoring run. PostgreSQL: no JIT compilation. SQLite: a 256 MiB page cache (the
    default 2 MiB makes index updates of a million rows thrash), the database file memory-mapped (rows looked up
    through an index are then read from the operating system's cache without copying: the summary query walks the
    transactions in customer order) and temporary tables and sorts in memory. Restored afterwards."""
    if is_postgresql():
        # PostgreSQL compiles big statements to machine code (JIT) from an estimated cost; for the summary query
        # compiling took longer than it saved (16.9 s with it, 12.5 s without, at ten million transactions)
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")
        return
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA temp_store")
        temp_store = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA mmap_size")
        row = cursor.fetchone()
        mmap_size = int(row[0]) if row else 0
        cursor.execute("PRAGMA cache_size = -262144")
        cursor.execute("PRAGMA mmap_size = 17179869184")  # capped by the SQLite build's maximum
        # the temporary storage can only be switched outside a transaction
        switch_temp_store = not connection.in_atomic_block
        if switch_temp_store:
            cursor.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")
            cursor.execute(f"PRAGMA mmap_size = {mmap_size}")
            if switch_temp_store and not connection.in_atomic_block:
                cursor.execute(f"PRAGMA temp_store = {temp_store}")


def analyze(tables: Sequence[str], columns: Mapping[str, Sequence[str]] | None = None) -> None:
    """PostgreSQL: ``ANALYZE`` each table, only the ``columns`` given for it if any (whole tables otherwise), in
    order. SQLite: nothing."""
    if not is_postgresql():
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            table_columns = (columns or {}).get(table, ())
            column_list = f" ({', '.join(quote(column) for column in table_columns)})" if table_columns else ""
            cursor.execute(f"ANALYZE {quote(table)}{column_list}")


def concurrent_writer() -> bool:
    """Whether a thread with a connection of its own may write while this connection reads on: on PostgreSQL.
    SQLite allows one writer at a time, so there the writes stay on the reading connection."""
    return is_postgresql()


def transaction_sort_memory(value: str) -> None:
    """PostgreSQL: ``SET LOCAL work_mem`` (e.g. ``"256MB"``, already checked by the caller) for the rest of the
    transaction, so a big sort stays in memory. SQLite: nothing (its sorts use the page cache and temporary store)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{value}'")
