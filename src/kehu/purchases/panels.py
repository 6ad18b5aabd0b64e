"""The purchases panel of the customer 360 page and of the screen pop (registered in ``PurchasesConfig.ready``)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from kehu.core.registry import CustomerPanel

CENT = Decimal("0.01")
SCREEN_POP_RECENT = 5
PAGE_RECENT = 10


def _money(value: Any) -> Decimal | None:
    # SQLite sums decimals as floats; through str() the float's shortest repr is rounded, not its binary expansion
    return None if value is None else Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def purchases_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: ``purchases`` (count, total amount, last purchase; on the 360 page also margin, average and
    first purchase) and ``recent_transactions`` (the 5 newest, 10 on the 360 page), in one query whatever the number
    of customers.

    The newest transactions of each customer carry the customer's count and sums as windows over all of its
    transactions (computed before the newest are picked). This is the screen pop's hot path, so it is written in SQL
    (window functions exist on SQLite and PostgreSQL): building the ORM equivalent cost more than running it. Rows
    come back as ``Transaction`` instances carrying ``product_name`` and ``branch_name`` (no related objects).
    """
    from kehu.org.models import Branch

    from .models import Product, Transaction

    ids = list(customer_ids)
    if not ids:
        return {}
    recent = PAGE_RECENT if full else SCREEN_POP_RECENT
    quote = connection.ops.quote_name
    in_ids = ", ".join(["%s"] * len(ids))
    extra = (", SUM(t.margin) OVER (PARTITION BY t.customer_id) AS kehu_margin, "
             "MIN(t.occurred_at) OVER (PARTITION BY t.customer_id) AS kehu_first") if full else ""
    newest = Transaction.objects.raw(
        f"SELECT r.*, p.name AS product_name, b.name AS branch_name FROM ("  # noqa: S608
        f"SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.customer_id ORDER BY t.occurred_at DESC, t.id DESC) "
        f"AS kehu_rank, COUNT(*) OVER (PARTITION BY t.customer_id) AS kehu_count, "
        f"SUM(t.amount) OVER (PARTITION BY t.customer_id) AS kehu_total{extra} "
        f"FROM {quote(Transaction._meta.db_table)} t WHERE t.customer_id IN ({in_ids})) r "
        f"LEFT JOIN {quote(Product._meta.db_table)} p ON p.id = r.product_id "
        f"LEFT JOIN {quote(Branch._meta.db_table)} b ON b.id = r.branch_id "
        f"WHERE r.kehu_rank <= %s ORDER BY r.customer_id, r.kehu_rank",
        [*ids, recent],
    )
    data: dict[int, dict[str, Any]] = {}
    for transaction in newest:
        row: Any = transaction  # with the query's extra columns
        entry = data.get(row.customer_id)
        if entry is None:  # the newest transaction of the customer carries the totals
            summary: dict[str, Any] = {"count": row.kehu_count, "total_amount": _money(row.kehu_total),
                                       "last_purchase": row.occurred_at}
            if full:
                first = row.kehu_first
                if isinstance(first, str):  # SQLite hands a window's MIN of a datetime back as text
                    first = Transaction._meta.get_field("occurred_at").to_python(first)
                summary.update(total_margin=_money(row.kehu_margin), first_purchase=first,
                               average_amount=_money(Decimal(str(row.kehu_total)) / row.kehu_count))
            entry = data[row.customer_id] = {"purchases": summary, "recent_transactions": []}
        entry["recent_transactions"].append(row)
    for pk in ids:
        if pk not in data:
            summary = {"count": 0, "total_amount": None, "last_purchase": None}
            if full:
                summary.update(total_margin=None, first_purchase=None, average_amount=None)
            data[pk] = {"purchases": summary, "recent_transactions": []}
    return data


class PurchaseSummaryOut(Schema):
    count: int
    total_amount: Decimal | None
    last_purchase: dt.datetime | None


class RecentTransactionOut(Schema):
    id: int
    occurred_at: dt.datetime
    amount: Decimal
    channel: str
    product: str | None
    branch: str | None

    # the rows of purchases_load carry the names (no related objects are loaded)
    @staticmethod
    def resolve_product(obj: Any) -> str | None:
        return obj.product_name

    @staticmethod
    def resolve_branch(obj: Any) -> str | None:
        return obj.branch_name


class PurchasesPanelOut(Schema):
    """The purchases panel's fields in each screen pop item."""

    purchases: PurchaseSummaryOut
    recent_transactions: list[RecentTransactionOut] = Field(description="The 5 newest transactions.")


PURCHASES_PANEL = CustomerPanel(
    key="purchases", title=_("Purchases"), order=20, loader=purchases_load, template="purchases/_panel.html",
    permission="purchases.view_transaction", schema=PurchasesPanelOut, queries=1,
)
