"""What the import wizard's preview shows of customer rows: each mapped field as it will be stored, and for an update
each changed field's stored and new value (choice labels, names of branches and staff; phones, ID numbers and e-mail
masked for users who may not see personal data)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kehu.core import industries
from kehu.customers.upsert import ORGANISATION_DEFAULTS, PERSON_DEFAULTS, CustomerChange

from ..base import ChunkOutcome, Problem, RowOutcome
from .reading import (
    _CHOICE_LABELS,
    DERIVED_COLUMNS,
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    PERSONAL_DATA_FIELDS,
    CustomerRowReader,
)


class CustomerPreview(CustomerRowReader):
    """The preview of the customer target's rows."""

    def _failed(self, outcome: ChunkOutcome, row: int, data: dict[str, Any], problems: list[Problem],
                preview: bool) -> None:
        outcome.fail(row, problems)
        if preview:
            outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))

    def _text(self, name: str, value: Any) -> str:
        """A field's value as the preview shows it (choice labels, names of branches and staff, personal data masked
        unless the user may see it)."""
        if name == "branch":
            value = self._branch_names.get(value, "") if value else ""
        elif name == "owner":
            value = self._owner_names.get(value, "") if value else ""
        if value is None:
            text = ""
        elif isinstance(value, (tuple, list)):
            text = "、".join(str(item) for item in value)
        else:
            text = str(value)
        choices = getattr(_CHOICE_LABELS.get(name), "choices", None)
        if choices:
            text = str(dict(choices).get(text, text))
        elif name == "industry" and text:
            text = industries.name(text) or text
        may_see = self.actor is None or self.actor.has_perm("customers.view_personal_data")
        if not may_see and name in PERSONAL_DATA_FIELDS and text:
            text = PERSONAL_DATA_FIELDS[name](text)
        return text

    @staticmethod
    def _as_stored(record: dict[str, Any], update: CustomerChange | None = None) -> dict[str, Any]:
        """A matched customer's fields as they will be stored (profile fields by their own names) for the preview."""
        stored = {**record, **(update.changes if update else {})}
        for prefix, names, changes in (("person__", PERSON_FIELDS, update.person if update else None),
                                       ("organisation__", ORGANISATION_FIELDS,
                                        update.organisation if update else None)):
            for name in names:
                if prefix + name in record:
                    stored[name] = record[prefix + name]
            stored.update({name: value for name, value in (changes or {}).items() if name in names})
        return stored

    def _diff(self, record: dict[str, Any], update: CustomerChange,
              tags_now: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """Each field an update changes: (label, stored value, new value), in the order of the fields."""
        names = {"owner_id": "owner", "branch_id": "branch"}
        changed: list[tuple[str, Any, Any]] = []  # field name, old, new
        for column, new in update.changes.items():
            if column in DERIVED_COLUMNS:
                continue
            if column == "custom_attributes":
                old_values = record.get("custom_attributes") or {}
                for key in sorted(set(old_values) | set(new)):
                    if old_values.get(key) != new.get(key):
                        changed.append((f"custom:{key}", old_values.get(key), new.get(key)))
                continue
            changed.append((names.get(column, column), record.get(column), new))
        for prefix, changes, defaults in (("person__", update.person, PERSON_DEFAULTS),
                                          ("organisation__", update.organisation, ORGANISATION_DEFAULTS)):
            if changes is None:
                continue
            missing = record.get(f"{prefix}customer_id") is None
            for column, new in changes.items():
                old = defaults.get(column) if missing else record.get(prefix + column)
                if column not in DERIVED_COLUMNS and old != new:
                    changed.append((column, old, new))
        if update.tags is not None:
            changed.append(("tags", tags_now, update.tags))
        order = {name: index for index, name in enumerate(self.specs)}
        changed.sort(key=lambda item: order.get(item[0], len(order)))
        return [(str(self.specs[name].label) if name in self.specs else name, self._text(name, old),
                 self._text(name, new)) for name, old, new in changed]

    def _display(self, data: dict[str, Any], stored: dict[str, Any] | None = None) -> dict[str, str]:
        """The mapped fields of a row as they will be stored, for the preview (personal data masked)."""
        may_see = self.actor is None or self.actor.has_perm("customers.view_personal_data")
        shown: dict[str, str] = {}
        for _index, spec in self.mapped:
            value = data.get(spec.name)
            if spec.name == "branch":
                branch_id: Any = stored["branch_id"] if stored else value
                value = self._branch_names.get(branch_id, "")
            elif spec.name == "owner":
                owner_id = stored["owner_id"] if stored else value
                value = self._owner_names.get(owner_id, "") if owner_id else ""
            elif stored is not None and spec.name in stored:
                value = stored[spec.name]
            if value is None:
                text = ""
            elif isinstance(value, tuple):
                text = "、".join(value)
            elif isinstance(value, (dt.date, Decimal)):
                text = str(value)
            else:
                text = str(value)
            choices = getattr(_CHOICE_LABELS.get(spec.name), "choices", None)
            if choices:
                text = str(dict(choices).get(text, text))
            elif spec.name == "industry" and text:
                text = industries.name(text) or text
            if not may_see and spec.name in PERSONAL_DATA_FIELDS and text:
                text = PERSONAL_DATA_FIELDS[spec.name](text)
            shown[str(spec.label)] = text
        for name in self.display_fields():
            value = data.get(name)
            if value is None and stored is not None:
                value = stored.get(name)
            shown[str(self.specs[name].label)] = str(value or "")
        return shown
