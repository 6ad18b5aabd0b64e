"""A customer's audit history (its own records and its profile's and contacts'), personal data masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.core.messages import stored_text
from kehu.org.models import User

from ..models import Contact, Customer
from .personal_data import restricted_field_maskers

HISTORY_ACTIONS = {
    "+": _("%(object)s created"),
    "~": _("%(object)s changed"),
    "-": _("%(object)s deleted"),
}
# masked for everyone (the plain current values are revealed on request, with a reason, and logged)
MASKED_HISTORY_FIELDS = {"mobile": mask_phone, "phone": mask_phone, "id_number": mask_id_number, "email": mask_email}


@dataclass
class HistoryEntry:
    """One saved change of a customer or its profile/contacts, with personal data masked."""

    when: Any
    who: str
    what: str
    reason: str
    changes: list[tuple[str, str, str]]


def _history_value(field_name: str, value: Any, maskers: dict[str, Any] | None = None) -> str:
    if value in (None, ""):
        return ""
    masker = MASKED_HISTORY_FIELDS.get(field_name) or (maskers or {}).get(field_name)
    return masker(str(value)) if masker else str(value)


def _event_reason(reason: str | None) -> bool:
    """Whether a history record's change reason names an event worth showing even when no stored field changed (a
    merge that kept every value, a change of tags), rather than the default reason of an edit."""
    from django.conf import settings
    from django.utils import translation

    if not reason:
        return False
    defaults = {"Edited"}  # stored as the English message; older rows in the editor's language
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            defaults.add(translation.gettext("Edited"))
    return reason not in defaults


def customer_history(*, customer: Customer, limit: int = 50, user: User | None = None) -> list[HistoryEntry]:
    """The audit history of a customer: its own records and its profile's and contacts', newest first.

    Reads the newest ``limit + 1`` records of each source (the extra one is the baseline the oldest shown change is
    diffed against). Choice values are shown with their labels and foreign keys with the related object's name;
    phones, e-mail addresses and ID numbers are masked, and so are the street address and birth date unless ``user``
    may see personal data (without a user they are masked too).
    """
    maskers = restricted_field_maskers(user)
    from ..models import OrganisationProfile, PersonProfile

    def newest(records: QuerySet) -> list[Any]:
        return list(reversed(records.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]))

    sources = [
        (newest(customer.history.all()), Customer),
        (newest(PersonProfile.history.filter(customer_id=customer.pk)), PersonProfile),
        (newest(OrganisationProfile.history.filter(customer_id=customer.pk)), OrganisationProfile),
        (newest(Contact.history.filter(customer_id=customer.pk)), Contact),
    ]
    raw: list[tuple[Any, Any, list[tuple[Any, Any, Any]]]] = []
    related_ids: dict[Any, set[Any]] = {}
    for records, model in sources:
        previous_by_object: dict[Any, Any] = {}
        for index, record in enumerate(records):
            object_id = getattr(record, model._meta.pk.attname)
            previous = previous_by_object.get(object_id)
            previous_by_object[object_id] = record
            changes: list[tuple[Any, Any, Any]] = []
            if record.history_type == "~":
                if previous is None:
                    continue  # the baseline record of the window, or its object's first record is older
                for change in record.diff_against(previous).changes:
                    try:
                        field = model._meta.get_field(change.field)
                    except Exception:  # noqa: BLE001 - a field removed since
                        field = None
                    if field is not None and getattr(field, "related_model", None) is not None:
                        related_ids.setdefault(field.related_model, set()).update(
                            v for v in (change.old, change.new) if v not in (None, "")
                        )
                    changes.append((field or change.field, change.old, change.new))
                if not changes and not (model is Customer and _event_reason(record.history_change_reason)):
                    continue  # a save that changed nothing, unless it records an event (a merge, new tags)
            elif index == 0 and len(records) > limit:
                continue  # baseline only
            raw.append((record, model, changes))
    related_names = {
        (related_model, obj.pk): str(obj)
        for related_model, ids in related_ids.items()
        for obj in related_model._default_manager.filter(pk__in=ids)
    }

    def show(field: Any, value: Any) -> str:
        if value in (None, ""):
            return ""
        if isinstance(field, str):
            return str(value)
        if getattr(field, "related_model", None) is not None:
            return related_names.get((field.related_model, value), str(value))
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return _history_value(field.name, value, maskers)

    entries = [
        HistoryEntry(
            when=record.history_date,
            who=str(record.history_user) if record.history_user else "",
            what=HISTORY_ACTIONS[record.history_type] % {"object": model._meta.verbose_name},
            reason=stored_text(record.history_change_reason),
            changes=[
                (str(getattr(field, "verbose_name", field)), show(field, old), show(field, new))
                for field, old, new in changes
            ],
        )
        for record, model, changes in raw
    ]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]
