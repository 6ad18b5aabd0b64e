"""Reads of the strengthening table, scoped through the customers' row scope."""

from __future__ import annotations

from django.db.models import QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import user_is_read_only

from ..models import StrengtheningRow


def customers_for_strengthening(*, user: User) -> QuerySet[Customer]:
    """The customers whose table this user may edit: ``visible_to(user, "change")`` (account managers their own,
    branch managers their branches', administrators all); auditors none."""
    if user_is_read_only(user) or not user.has_perm("relations.change_strengtheningrow"):
        return Customer.objects.none()
    return Customer.objects.visible_to(user, "change")


def strengthening_list(*, user: User, customer_id: int | None = None) -> QuerySet[StrengtheningRow]:
    if not user.has_perm("relations.view_strengtheningrow"):
        return StrengtheningRow.objects.none()
    rows = StrengtheningRow.objects.filter(customer__in=Customer.objects.visible_to(user))
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    return (rows.select_related("customer", "our_staff", "their_contact", "owner")
            .order_by("customer_id", "our_level", "id"))


def strengthening_get(*, user: User, pk: int) -> StrengtheningRow:
    return strengthening_list(user=user).get(pk=pk)
