"""Forms of the customer pages. They only parse input; the services validate and write.

Field names equal the service keyword arguments (customer fields, profile fields), so a ``ValidationError`` message
dict from a service maps straight back onto the form with :func:`add_service_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from kehu.core import divisions, validators
from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.org.models import Branch, User
from kehu.org.selectors import branch_list, owner_list

from .duplicates import DUPLICATE_CRITERIA
from .models import (
    Consent,
    ConsentChannel,
    Contact,
    CustomAttribute,
    Customer,
    CustomerKind,
    LifecycleStatus,
    ManagementClass,
    OrganisationProfile,
    PersonProfile,
    RelationshipStage,
    StatusRecord,
)
from .selectors import (
    CustomerFilters,
    custom_attribute_list,
    customer_owner_list,
    customer_sort_key,
    customer_tier_choices,
    tag_list,
)

CUSTOMER_FORM_FIELDS = [
    "name", "mobile", "phone", "email", "province_code", "city_code", "district_code", "address", "branch", "owner",
    "lifecycle_status", "lifecycle_stage", "management_class", "marketing_type", "brand_attitude",
    "share_of_wallet", "relationship_stage", "industry", "source", "customer_since", "notes",
]
DIVISION_FIELDS = ("province_code", "city_code", "district_code")
PERSON_FORM_FIELDS = [
    "id_type", "id_number", "gender", "birth_date", "employer", "position", "income_band", "education",
    "household", "preferences",
]
ORGANISATION_FORM_FIELDS = [
    "credit_code", "legal_representative", "ownership_type", "main_business", "business_status",
    "staff_count", "annual_revenue", "founded_on", "other_banks_suppliers",
]
# Personal data is never sent to the browser in an edit form: the input starts empty, shows the masked value as a
# placeholder, and an empty input keeps the stored value.
MASKERS = {"mobile": mask_phone, "phone": mask_phone, "email": mask_email, "id_number": mask_id_number}
CUSTOM_PREFIX = "ca_"
# the page sizes a list offers besides KEHU_PAGE_SIZE (anything else asked for is ignored)
PAGE_SIZES = (25, 50, 100)


def _style(fields: dict[str, forms.Field]) -> dict[str, forms.Field]:
    """Date inputs as native date pickers, short text areas."""
    for field in fields.values():
        if isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        elif isinstance(field.widget, forms.Textarea):
            field.widget.attrs.update({"rows": 3})
    return fields


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet) -> None:
    field = cast(forms.ModelChoiceField, form.fields[name])
    field.queryset = queryset


def _blank_choice(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names; the rest goes to the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        if field == "custom_attributes":
            _add_custom_attribute_errors(form, messages)
        elif field in form.fields:
            form.add_error(field, messages)
        else:
            form.add_error(None, messages)


def _add_custom_attribute_errors(form: forms.Form, messages: list[str]) -> None:
    """Custom attribute messages name the attribute by its label; show each under its own input where possible."""
    fields = getattr(form, "custom_fields", {})
    for message in messages:
        target = next((name for name, label in fields.items() if label and str(label) in message), None)
        form.add_error(target, message)


class CustomerForm(forms.Form):
    """Create or edit a person or organisation customer: customer fields, the kind's profile, tags and the custom
    attributes defined by the administrator."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # the likely duplicates the user saw and chose to save anyway ("<customer id>:<criterion>", comma-separated);
    # set by the view with the duplicate warning, so that a changed field that matches someone else warns again
    acknowledged_duplicates = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    reason = forms.CharField(
        label=_("Reason for change"), max_length=255, required=False,
        help_text=_("Recorded with the change (e.g. why the lifecycle status changes)."),
    )
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=tag_list(), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    new_tags = forms.CharField(label=_("New tags"), max_length=200, required=False,
                               help_text=_("Separate several tags with commas."))

    def __init__(self, *args: Any, user: User, kind: str, instance: Customer | None = None, **kwargs: Any) -> None:
        self.user = user
        self.kind = kind
        self.instance = instance
        profile_model = PersonProfile if kind == CustomerKind.PERSON else OrganisationProfile
        profile_names = PERSON_FORM_FIELDS if kind == CustomerKind.PERSON else ORGANISATION_FORM_FIELDS
        self.profile_names = profile_names
        profile = None
        if instance is not None:
            profile = getattr(instance, "person" if kind == CustomerKind.PERSON else "organisation", None)
            kwargs.setdefault("initial", self._initial(instance, profile))
        super().__init__(*args, **kwargs)
        customer_names = [name for name in CUSTOMER_FORM_FIELDS if instance is None or name != "owner"]
        model_fields = _style(fields_for_model(Customer, fields=customer_names))
        model_fields.update(_style(fields_for_model(profile_model, fields=profile_names)))
        for name, field in model_fields.items():
            self.fields[name] = field
        self._limit_choices(instance)
        self._division_fields()
        if instance is None:
            self.fields.pop("expected_version")
            self.fields.pop("reason")
        else:
            for name in MASKERS:
                if name not in self.fields:
                    continue
                source = profile if name == "id_number" else instance
                current = getattr(source, name, "") if source is not None else ""
                if current:
                    self.fields[name].widget.attrs["placeholder"] = MASKERS[name](current)
                    self.fields[name].help_text = _("Leave empty to keep the current value.")
        self.custom_fields: dict[str, Any] = {}
        for attribute in custom_attribute_list(kind=kind):
            name = CUSTOM_PREFIX + attribute.key
            self.fields[name] = _custom_attribute_field(attribute)
            self.custom_fields[name] = attribute.label
            if instance is not None and not self.is_bound:
                self.initial[name] = (instance.custom_attributes or {}).get(attribute.key)
        order = ["name", *profile_names, *[n for n in customer_names if n != "name"], "tags", "new_tags",
                 *self.custom_fields, "reason", "expected_version", "acknowledged_duplicates"]
        self.order_fields(order)

    def acknowledged_duplicate_keys(self) -> set[str]:
        """The match keys of :attr:`acknowledged_duplicates` (anything else in the field is ignored)."""
        raw = (self.cleaned_data.get("acknowledged_duplicates") or "") if hasattr(self, "cleaned_data") else ""
        keys = set()
        for key in raw.split(","):
            pk, _colon, criterion = key.strip().partition(":")
            if pk.isascii() and pk.isdigit() and criterion in DUPLICATE_CRITERIA:
                keys.add(f"{int(pk)}:{criterion}")
        return keys

    @staticmethod
    def _initial(instance: Customer, profile: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(instance, name) for name in CUSTOMER_FORM_FIELDS if name != "owner"}
        initial["branch"] = instance.branch_id
        initial["tags"] = [tag.pk for tag in instance.tags.all()]
        initial["expected_version"] = instance.version
        if profile is not None:
            names = PERSON_FORM_FIELDS if instance.kind == CustomerKind.PERSON else ORGANISATION_FORM_FIELDS
            initial.update({name: getattr(profile, name) for name in names})
        for name in MASKERS:
            initial.pop(name, None)
        return initial

    def _division_fields(self) -> None:
        """Province → city → district as selects of the national division codes: each level's options are the
        children of the level above as submitted (or stored), and ``kehu/divisions.js`` reloads them in the browser
        when the level above changes."""
        from django.urls import reverse

        labels = {"province_code": _("Province"), "city_code": _("City"), "district_code": _("District")}
        parent = ""
        url = reverse("customers:divisions")
        for level, name in enumerate(DIVISION_FIELDS):
            if level and not parent:
                options: list[tuple[str, str]] = []
            else:
                options = [(division.code, division.name) for division in divisions.children(parent or None)]
            self.fields[name] = forms.ChoiceField(
                label=labels[name], required=False, choices=_blank_choice(options),
                widget=forms.Select(attrs={"data-division": str(level + 1), "data-division-url": url,
                                           "data-division-child": DIVISION_FIELDS[level + 1]
                                           if level + 1 < len(DIVISION_FIELDS) else ""}),
            )
            value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
            parent = str(value or "") if any(str(value or "") == code for code, _label in options) else ""

    def _limit_choices(self, instance: Customer | None) -> None:
        """Branches in the user's scope (plus the customer's current one), staff in the user's scope as owners."""
        branches = branch_list(user=self.user)
        if instance is not None:
            ids = [*branches.values_list("pk", flat=True), instance.branch_id]
            branches = branch_list().filter(pk__in=ids)
        _set_queryset(self, "branch", branches)
        if instance is None and not self.is_bound:
            stores = [branch for branch in branches if branch.kind == Branch.Kind.STORE]
            if len(stores) == 1:
                self.initial.setdefault("branch", stores[0].pk)
        if "owner" in self.fields:
            _set_queryset(self, "owner", owner_list(user=self.user))
            self.fields["owner"].help_text = _("Account managers own the customers they create when this is empty.")

    def service_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``customer_create`` / ``customer_update`` from the cleaned data."""
        data = self.cleaned_data
        keep_blank = self.instance is not None
        fields: dict[str, Any] = {}
        for name in CUSTOMER_FORM_FIELDS:
            if name not in data:
                continue
            if keep_blank and name in MASKERS and not data[name]:
                continue
            fields[name] = data[name]
        profile: dict[str, Any] = {}
        for name in self.profile_names:
            if keep_blank and name in MASKERS and not data.get(name):
                continue
            profile[name] = data.get(name)
        profile_key = "person" if self.kind == CustomerKind.PERSON else "organisation"
        fields[profile_key] = profile
        fields["custom_attributes"] = {
            name[len(CUSTOM_PREFIX):]: data.get(name) for name in self.custom_fields if data.get(name) not in (None, "")
        }
        return fields

    def clean(self) -> dict[str, Any]:
        """Check phone, ID and credit-code formats here too, so they show together with the form's own errors.

        The same validators run again in the service, which stays the authority.
        """
        data = super().clean() or {}
        checks: dict[str, Callable[[str], str]] = {
            "mobile": validators.normalize_mobile, "phone": validators.normalize_phone,
            "credit_code": validators.validate_credit_code,
        }
        for name, check in checks.items():
            if data.get(name):
                try:
                    check(data[name])
                except ValidationError as error:
                    self.add_error(name, error.messages)
        for name, date_check in (("birth_date", validators.validate_birth_date),
                                 ("founded_on", validators.validate_founding_date),
                                 ("customer_since", validators.validate_past_business_date)):
            if data.get(name):
                try:
                    date_check(data[name])
                except ValidationError as error:
                    self.add_error(name, error.messages)
                    data.pop(name, None)
        if data.get("id_number") and data.get("id_type") == PersonProfile.IdType.RESIDENT_ID:
            try:
                validators.validate_resident_id(data["id_number"], birth_date=data.get("birth_date"))
            except ValidationError as error:
                self.add_error("id_number", error.messages)
        new_tags = self.new_tag_names() if "new_tags" in data else []
        too_long = [name for name in new_tags if len(name) > validators.TAG_LENGTH_MAX]
        if too_long:
            self.add_error("new_tags", _("A tag has at most %(max)s characters: %(tags)s.")
                           % {"max": validators.TAG_LENGTH_MAX, "tags": ", ".join(too_long)})
        if len({*(tag.name for tag in data.get("tags") or []), *new_tags}) > validators.TAGS_PER_CUSTOMER_MAX:
            self.add_error("new_tags", tags_cap_message())
        return data

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields grouped for display, each group with a title."""
        is_person = self.kind == CustomerKind.PERSON
        groups: list[tuple[Any, list[str]]] = [
            (_("Basic information"), ["name", "branch", "owner", "mobile", "phone", "email"]),
            (_("Person") if is_person else _("Organisation"), self.profile_names),
            (_("Address"), ["province_code", "city_code", "district_code", "address"]),
            (_("Classification"), ["lifecycle_status", "lifecycle_stage", "management_class", "marketing_type",
                                   "brand_attitude", "share_of_wallet", "relationship_stage", "industry", "source",
                                   "customer_since"]),
            (_("More information"), list(self.custom_fields)),
            (_("Tags and notes"), ["tags", "new_tags", "notes"]),
        ]
        return [(title, [self[name] for name in names if name in self.fields])
                for title, names in groups if any(name in self.fields for name in names)]

    def new_tag_names(self) -> list[str]:
        return [name.strip() for name in (self.cleaned_data.get("new_tags") or "").split(",") if name.strip()]


