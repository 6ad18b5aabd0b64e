"""Reads of relationship maintenance: the contact log, scoped through the customers' row scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.roles import OWN_CHANGE_ROLES, SCOPE_CHANGE_ROLES
from kehu.org.selectors import user_is_read_only, user_roles

from .models import ContactAttachment, ContactRecord


def customers_for_logging(*, user: User) -> QuerySet[Customer]:
    """The customers whose contacts this user may log: administrators all, branch managers their branches, account
    managers the customers they own (``visible_to(user, "change")``); other roles with the permission (service
    agents taking calls) every customer they may see; auditors none."""
    scope = logging_scope(user=user)
    if scope is None:
        return Customer.objects.none()
    return Customer.objects.visible_to(user, scope)


def logging_scope(*, user: User) -> str | None:
    """Which customers the user may log contacts for, as the ``visible_to`` action: ``"change"`` (administrators,
    branch managers, account managers), ``"view"`` (other roles with the permission: every customer they may see) or
    None (auditors, roles without it). No query once the user's roles and permissions are loaded."""
    if user_is_read_only(user) or not user.has_perm("relations.add_contactrecord"):
        return None
    if user_roles(user) & (SCOPE_CHANGE_ROLES | OWN_CHANGE_ROLES) or user.is_superuser:
        return "change"
    return "view"


def may_log_contact(*, user: User, customer: Customer) -> bool:
    return customers_for_logging(user=user).filter(pk=customer.pk).exists()


def contact_list(*, user: User, customer_id: int | None = None, channel: str | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None,
                 staff_id: int | None = None) -> QuerySet[ContactRecord]:
    """Contacts of the customers the user may see, newest first, with customer, staff and attachments loaded."""
    records = ContactRecord.objects.visible_to(user)
    if customer_id is not None:
        records = records.filter(customer_id=customer_id)
    if channel:
        records = records.filter(channel=channel)
    if since is not None:
        records = records.filter(occurred_at__gte=since)
    if until is not None:
        records = records.filter(occurred_at__lt=until)
    if staff_id is not None:
        records = records.filter(staff_id=staff_id)
    return (records.select_related("customer", "staff", "next_task").prefetch_related("attachments")
            .order_by("-occurred_at", "-id"))


def contact_get(*, user: User, pk: int) -> ContactRecord:
    return contact_list(user=user).get(pk=pk)


def attachment_get(*, user: User, pk: int) -> ContactAttachment:
    """An attachment of a contact of a customer the user may see; ``DoesNotExist`` otherwise (404)."""
    return (ContactAttachment.objects.select_related("record")
            .get(pk=pk, record__in=ContactRecord.objects.visible_to(user)))
