"""Moving whole numpy columns in and out of the database, fast on both SQLite and PostgreSQL.

* ``fetch_columns``: run a query whose columns are all numbers and never NULL (use COALESCE) and return one numpy
  array per column. On PostgreSQL the result comes through ``COPY (query) TO STDOUT (FORMAT BINARY)`` and is
  decoded with one ``np.frombuffer`` (every row has the same layout); on SQLite it is fetched in chunks.
* ``stage``: create a temporary table and load numpy columns into it (PostgreSQL: binary ``COPY FROM STDIN``;
  SQLite: ``executemany`` in chunks), so that writes back to the real tables are set-based SQL statements.

Everything goes through Django's connection (the psycopg cursor under it for COPY), inside the caller's
transaction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from . import is_postgresql

_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_CHUNK = 100_000
_COPY_ROWS = 200_000  # rows per binary COPY buffer (a million rows of 40 columns would be a 450 MB buffer)

# column type -> (PostgreSQL type, SQLite type, numpy big-endian dtype for binary COPY)
_TYPES = {
    "bigint": ("bigint", "INTEGER", ">i8"),
    "integer": ("integer", "INTEGER", ">i4"),
    "smallint": ("smallint", "INTEGER", ">i2"),
    "float": ("double precision", "REAL", ">f8"),
}


def float_type() -> str:
    return "double precision" if is_postgresql() else "REAL"


def fetch_columns(sql: str, params: Sequence[object], kinds: Sequence[str]) -> list[NDArray]:
    """Run ``sql`` and return its columns as arrays; ``kinds`` gives each column's type ("bigint" or "float").

    Every value must be non-NULL. Integers come back as int64, floats as float64.
    """
    with connection.cursor() as cursor:
        if is_postgresql():
            buffer = bytearray()
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", list(params)) as copy:
                for block in copy:
                    buffer += block
            return _decode_pg_binary(bytes(buffer), kinds)
        cursor.execute(sql, list(params))  # type: ignore[arg-type]
        parts: list[NDArray[np.float64]] = []
        while True:
            rows = cursor.fetchmany(_CHUNK)
            if not rows:
                break
            parts.append(np.asarray(rows, dtype=np.float64).reshape(len(rows), len(kinds)))
    table = np.concatenate(parts) if parts else np.zeros((0, len(kinds)))
    return [table[:, i].astype(np.int64) if kind != "float" else table[:, i].copy() for i, kind in enumerate(kinds)]


def _decode_pg_binary(data: bytes, kinds: Sequence[str]) -> list[NDArray]:
    header_end = len(_PG_SIGNATURE)
    extension = int.from_bytes(data[header_end - 4:header_end], "big")
    start = header_end + extension
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, kind in enumerate(kinds):
        fields += [(f"l{i}", ">i4"), (f"v{i}", _TYPES[kind][2])]
    dtype = np.dtype(fields)
    body = data[start:len(data) - 2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=dtype)
    if rows.shape[0] and (np.any(rows["n"] != len(kinds))
                          or any(np.any(rows[f"l{i}"] != dtype[f"v{i}"].itemsize) for i in range(len(kinds)))):
        raise ValueError("unexpected NULL or column type in a binary COPY result")
    return [rows[f"v{i}"].astype(np.int64 if kind != "float" else np.float64) for i, kind in enumerate(kinds)]


def drop_temporary(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def nullable(column: str) -> str:
    """SQL for a staged float column with NaN read as NULL (SQLite already stored NaN as NULL)."""
    return f"NULLIF({column}, 'NaN'::double precision)" if is_postgresql() else column


def stage(name: str, columns: Sequence[tuple[str, str, NDArray]], *, key: str | None = None) -> int:
    """Create temporary table ``name`` with ``columns`` (column name, type, values) and load the values.

    ``key`` names a column of unique integers that correlated subqueries look rows up by: on SQLite it becomes the
    table's ``INTEGER PRIMARY KEY`` (without it, ``UPDATE ... SET x = (SELECT ... WHERE t.id = outer.id)`` scans
    the whole staged table for every row); PostgreSQL joins staged tables by hashing and needs no index.
    Float NaN is kept as NaN on PostgreSQL (read it through :func:`nullable`) and becomes NULL on SQLite.
    Returns the number of rows.
    """
    n = int(columns[0][2].shape[0]) if columns else 0
    postgresql = is_postgresql()
    definition = ", ".join(
        f"{column} {_TYPES[kind][0 if postgresql else 1]}" + (" PRIMARY KEY" if column == key and not postgresql
                                                               else "")
        for column, kind, _ in columns
    )
    drop_temporary(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({definition})")
        if n == 0:
            return 0
        if postgresql:
            fields: list[tuple[str, str]] = [("n", ">i2")]
            for i, (_column, kind, _values) in enumerate(columns):
                fields += [(f"l{i}", ">i4"), (f"v{i}", _TYPES[kind][2])]
            dtype = np.dtype(fields)
            with cursor.cursor.copy(f"COPY {name} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(_PG_SIGNATURE)
                for offset in range(0, n, _COPY_ROWS):
                    stop = min(n, offset + _COPY_ROWS)
                    rows = np.empty(stop - offset, dtype=dtype)
                    rows["n"] = len(columns)
                    for i, (_column, _kind, values) in enumerate(columns):
                        rows[f"l{i}"] = dtype[f"v{i}"].itemsize
                        rows[f"v{i}"] = values[offset:stop]
                    copy.write(rows.tobytes())
                copy.write(b"\xff\xff")
            cursor.execute(f"ANALYZE {name}")
            return n
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {name} VALUES ({placeholders})"
        for offset in range(0, n, _CHUNK):
            stop = min(n, offset + _CHUNK)
            lists = [_to_python(values[offset:stop], kind) for _c, kind, values in columns]
            cursor.executemany(sql, list(zip(*lists, strict=True)))
    return n


def _to_python(values: NDArray, kind: str) -> list:
    if kind == "float":
        return [None if math.isnan(v) else v for v in values.astype(np.float64).tolist()]
    return values.astype(np.int64).tolist()