def tags_cap_message() -> str:
    return _("A customer has at most %(max)s tags.") % {"max": validators.TAGS_PER_CUSTOMER_MAX}


def _custom_attribute_field(attribute: CustomAttribute) -> forms.Field:
    common: dict[str, Any] = {"label": attribute.label, "required": attribute.required}
    if attribute.type == CustomAttribute.Type.NUMBER:
        return forms.DecimalField(**common)
    if attribute.type == CustomAttribute.Type.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if attribute.type == CustomAttribute.Type.CHOICE:
        return forms.ChoiceField(choices=_blank_choice([(c, c) for c in attribute.choice_list]), **common)
    return forms.CharField(max_length=1000, **common)


class CustomerFilterForm(forms.Form):
    """The search box and filters of the customer list. Invalid values are ignored rather than reported."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank_choice(CustomerKind.choices,
                                                                                     _("All kinds")))
    branch = forms.ModelChoiceField(label=_("Branch"), required=False, queryset=Branch.objects.none(),
                                    empty_label=_("All branches"))
    owner = forms.ModelChoiceField(label=_("Account manager"), required=False, queryset=User.objects.none(),
                                   empty_label=_("All account managers"))
    lifecycle_status = forms.ChoiceField(label=_("Lifecycle status"), required=False,
                                         choices=_blank_choice(LifecycleStatus.choices, _("All statuses")))
    management_class = forms.ChoiceField(label=_("Management class"), required=False,
                                         choices=_blank_choice(ManagementClass.choices, _("All classes")))
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=tag_list(), empty_label=_("All tags"))
    relationship_stage = forms.ChoiceField(label=_("Relationship stage"), required=False,
                                           choices=_blank_choice(RelationshipStage.choices, _("All stages")))
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[])
    per_page = forms.TypedChoiceField(label=_("Rows per page"), required=False, coerce=int, empty_value=None,
                                      choices=[])
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "branch", branch_list(user=user))
        _set_queryset(self, "owner", owner_list(user=user))
        self.fields["per_page"].choices = [  # type: ignore[attr-defined]
            ("", _("%(count)s per page") % {"count": settings.KEHU_PAGE_SIZE}),
            *[(str(size), _("%(count)s per page") % {"count": size}) for size in PAGE_SIZES
              if size != settings.KEHU_PAGE_SIZE],
        ]
        tiers = customer_tier_choices()
        if tiers:
            self.fields["tier"].choices = _blank_choice(tiers, _("All tiers"))  # type: ignore[attr-defined]
        else:  # no scoring run yet: no tier to filter by
            del self.fields["tier"]
        self.fields["q"].widget.attrs.update({"placeholder": _("Name, pinyin, initials, code or phone"),
                                              "autocomplete": "off", "type": "search"})

    def filters(self) -> CustomerFilters:
        if not self.is_bound:
            return CustomerFilters()
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return CustomerFilters(
            query=(data.get("q") or "").strip(),
            kind=data.get("kind") or "",
            branch=data["branch"].pk if data.get("branch") else None,
            owner=data["owner"].pk if data.get("owner") else None,
            lifecycle_status=data.get("lifecycle_status") or "",
            management_class=data.get("management_class") or "",
            tag=data["tag"].pk if data.get("tag") else None,
            relationship_stage=data.get("relationship_stage") or "",
            tier=data.get("tier") or "",
        )

    def chosen_sort(self) -> str:
        """The whitelisted sort key asked for, or ``""`` (newest first)."""
        return customer_sort_key(self.data.get("sort") if self.is_bound else "")

    def chosen_per_page(self) -> int:
        """The rows per page asked for (one of ``PAGE_SIZES``), else ``KEHU_PAGE_SIZE``."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("per_page") in PAGE_SIZES:
            return int(self.cleaned_data["per_page"])
        return int(settings.KEHU_PAGE_SIZE)

    def is_filtered(self) -> bool:
        filters = self.filters()
        return any([filters.query, filters.kind, filters.branch, filters.owner, filters.lifecycle_status,
                    filters.management_class, filters.tag, filters.relationship_stage, filters.tier])


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255,
                             help_text=_("Why you need the full numbers; this is written to the access log."))


