"""A customer's own records: current consents and the consent history, contacts, lifecycle changes, ownership
transfers, status records."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Consent, ConsentChannel, Contact, Customer, LifecycleChange, OwnershipTransfer


def customer_current_consents(*, customer: Customer) -> dict[str, Consent | None]:
    """The newest consent event per channel (None where nothing was ever recorded)."""
    current: dict[str, Consent | None] = {channel: None for channel in ConsentChannel.values}
    for consent in Consent.objects.filter(customer=customer).select_related("recorded_by").order_by(
        "-recorded_at", "-id"
    ):
        if current.get(consent.channel) is None:
            current[consent.channel] = consent
    return current


def customer_contacts(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("-is_primary", "id")


def customer_lifecycle_changes(*, customer: Customer) -> QuerySet[LifecycleChange]:
    return LifecycleChange.objects.filter(customer=customer).select_related("changed_by")


def customer_transfers(*, customer: Customer) -> QuerySet[OwnershipTransfer]:
    return OwnershipTransfer.objects.filter(customer=customer).select_related(
        "from_owner", "to_owner", "transferred_by"
    )


def customer_status_records(*, customer: Customer, limit: int = 5) -> QuerySet:
    """The newest status records of a customer, with who recorded them."""
    from ..models import StatusRecord

    return (
        StatusRecord.objects.filter(customer=customer).select_related("recorded_by").order_by("-recorded_at", "-id")
    )[:limit]


def customer_consent_history(*, customer: Customer) -> QuerySet[Consent]:
    """Every consent event of a customer, newest first, with who recorded it."""
    return Consent.objects.filter(customer=customer).select_related("recorded_by").order_by("-recorded_at", "-id")
