"""What the benchmark scripts share: percentiles and a fresh PostgreSQL database per script."""

from __future__ import annotations

import sys


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0–1) of the sorted values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def recreate_postgres_database(server: str, name: str) -> bool:
    """Drop and create the benchmark's database on ``server`` (a postgres:// URL without a database). False, with
    a line on stderr, when PostgreSQL does not answer: the script then measures SQLite only."""
    try:
        import psycopg

        with psycopg.connect(f"{server.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True,
                             connect_timeout=3) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except Exception as error:  # noqa: BLE001 - PostgreSQL not reachable: SQLite only
        print(f"PostgreSQL not available ({error}); skipping it", file=sys.stderr)
        return False
    return True


def insert_series(model, template, count: int, varying: dict[str, str], joins: str = "") -> None:
    """``count`` rows in one ``INSERT … SELECT`` over a number series ``g`` (0 … count−1): each column a constant
    taken from ``template`` (its defaults applied), except those of ``varying`` (column → SQL expression of ``g``).
    PostgreSQL counts with ``generate_series``, SQLite with a recursive CTE. ``joins``: SQL after the series (e.g.
    ``JOIN slots t ON t.slot = g %% 96``) whose columns the expressions may use."""
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns, expressions, params = [], [], []
    for field in fields:
        columns.append(quote(field.column))
        if field.column in varying:
            expressions.append(varying[field.column])
        else:
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(template, True), connection))
    if connection.vendor == "postgresql":
        series = "generate_series(0::bigint, %s) AS s(g)"
    else:
        series = "(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < %s) SELECT g FROM s) s"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
                       f"SELECT {', '.join(expressions)} FROM {series} {joins}", [*params, count - 1])
