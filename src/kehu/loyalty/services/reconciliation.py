"""Reconciliation: every account's balance against the sum of its entries.

One grouped pass over the ledger (``GROUP BY account_id``, no per-account subquery or Python loop), joined to the
accounts and filtered to the differences in the database. ``reconcile_summary`` (the command) asks for the number of
differences and the first few only, as one plain statement that PostgreSQL may run in parallel (a 50,000,000-entry
ledger in 24.5 s against 39.0 s through a cursor, which is never parallel); ``reconcile_iter`` streams every
difference through a server-side cursor (``chunked_cursor``), in constant memory however many there are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection, transaction

from ..models import (
    PointsAccount,
    PointsEntry,
    StoredValueAccount,
    StoredValueEntry,
)

_COLUMNS = ("id", "customer_id", "balance", "total")


def _sql(account_model: Any, entry_model: Any, amount: str, decimals: int, extra: str = "") -> str:
    quote = connection.ops.quote_name
    accounts, entries = quote(account_model._meta.db_table), quote(entry_model._meta.db_table)
    difference = "a.balance - COALESCE(t.total, 0)"
    if decimals:  # SQLite sums decimals as floating point: compare to the cent
        difference = f"ROUND({difference}, {decimals})"
    return (f"SELECT a.id, a.customer_id, a.balance, COALESCE(t.total, 0){extra} FROM {accounts} a "  # noqa: S608
            f"LEFT JOIN (SELECT account_id, SUM({quote(amount)}) AS total FROM {entries} GROUP BY account_id) t "
            f"ON t.account_id = a.id WHERE {difference} <> 0 ORDER BY a.id")


def _row(account_model: Any, row: Sequence[Any]) -> dict[str, Any]:
    field = account_model._meta.get_field("balance")
    values = dict(zip(_COLUMNS, row[:4], strict=True))
    values["total"] = field.to_python(values["total"])
    values["balance"] = field.to_python(values["balance"])
    return values


def _differences(account_model: Any, entry_model: Any, amount: str, decimals: int = 0) -> Iterator[dict[str, Any]]:
    sql = _sql(account_model, entry_model, amount, decimals)
    # a named (server-side) cursor lives in a transaction
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(2000):
            for row in rows:
                yield _row(account_model, row)


def reconcile_iter() -> Iterator[dict[str, Any]]:
    """Every points account whose balance differs from the sum of its entries, streamed in account order."""
    return _differences(PointsAccount, PointsEntry, "points")


def reconcile_stored_value_iter() -> Iterator[dict[str, Any]]:
    """Every stored-value account whose balance differs from the sum of its entries, streamed in account order."""
    return _differences(StoredValueAccount, StoredValueEntry, "amount", decimals=2)


def _summary(account_model: Any, entry_model: Any, amount: str, decimals: int,
             limit: int) -> tuple[int, list[dict[str, Any]]]:
    sql = _sql(account_model, entry_model, amount, decimals, extra=", COUNT(*) OVER ()") + " LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [max(limit, 1)])  # one row at least: it carries the count
        rows = cursor.fetchall()
    return (rows[0][4] if rows else 0), [_row(account_model, row) for row in rows[:limit]]


def reconcile_summary(*, limit: int = 50) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    """Per ledger (``points``, ``stored value``): how many accounts differ from the sum of their entries and the
    first ``limit`` of them (in account order), each ledger in one statement."""
    return {"points": _summary(PointsAccount, PointsEntry, "points", 0, limit),
            "stored value": _summary(StoredValueAccount, StoredValueEntry, "amount", 2, limit)}


def reconcile() -> list[dict[str, Any]]:
    """Every points account whose balance differs from the sum of its entries (one grouped pass)."""
    return list(reconcile_iter())


def reconcile_stored_value() -> list[dict[str, Any]]:
    """Every stored-value account whose balance differs from the sum of its entries (one grouped pass)."""
    return list(reconcile_stored_value_iter())
