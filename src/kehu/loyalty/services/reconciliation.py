"""Reconciliation: every account's balance against the sum of its entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import (
    PointsAccount,
    PointsEntry,
    StoredValueAccount,
    StoredValueEntry,
)


def reconcile() -> list[dict[str, Any]]:
    """Every points account whose balance differs from the sum of its entries (one aggregate query)."""
    totals = (PointsEntry.objects.filter(account_id=OuterRef("pk")).order_by().values("account_id")
              .annotate(total=Sum("points")).values("total"))
    rows = (PointsAccount.objects.annotate(total=Coalesce(Subquery(totals), Value(0)))
            .exclude(balance=F("total")).values("id", "customer_id", "balance", "total"))
    return list(rows)


def reconcile_stored_value() -> list[dict[str, Any]]:
    """Every stored-value account whose balance differs from the sum of its entries (one aggregate query)."""
    totals = (StoredValueEntry.objects.filter(account_id=OuterRef("pk")).order_by().values("account_id")
              .annotate(total=Sum("amount")).values("total"))
    rows = (StoredValueAccount.objects
            .annotate(total=Coalesce(Subquery(totals, output_field=DecimalField()), Value(Decimal("0")),
                                     output_field=DecimalField()))
            .exclude(balance=F("total")).values("id", "customer_id", "balance", "total"))
    return list(rows)
