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
