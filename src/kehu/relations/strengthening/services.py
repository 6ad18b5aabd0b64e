"""Writes of the strengthening table: add, change (optimistic: ``version``, a stale write is refused with 409) and
remove rows of an organisation customer the actor may change."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.customers.models import Contact, Customer
from kehu.org.models import User
from kehu.org.selectors import staff_list
from kehu.work.exceptions import RecordChangedError

from ..models import StrengtheningRow
from . import timeline
from .selectors import customers_for_strengthening

FIELDS = ("our_level", "our_staff", "our_name", "our_title", "their_contact", "their_name", "their_title",
          "strength", "competitor", "competitor_strength", "measures", "schedule", "due_date", "owner", "notes")


def _check_may_change(*, actor: User, customer: Customer) -> None:
    if not customers_for_strengthening(user=actor).filter(pk=customer.pk).exists():
        if Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
            raise PermissionDenied(_("You may not change this customer's strengthening table."))
        raise Customer.DoesNotExist


def _clean(*, actor: User, row: StrengtheningRow) -> None:
    errors: dict[str, list[str]] = {}
    if row.customer.kind != "organisation":
        errors["customer"] = [_("The strengthening table is kept for organisations.")]
    staff = staff_list(user=actor)
    if row.our_staff_id is not None and not User.objects.filter(pk=row.our_staff_id, is_active=True).exists():
        errors["our_staff"] = [_("Choose an active member of staff.")]
    if row.owner_id is not None and row.owner_id != actor.pk and not staff.filter(pk=row.owner_id).exists():
        errors["owner"] = [_("Choose an active member of staff in your branches.")]
    if row.their_contact_id is not None and not Contact.objects.filter(pk=row.their_contact_id,
                                                                         customer_id=row.customer_id).exists():
        errors["their_contact"] = [_("Choose one of this customer's contacts.")]
    if row.our_staff_id is None and not row.our_name.strip():
        errors["our_name"] = [_("Name our person (a member of staff or a name).")]
    if row.their_contact_id is None and not row.their_name.strip():
        errors["their_name"] = [_("Name their person (a contact or a name).")]
    if row.due_date is not None:
        from kehu.core.validators import validate_business_date

        try:
            validate_business_date(row.due_date)
        except ValidationError as error:
            errors["due_date"] = error.messages
    try:
        row.full_clean(exclude=["customer", "our_staff", "their_contact", "owner", "updated_by"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def strengthening_add(*, actor: User, customer: Customer, **fields: Any) -> StrengtheningRow:
    _check_may_change(actor=actor, customer=customer)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in unknown})
    row = StrengtheningRow(customer=customer, updated_by=actor, **fields)
    _clean(actor=actor, row=row)
    row.save()
    timeline.record(actor=actor, row=row, action="added")
    return row


@transaction.atomic
def strengthening_update(*, actor: User, row: StrengtheningRow, expected_version: int,
                         **fields: Any) -> StrengtheningRow:
    """Change a row; ``expected_version`` is the version the editor read (a newer one: ``RecordChangedError``)."""
    locked = StrengtheningRow.objects.select_for_update().select_related("customer").get(pk=row.pk)
    _check_may_change(actor=actor, customer=locked.customer)
    if locked.version != expected_version:
        raise RecordChangedError(locked.version)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in unknown})
    for name, value in fields.items():
        setattr(locked, name, value)
    _clean(actor=actor, row=locked)
    locked.version += 1
    locked.updated_by = actor
    locked.save()
    timeline.record(actor=actor, row=locked, action="changed")
    return locked


@transaction.atomic
def strengthening_remove(*, actor: User, row: StrengtheningRow, expected_version: int | None = None) -> None:
    locked = StrengtheningRow.objects.select_for_update().select_related("customer").get(pk=row.pk)
    _check_may_change(actor=actor, customer=locked.customer)
    if expected_version is not None and locked.version != expected_version:
        raise RecordChangedError(locked.version)
    timeline.record(actor=actor, row=locked, action="removed")
    locked.delete()
