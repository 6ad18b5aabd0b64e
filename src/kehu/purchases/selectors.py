"""Reads for purchases, scoped through the customers the user may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from kehu.customers.models import Customer
from kehu.org.models import Branch, User

from .models import Product, Transaction


def transaction_list(
    *, user: User, customer: Customer | None = None, since: dt.datetime | None = None,
    until: dt.datetime | None = None, branch: Branch | None = None, amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
) -> QuerySet[Transaction]:
    """Transactions of customers the user may see, newest first, with product and branch loaded; optionally of one
    customer, in a time range, at a store (or any store below a branch) and within an amount range."""
    transactions = Transaction.objects.filter(customer__in=Customer.objects.visible_to(user).values("pk"))
    if customer is not None:
        transactions = transactions.filter(customer=customer)
    if branch is not None:
        transactions = transactions.filter(branch__path__startswith=branch.path)
    if amount_min is not None:
        transactions = transactions.filter(amount__gte=amount_min)
    if amount_max is not None:
        transactions = transactions.filter(amount__lte=amount_max)
    if since is not None:
        transactions = transactions.filter(occurred_at__gte=since)
    if until is not None:
        transactions = transactions.filter(occurred_at__lt=until)
    return transactions.select_related("product", "branch", "customer").order_by("-occurred_at", "-id")


def transaction_branches(*, customer: Customer) -> QuerySet[Branch]:
    """The stores and branches where a customer has bought, by path (a purchase list's store filter)."""
    ids = Transaction.objects.filter(customer=customer, branch__isnull=False).order_by().values("branch_id")
    return Branch.objects.filter(pk__in=ids).order_by("path")


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("category").order_by("sku")
