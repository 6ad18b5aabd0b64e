"""Reads for purchases, scoped through the customers the user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User

from .models import Product, Transaction


def transaction_list(
    *, user: User, customer: Customer | None = None, since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Transaction]:
    """Transactions of customers the user may see, newest first, with product and branch loaded."""
    transactions = Transaction.objects.filter(customer__in=Customer.objects.visible_to(user).values("pk"))
    if customer is not None:
        transactions = transactions.filter(customer=customer)
    if since is not None:
        transactions = transactions.filter(occurred_at__gte=since)
    if until is not None:
        transactions = transactions.filter(occurred_at__lt=until)
    return transactions.select_related("product", "branch", "customer").order_by("-occurred_at", "-id")


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("category").order_by("sku")