class TransferForm(forms.Form):
    """Give one or more customers to another staff member."""

    new_owner = forms.ModelChoiceField(label=_("New account manager"), queryset=User.objects.none())
    new_branch = forms.ModelChoiceField(label=_("New home branch"), queryset=Branch.objects.none(), required=False,
                                        empty_label=_("Keep the current home branch"))
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "new_owner", owner_list(user=user))
        _set_queryset(self, "new_branch", branch_list(user=user))


class StaffLeavesForm(forms.Form):
    """Move every customer of a staff member who leaves (or changes job) to another one."""

    from_owner = forms.ModelChoiceField(label=_("Staff member who leaves"), queryset=User.objects.none())
    new_owner = forms.ModelChoiceField(label=_("New account manager"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=255, initial="")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "from_owner", customer_owner_list(user=user))
        _set_queryset(self, "new_owner", owner_list(user=user))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_owner") and data.get("from_owner") == data.get("new_owner"):
            self.add_error("new_owner", _("Choose someone other than the staff member who leaves."))
        return data


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    granted = forms.TypedChoiceField(label=_("Decision"), coerce=lambda value: value == "1",
                                     choices=[("1", _("Grant")), ("0", _("Withdraw"))], widget=forms.RadioSelect)
    source = forms.ChoiceField(label=_("Source"), choices=Consent.Source.choices, initial=Consent.Source.STORE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    notice_version = forms.CharField(label=_("Notice version"), max_length=32, required=False)


class StatusRecordForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = ["main_business", "operating_status", "holdings_with_us", "holdings_with_competitors",
                 "preferred_channel", "contact_frequency", "development_potential", "satisfaction", "notes"]
        self.fields.update(_style(fields_for_model(StatusRecord, fields=names)))
        self.fields["satisfaction"] = forms.TypedChoiceField(
            label=StatusRecord._meta.get_field("satisfaction").verbose_name, required=False, coerce=int,
            empty_value=None, choices=_blank_choice([(str(n), str(n)) for n in range(1, 6)]),
        )

    def service_kwargs(self) -> dict[str, Any]:
        return {name: ("" if value is None and name != "satisfaction" else value)
                for name, value in self.cleaned_data.items()}


class ContactForm(forms.Form):
    """A contact of a customer (an organisation's staff, a person's spouse, assistant or guardian); on edit, empty
    phone/e-mail inputs keep the stored values."""

    NAMES = ["name", "role", "title", "mobile", "phone", "email", "is_primary", "notes"]

    def __init__(self, *args: Any, instance: Contact | None = None, kind: str = CustomerKind.ORGANISATION,
                 **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {name: getattr(instance, name) for name in self.NAMES if name not in MASKERS})
        super().__init__(*args, **kwargs)
        self.fields.update(_style(fields_for_model(Contact, fields=self.NAMES)))
        # a person's contacts are their relations (spouse, assistant, guardian); an organisation's, its staff
        roles = Contact.roles_for(kind)
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = [(value, label) for value, label in Contact.Role.choices if value in roles]
        role.label = _("Relation") if kind == CustomerKind.PERSON else _("Role")
        if instance is not None:
            for name in ("mobile", "phone", "email"):
                current = getattr(instance, name)
                if current:
                    self.fields[name].widget.attrs["placeholder"] = MASKERS[name](current)
                    self.fields[name].help_text = _("Leave empty to keep the current value.")

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.instance is not None:
            for name in ("mobile", "phone", "email"):
                if not data.get(name):
                    data.pop(name, None)
        return data


class MergeForm(forms.Form):
    """Which value to keep for every field the two customers fill differently; each defaults to the value of the
    customer that survives (the merge only takes the other customer's value where the user says so)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)

    def __init__(self, *args: Any, fields: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflicts = [field for field in fields if field.conflict]
        for field in self.conflicts:
            self.fields[f"choice_{field.name}"] = forms.ChoiceField(
                label=field.label, widget=forms.RadioSelect, initial="keep",
                choices=[("keep", field.keep_display or "—"), ("merge", field.merge_display or "—")],
            )

    def choices(self) -> dict[str, str]:
        return {field.name: self.cleaned_data[f"choice_{field.name}"] for field in self.conflicts}
