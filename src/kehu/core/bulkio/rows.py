"""Rows in bulk: PostgreSQL ``COPY``, SQLite ``executemany``, with ids allocated up front.

Imports of a million rows cannot afford building a model instance per row or Django's per-value preparation in
``bulk_create``; the rows arrive here already validated (by the customers' bulk upsert, the import targets), as
tuples in column order. Column
values are adapted per column type once (dates, times, decimals, JSON), the way Django would store them.

Ids are allocated before inserting so profiles, history and tags can refer to the new customers in the same chunk:
on PostgreSQL from the table's identity sequence; on SQLite from the largest id ever used (the table's
``sqlite_sequence`` entry or ``MAX(id)``), which is safe because Kehu opens SQLite transactions ``IMMEDIATE`` (the
write lock is held from the start of the chunk's transaction).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

from . import is_postgresql

Adapter = Callable[[Any], Any]


class JsonText(str):
    """A JSON value already serialised (rows that share a few values serialise each once): written as it is."""


def _json(value: Any) -> Any:
    if value is None:
        return None
    if value.__class__ is JsonText:
        return value
    if not value and isinstance(value, dict):
        return "{}"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _column_types(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    by_column = {field.column: field.get_internal_type() for field in model._meta.concrete_fields}
    return [by_column[column] for column in columns]


def _memoised(convert: Callable[[Any], Any], limit: int) -> Adapter:
    """``convert`` with a bounded cache, None kept as None: an import writes the same few times (the job's start) and
    dates (birth dates) over and over, and formatting them costs more than the rest of a row."""
    cache: dict[Any, Any] = {}

    def adapt(value: Any) -> Any:
        if value is None:
            return None
        cached = cache.get(value)
        if cached is None:
            if len(cache) > limit:
                cache.clear()
            cached = cache[value] = convert(value)
        return cached

    return adapt


# a datetime as Django stores it in SQLite: naive UTC text
_sqlite_datetime = _memoised(lambda value: connection.ops.adapt_datetimefield_value(value), 10_000)
# a date or an aware datetime as the ISO text PostgreSQL's ``COPY`` reads back as the same value (psycopg's own
# formatting of a datetime was 70% of formatting a customer row)
_iso_text = _memoised(lambda value: value.isoformat(), 100_000)


def _sqlite_adapters(types: list[str]) -> list[Adapter | None]:
    adapters: list[Adapter | None] = []
    for kind in types:
        if kind == "DateTimeField":
            adapters.append(_sqlite_datetime)
        elif kind == "DateField":
            adapters.append(lambda value: None if value is None else value.isoformat())
        elif kind == "DecimalField":
            adapters.append(lambda value: None if value is None else str(value))
        elif kind == "JSONField":
            adapters.append(_json)
        elif kind == "BooleanField":
            adapters.append(lambda value: None if value is None else int(value))
        else:
            adapters.append(None)
    return adapters


def _postgres_adapters(types: list[str]) -> list[Adapter | None]:
    adapters: list[Adapter | None] = []
    for kind in types:
        if kind == "JSONField":
            adapters.append(_json)
        elif kind in {"DateTimeField", "DateField"}:
            adapters.append(_iso_text)
        else:
            adapters.append(None)
    return adapters


def _adapt(rows: Sequence[Sequence[Any]], adapters: list[Adapter | None]) -> list[Sequence[Any]]:
    active = [(index, adapter) for index, adapter in enumerate(adapters) if adapter is not None]
    if not active:
        return list(rows)
    adapted: list[Sequence[Any]] = []
    for row in rows:
        values = list(row)
        for index, adapter in active:
            values[index] = adapter(values[index])
        adapted.append(values)
    return adapted


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys for ``model``; call inside the transaction that inserts them."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(pk_column)}), 0) FROM "
                       f"{connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        if row is not None:
            highest = max(highest, row[0])
    return list(range(highest + 1, highest + 1 + count))


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert rows (tuples in ``columns`` order, database column names) into ``model``'s table."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(column) for column in columns)
    types = _column_types(model, columns)
    with connection.cursor() as cursor:
        if is_postgresql():
            adapters = _postgres_adapters(types)
            with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                if any(adapters):
                    for row in _adapt(rows, adapters):
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",
                               _adapt(rows, _sqlite_adapters(types)))
    return len(rows)


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Update rows by primary key: each row is the values of ``columns`` followed by the primary key."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_column = model._meta.pk.column
    types = _column_types(model, columns)
    with connection.cursor() as cursor:
        if is_postgresql() and len(rows) > 50:
            # COPY into a temporary table, then one UPDATE ... FROM: far faster than one UPDATE per row
            all_columns = [*columns, pk_column]
            column_list = ", ".join(quote(column) for column in all_columns)
            cursor.execute("DROP TABLE IF EXISTS kehu_bulk_update")
            cursor.execute(f"CREATE TEMPORARY TABLE kehu_bulk_update AS SELECT {column_list} FROM {table} "
                           f"WITH NO DATA")
            adapters = [*_postgres_adapters(types), None]
            with cursor.copy(f"COPY kehu_bulk_update ({column_list}) FROM STDIN") as copy:
                for row in _adapt(rows, adapters):
                    copy.write_row(row)
            assignments = ", ".join(f"{quote(column)} = u.{quote(column)}" for column in columns)
            cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM kehu_bulk_update AS u "
                           f"WHERE t.{quote(pk_column)} = u.{quote(pk_column)}")
            cursor.execute("DROP TABLE kehu_bulk_update")
        else:
            adapters = (_postgres_adapters(types) if is_postgresql() else _sqlite_adapters(types))
            assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {quote(pk_column)} = %s",
                               _adapt(rows, [*adapters, None]))
    return len(rows)


def filter_in(queryset: models.QuerySet[Any], column: str, values: Sequence[Any]) -> models.QuerySet[Any]:
    """``queryset`` restricted to ``column`` (of its own table) being one of ``values``.

    On PostgreSQL the values go as one array parameter: ``column__in`` with thousands of values costs more to build
    and send than the query costs to run.
    """
    if is_postgresql():
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        return queryset.extra(where=[f"{table}.{connection.ops.quote_name(column)} = ANY(%s)"],
                              params=[list(values)])
    return queryset.filter(**{f"{column}__in": list(values)})


def converters(fields: Sequence[models.Field | None]) -> list[tuple[int, list[Any], Any]]:
    """Django's converters from database values to Python values for each selected field (as ``values()`` applies)."""
    result = []
    for index, field in enumerate(fields):
        if field is None:
            continue
        expression = field.get_col(field.model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if functions:
            result.append((index, functions, expression))
    return result


SQLITE_IN_VALUES_MAX = 900  # under SQLite's limit of bound parameters per statement (999 in older builds)


def in_list_size(preferred: int) -> int:
    """How many values one ``IN (…)`` list of a batched lookup may hold: ``preferred`` on PostgreSQL, at most
    :data:`SQLITE_IN_VALUES_MAX` on SQLite."""
    return preferred if is_postgresql() else min(preferred, SQLITE_IN_VALUES_MAX)


def select_rows(sql: str, column_sql: str, values: Sequence[Any], fields: Sequence[models.Field | None],
                batch: int = 5000) -> list[list[Any]]:
    """Rows of ``sql`` (ending in ``WHERE``) restricted to ``column_sql`` being one of ``values``, converted.

    PostgreSQL gets the values as one array parameter (``= ANY(%s)``); SQLite as ``IN (…)`` in batches.
    """
    found: list[list[Any]] = []
    active = converters(fields)
    size = in_list_size(batch)
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            part = list(values[start:start + size])
            if is_postgresql():
                cursor.execute(f"{sql} {column_sql} = ANY(%s)", [part])
            else:
                cursor.execute(f"{sql} {column_sql} IN ({', '.join(['%s'] * len(part))})", part)
            for row in cursor.fetchall():
                values_row = list(row)
                for index, functions, expression in active:
                    value = values_row[index]
                    for function in functions:
                        value = function(value, expression, connection)
                    values_row[index] = value
                found.append(values_row)
    return found


def json_object_sql(pairs: Sequence[tuple[str, str]]) -> str:
    """SQL building a JSON object from (key, SQL expression) pairs, for set-based writes (``INSERT … SELECT``):
    PostgreSQL ``jsonb_build_object``, SQLite ``json_object`` (JSON text). The keys are literals of the caller's
    code, never user input."""
    arguments = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
    return f"jsonb_build_object({arguments})" if is_postgresql() else f"json_object({arguments})"
