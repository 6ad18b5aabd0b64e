"""Reconciliation: every account's balance against the sum of its entries.

One grouped pass over the ledger (``GROUP BY account_id``, no per-account subquery or Python loop), joined to the
accounts and filtered to the differences in the database; the differences stream back through a server-side cursor
on PostgreSQL (``chunked_cursor``), so a ledger of any size is checked in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction

from ..models import (
    PointsAccount,
    PointsEntry,
    StoredValueAccount,
    StoredValueEntry,
)

_COLUMNS = ("id", "customer_id", "balance", "total")


def _differences(account_model: Any, entry_model: Any, amount: str, decimals: int = 0) -> Iterator[dict[str, Any]]:
    quote = connection.ops.quote_name
    accounts, entries = quote(account_model._meta.db_table), quote(entry_model._meta.db_table)
    difference = "a.balance - COALESCE(t.total, 0)"
    if decimals:  # SQLite sums decimals as floating point: compare to the cent
        difference = f"ROUND({difference}, {decimals})"
    sql = (f"SELECT a.id, a.customer_id, a.balance, COALESCE(t.total, 0) FROM {accounts} a "  # noqa: S608
           f"LEFT JOIN (SELECT account_id, SUM({quote(amount)}) AS total FROM {entries} GROUP BY account_id) t "
           f"ON t.account_id = a.id WHERE {difference} <> 0 ORDER BY a.id")
    field = account_model._meta.get_field("balance")
    # a named (server-side) cursor lives in a transaction
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(2000):
            for row in rows:
                values = dict(zip(_COLUMNS, row, strict=True))
                values["total"] = field.to_python(values["total"])
                values["balance"] = field.to_python(values["balance"])
                yield values


def reconcile_iter() -> Iterator[dict[str, Any]]:
    """Every points account whose balance differs from the sum of its entries, streamed in account order."""
    return _differences(PointsAccount, PointsEntry, "points")


def reconcile_stored_value_iter() -> Iterator[dict[str, Any]]:
    """Every stored-value account whose balance differs from the sum of its entries, streamed in account order."""
    return _differences(StoredValueAccount, StoredValueEntry, "amount", decimals=2)


def reconcile() -> list[dict[str, Any]]:
    """Every points account whose balance differs from the sum of its entries (one grouped pass)."""
    return list(reconcile_iter())


def reconcile_stored_value() -> list[dict[str, Any]]:
    """Every stored-value account whose balance differs from the sum of its entries (one grouped pass)."""
    return list(reconcile_stored_value_iter())
