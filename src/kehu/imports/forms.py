"""Forms of the import wizard, the merge page and exports. They parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.org.models import Branch, User

from .models import ImportJob, ImportMapping, ImportMode, ImportTarget

ENCODINGS = [("auto", _("Detect automatically")), ("utf-8", "UTF-8"), ("gbk", "GBK / GB18030")]


def _target_choices() -> list[tuple[str, Any]]:
    """The import targets the apps registered (``kehu.core.registry.import_targets``)."""
    from kehu.core.registry import import_targets

    return [(entry.key, entry.label) for entry in import_targets.values()]


class UploadForm(forms.Form):
    """Step 1: the file and what it holds."""

    target = forms.ChoiceField(label=_("What the file holds"), choices=_target_choices)
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8, UTF-8 with BOM, GBK or GB18030) or Excel "
                                                        "(.xlsx, .xls). The first row holds the column headers."))
    encoding = forms.ChoiceField(label=_("Encoding of a CSV file"), choices=ENCODINGS, initial="auto")
    sheet = forms.CharField(label=_("Excel sheet"), required=False, max_length=100,
                            help_text=_("Empty: the first sheet."))
    mapping = forms.ModelChoiceField(label=_("Saved column mapping"), required=False,
                                     queryset=ImportMapping.objects.none(),
                                     help_text=_("Empty: columns are matched by their headers."))

    def __init__(self, *args: Any, mappings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if mappings is not None:
            self.fields["mapping"].queryset = mappings  # type: ignore[attr-defined]
            self.fields["mapping"].label_from_instance = (  # type: ignore[attr-defined]
                lambda mapping: f"{mapping.get_target_display()} · {mapping.name}"
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.KEHU_IMPORT_MAX_UPLOAD_MB << 20
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                gettext("The file is %(size)s; files of up to %(limit)s can be imported. Split it into smaller files "
                        "(or ask the administrator to raise the limit).")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_large",
            )
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mapping = cleaned.get("mapping")
        if mapping is not None and cleaned.get("target") and mapping.target != cleaned["target"]:
            self.add_error("mapping", _("This mapping is for another kind of file."))
        return cleaned


class MappingForm(forms.Form):
    """Step 2: the field of each column, the key, the mode; optionally saved as a named mapping."""

    key = forms.ChoiceField(label=_("Key"))
    mode = forms.ChoiceField(label=_("Mode"), choices=ImportMode.choices, widget=forms.RadioSelect)
    default_branch = forms.ModelChoiceField(label=_("Home branch of new customers without one"), required=False,
                                            queryset=Branch.objects.none(),
                                            help_text=_("Left empty: your own branch if you have one, otherwise the "
                                                        "head office."))
    kind = forms.ChoiceField(
        label=_("Person or organisation"), required=False, initial="auto",
        choices=[("auto", _("Decide by the name and the credit code (…有限公司, Co., Ltd. are organisations)")),
                 ("person", _("Every row is a person")), ("organisation", _("Every row is an organisation"))],
        help_text=_("For files without a customer type column."))
    clear_empty = forms.BooleanField(
        label=_("Empty cells clear stored values"), required=False,
        help_text=_("Off: an empty cell leaves the stored value as it is. On: an empty cell clears the optional field "
                    "of a record the file updates."))
    save_as = forms.CharField(label=_("Save this mapping as"), required=False, max_length=100,
                              help_text=_("Give a name to reuse the mapping for the next file of this kind."))

    def __init__(self, *args: Any, job: ImportJob, field_choices: list[tuple[str, str]],
                 key_choices: list[tuple[str, str]], branches: Any, **kwargs: Any) -> None:
        initial = {"key": job.key, "mode": job.mode, "default_branch": (job.options or {}).get("default_branch"),
                   "clear_empty": bool((job.options or {}).get("clear_empty")),
                   "kind": (job.options or {}).get("kind") or "auto",
                   "save_as": (job.options or {}).get("mapping_name") or (job.mapping.name if job.mapping else "")}
        for index, field in enumerate(job.column_map):
            initial[f"column_{index}"] = field
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— not imported —")), *field_choices]
        self.column_fields = []
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=header or _("(no header)"), choices=choices, required=False)
            self.column_fields.append(name)
        self.fields["key"].choices = key_choices  # type: ignore[attr-defined]
        if job.target == ImportTarget.CUSTOMERS:
            self.fields["default_branch"].queryset = branches  # type: ignore[attr-defined]
        else:
            del self.fields["default_branch"]
            del self.fields["kind"]

    def columns(self) -> list[str]:
        return [self.cleaned_data.get(name) or "" for name in self.column_fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: dict[str, str] = {}
        for name in self.column_fields:
            field = cleaned.get(name)
            if field and field in seen:
                self.add_error(name, _("This field is already mapped from the column “%(column)s”.")
                               % {"column": self.fields[seen[field]].label})
            elif field:
                seen[field] = name
        return cleaned


class ValuesForm(forms.Form):
    """Step 2b: what each value of the choice columns (levels, statuses, account managers…) becomes in Kehu."""

    save_as = forms.CharField(label=_("Save the columns and values as"), required=False, max_length=100,
                              help_text=_("Give a name to reuse the mapping for the next file of this kind."))

    def __init__(self, *args: Any, value_fields: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups: list[tuple[Any, list[tuple[Any, str]]]] = []
        for field_index, value_field in enumerate(value_fields):
            empty = _("— no account manager (choose later) —") if value_field.field == "owner" else \
                _("— not recognised —")
            choices = [("", empty), *value_field.choices]
            rows = []
            for value_index, candidate in enumerate(value_field.values):
                name = f"value_{field_index}_{value_index}"
                self.fields[name] = forms.ChoiceField(label=candidate.text, choices=choices, required=False,
                                                      initial=candidate.value)
                rows.append((candidate, name))
            self.groups.append((value_field, rows))

    def values(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for value_field, rows in self.groups:
            for candidate, name in rows:
                result.setdefault(value_field.field, {})[candidate.text] = self.cleaned_data.get(name) or ""
        return result

    def rows(self) -> list[tuple[Any, list[tuple[Any, Any]]]]:
        return [(value_field, [(candidate, self[name]) for candidate, name in rows])
                for value_field, rows in self.groups]


class StartForm(forms.Form):
    """Step 3: start the import, confirming the name changes the preview lists."""

    accept_name_changes = forms.BooleanField(
        label=_("Rename the matched customers whose name differs in the file"), required=False,
        help_text=_("Unticked, rows that would rename a stored customer are not stored and are listed as problems."))


class ExportForm(forms.Form):
    """Format of an export and, for users who may see personal data, whether to include it (with a reason)."""

    file_format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")],
                                    initial="xlsx", widget=forms.RadioSelect)
    include_personal_data = forms.BooleanField(label=_("Include unmasked phones, e-mail and ID numbers"),
                                               required=False)
    reason = forms.CharField(label=_("Reason (written to the access log)"), required=False, max_length=255)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not user.has_perm("customers.view_personal_data"):
            del self.fields["include_personal_data"]
            del self.fields["reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("include_personal_data") and len((cleaned.get("reason") or "").strip()) < 2:
            self.add_error("reason", _("Give a reason for exporting personal data."))
        return cleaned
