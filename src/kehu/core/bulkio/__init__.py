"""Bulk input and output on PostgreSQL and SQLite: every vendor-specific bulk primitive of Kehu, one module per
concern, so that the apps that write or read in bulk (imports, customers' bulk upsert, scoring, demo) carry no
``connection.vendor`` branches of their own.

* :mod:`.rows` — rows of Python values: ids allocated up front, inserts (PostgreSQL ``COPY``, SQLite
  ``executemany``), updates by primary key (PostgreSQL: ``COPY`` into a temporary table and one ``UPDATE … FROM``),
  selects restricted to a list of values (PostgreSQL ``= ANY(array)``, SQLite ``IN (…)`` in batches of
  ``in_list_size``), JSON objects built in SQL for ``INSERT … SELECT`` (``json_object_sql``).
* :mod:`.arrays` — whole numpy columns: fetched (PostgreSQL binary ``COPY … TO``) and staged into temporary tables
  (binary ``COPY … FROM``).
* :mod:`.session` — the connection during a long bulk run: an import's and a scoring run's settings (SQLite page
  cache, PostgreSQL JIT and ``work_mem``), ``ANALYZE`` on the way, whether a writer thread may write.

Everything runs on Django's connection inside the caller's transaction. :func:`is_postgresql` is the one test of
the vendor the modules share.
"""

from __future__ import annotations

from django.db import connection


def is_postgresql() -> bool:
    """True on PostgreSQL; Kehu's other database is SQLite."""
    return connection.vendor == "postgresql"
