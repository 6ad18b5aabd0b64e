"""Import of contacts of organisation customers, linked by customer code or credit code.

A contact is identified by its customer and its name: a row for a name the customer already has updates that
contact, otherwise a contact is created. Contacts get history records like customers. When a row makes a contact the
primary one, the customer's other contacts stop being primary (as in the UI).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kehu.core.bulkio import rows as bulk
from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages
from kehu.customers.models import Contact, Customer

from ..aliases import CONTACT_HEADERS
from ..fields import (
    FieldSpec,
    choice_parser,
    parse_boolean,
    parse_code,
    parse_credit_code,
    parse_email,
    parse_mobile,
    parse_phone,
    text_parser,
    text_value,
)
from .base import ChunkOutcome, Prepared, Problem, RowOutcome, Target

CONTACT_COLUMNS = [field.column for field in Contact._meta.concrete_fields if field.column != "id"]
VALUE_COLUMNS = ["role", "title", "mobile", "phone", "email", "is_primary", "notes"]
HISTORY_COLUMNS = [field.column for field in Contact.history.model._meta.concrete_fields
                   if field.column != "history_id"]
AMBIGUOUS = "ambiguous"


def _optional_boolean(raw: Any) -> bool | None:
    """是/否 (yes/no); None for an empty cell (which leaves a stored contact's flag alone)."""
    return None if not text_value(raw) else parse_boolean(raw)


def _label(name: str) -> Any:
    return getattr(Contact._meta.get_field(name), "verbose_name", name)


class ContactTarget(Target):
    """Contacts (联系人) of organisation customers."""

    name = "contacts"
    keys = ("code", "credit_code")
    key_fields = {"code": "customer_code", "credit_code": "customer_credit_code"}
    lookup_tables = ("customers_contact",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = timezone.now()
        self.reason = (_("Import #%(job)s") % {"job": self.job_id}) if self.job_id else _("Import")
        from kehu.org.selectors import user_is_read_only

        self.may_add = self.actor is None or (
            self.actor.has_perm("customers.add_contact") and self.actor.has_perm("customers.change_contact")
            and not user_is_read_only(self.actor)
        )

    @property
    def link_field(self) -> str:
        return self.key_fields["code" if self.key == "code" else "credit_code"]

    def field_specs(self) -> list[FieldSpec]:
        headers = CONTACT_HEADERS
        return [
            FieldSpec("customer_code", _("customer code"), headers["customer_code"], parse_code),
            FieldSpec("customer_credit_code", _("unified social credit code"), headers["customer_credit_code"],
                      parse_credit_code),
            FieldSpec("name", _label("name"), headers["name"], text_parser(100), required=True),
            FieldSpec("role", _label("role"), headers["role"], choice_parser("role", Contact.Role.choices, blank=None)),
            FieldSpec("title", _label("title"), headers["title"], text_parser(100)),
            FieldSpec("mobile", _label("mobile"), headers["mobile"], parse_mobile),
            FieldSpec("phone", _label("phone"), headers["phone"], parse_phone),
            FieldSpec("email", _label("email"), headers["email"], parse_email),
            FieldSpec("is_primary", _label("is_primary"), headers["is_primary"], _optional_boolean),
            FieldSpec("notes", _label("notes"), headers["notes"], text_parser(5000)),
        ]

    def mapping_problems(self) -> list[str]:
        problems = []
        if self.key not in self.keys:
            problems.append(_("Link contacts to customers by code or by credit code."))
        elif self.link_field not in self.mapped_names:
            problems.append(_("The column that names the customer (%(field)s) is not in the file or not mapped.")
                            % {"field": self.specs[self.link_field].label})
        if "name" not in self.mapped_names:
            problems.append(_("The column %(field)s is required.") % {"field": self.specs["name"].label})
        if not self.may_add:
            problems.append(_("You do not have permission to import contacts."))
        return problems

    def key_value(self, data: dict[str, Any]) -> Any:
        if data.get(self.link_field) and data.get("name"):
            return (data[self.link_field], data["name"])
        return None

    def check_row(self, data: dict[str, Any], problems: list[Problem]) -> None:
        if problems:
            return
        if not data.get(self.link_field):
            problems.append((self.column_label(self.link_field), "", _("Say whose contact this is.")))
        elif not data.get("name"):
            problems.append((self.column_label("name"), "", _("A name is required.")))

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        assert not defer, "contacts are written at once (defers_writes is False)"
        outcome = ChunkOutcome()
        parsed: list[tuple[int, dict[str, Any]]] = []
        first_in_chunk: dict[Any, int] = {}
        for row, data, problems in prepared:
            if not problems:
                key = self.key_value(data)
                first = self.seen.get(key) or first_in_chunk.get(key)
                if first is not None:
                    problems.append((self.column_label("name"), data["name"],
                                     _("Duplicate of row %(row)d: the same contact appears twice in the file.")
                                     % {"row": first}))
                else:
                    first_in_chunk[key] = row
            if problems:
                outcome.fail(row, problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))
                continue
            parsed.append((row, data))
        if not parsed:
            return outcome
        lookup = "code" if self.key == "code" else "organisation__credit_code"
        customers = Customer.objects.all() if self.actor is None else Customer.objects.visible_to(self.actor)
        changeable = None
        links = list({data[self.link_field] for _row, data in parsed})
        found: dict[str, Any] = {}
        for pk, kind, value in customers.filter(**{f"{lookup}__in": links}).values_list("pk", "kind", lookup):
            previous = found.get(value)
            found[value] = (pk, kind) if previous is None or previous[0] == pk else AMBIGUOUS
        ids = [value[0] for value in found.values() if value != AMBIGUOUS]
        if self.actor is not None:
            changeable = set(Customer.objects.visible_to(self.actor, "change").filter(pk__in=ids)
                             .values_list("pk", flat=True))
        stored = {
            (contact["customer_id"], contact["name"]): contact
            for contact in Contact.objects.filter(customer_id__in=ids).values("id", *CONTACT_COLUMNS)
        }
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        primary_for: set[int] = set()
        for row, data in parsed:
            row_problems: list[Problem] = []
            link = data[self.link_field]
            customer: Any = found.get(link)
            if customer is None:
                row_problems.append((self.column_label(self.link_field), link,
                                 _("Unknown customer “%(value)s”.") % {"value": link}))
            elif customer == AMBIGUOUS:
                row_problems.append((self.column_label(self.link_field), link,
                                 _("Several stored customers have this %(key)s; import with another key.")
                                 % {"key": self.column_label(self.link_field)}))
            elif changeable is not None and customer[0] not in changeable:
                row_problems.append((self.column_label(self.link_field), link, _("You may not change this customer.")))
            elif customer[1] != "organisation":
                row_problems.append((self.column_label(self.link_field), link, _("Only organisations have contacts.")))
            if row_problems:
                outcome.fail(row, row_problems)
                continue
            existing = stored.get((customer[0], data["name"]))
            contact = dict(existing) if existing else {
                "customer_id": customer[0], "name": data["name"], "role": Contact.Role.OTHER.value, "title": "",
                "mobile": "", "phone": "", "email": "", "is_primary": False, "notes": "", "created_at": self.now,
            }
            for name in VALUE_COLUMNS:
                if name not in self.mapped_names:
                    continue
                value = data.get(name)
                if existing is not None and self.keeps_stored(value):
                    continue  # an empty cell leaves the stored value alone (unless asked to clear)
                if value is None:
                    if name == "role":
                        continue
                    value = False if name == "is_primary" else value
                contact[name] = value
            if existing is None:
                creates.append(contact)
                action = "created"
            elif all(existing[name] == contact[name] for name in VALUE_COLUMNS):
                outcome.unchanged += 1
                action = "unchanged"
            else:
                updates.append(contact)
                action = "updated"
            if action != "unchanged" and contact["is_primary"]:
                primary_for.add(customer[0])
            self.seen.setdefault(self.key_value(data), row)
            if preview:
                changes = self._diff(existing, contact) if existing is not None and action == "updated" else []
                outcome.rows.append(RowOutcome(row, action, self._display(data), changes=changes))
        outcome.created += len(creates)
        outcome.updated += len(updates)
        if write and (creates or updates):
            if primary_for:
                Contact.objects.filter(customer_id__in=primary_for, is_primary=True).update(is_primary=False)
            ids = bulk.allocate_ids(Contact, len(creates))
            for contact, pk in zip(creates, ids, strict=True):
                contact["id"] = pk
            bulk.insert_rows(Contact, ["id", *CONTACT_COLUMNS], [tuple(c[k] for k in ["id", *CONTACT_COLUMNS])
                                                                  for c in creates])
            bulk.update_rows(Contact, VALUE_COLUMNS, [(*(c[k] for k in VALUE_COLUMNS), c["id"]) for c in updates])
            history = []
            for history_type, contacts in (("+", creates), ("~", updates)):
                for contact in contacts:
                    extra = {"history_date": self.now, "history_change_reason": self.reason,
                             "history_type": history_type, "history_user_id": self.actor.pk if self.actor else None}
                    history.append(tuple(extra.get(column, contact.get(column)) for column in HISTORY_COLUMNS))
            bulk.insert_rows(Contact.history.model, HISTORY_COLUMNS, history)
        return outcome

    def _display(self, data: dict[str, Any]) -> dict[str, str]:
        return {str(spec.label): self._text(spec.name, data.get(spec.name)) for _index, spec in self.mapped}

    def _text(self, name: str, value: Any) -> str:
        """A value as the preview shows it: phones and e-mail masked unless the user may see personal data."""
        from kehu.core.masking import mask_email, mask_phone

        text = "" if value is None else str(value)
        if name == "role":
            text = str(dict(Contact.Role.choices).get(text, text))
        elif name == "is_primary" and value is not None:
            text = _("yes") if value else _("no")
        may_see = self.actor is None or self.actor.has_perm("customers.view_personal_data")
        if text and not may_see and name in {"mobile", "phone", "email"}:
            text = mask_email(text) if name == "email" else mask_phone(text)
        return text

    def _diff(self, existing: dict[str, Any], contact: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Each field an update changes: (label, stored value, new value)."""
        return [(str(self.specs[name].label), self._text(name, existing[name]), self._text(name, contact[name]))
                for name in VALUE_COLUMNS if existing[name] != contact[name]]
