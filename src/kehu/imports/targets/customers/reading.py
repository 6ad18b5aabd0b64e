"""Reading customer rows: the columns a file may have (field specs, value mappings) and each row read and normalised
on its own — resident ID numbers against the birth date and gender given, addresses split into divisions, the kind
of customer inferred, pinyin keys prepared. No database access per row: rows may be prepared in parallel.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kehu.core import divisions, industries
from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.core.messages import from_validation_error
from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages
from kehu.core.validators import resident_id_gender, validate_resident_id
from kehu.customers import rules
from kehu.customers.models import (
    BrandAttitude,
    CustomAttribute,
    Customer,
    CustomerKind,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    MarketingType,
    OrganisationProfile,
    PersonProfile,
    RelationshipStage,
)
from kehu.customers.upsert import customer_write_scope
from kehu.org.models import Branch, User

from ...aliases import CUSTOMER_HEADERS, GENERIC_PHONE_HEADERS, ORGANISATION_NAME_PATTERN
from ...fields import (
    FieldError,
    FieldSpec,
    Parser,
    build_lookup,
    choice_parser,
    decimal_parser,
    lookup_parser,
    normalise_header,
    parse_birth_date,
    parse_code,
    parse_count,
    parse_credit_code,
    parse_date,
    parse_email,
    parse_founding_date,
    parse_id_number_text,
    parse_mobile,
    parse_phone,
    parse_resident_id,
    parse_tags,
    text_parser,
    text_value,
)
from ...readers import cell_text
from ..base import Problem, Target

PERSON_FIELDS = {"gender", "birth_date", "id_type", "id_number", "employer", "position", "income_band", "household",
                 "education", "preferences"}
ORGANISATION_FIELDS = {"credit_code", "ownership_type", "main_business", "staff_count", "annual_revenue",
                       "legal_representative", "founded_on", "other_banks_suppliers", "business_status"}
DIVISION_NAMES = ("province", "city", "district")
DIVISION_CODES = ("province_code", "city_code", "district_code")
KIND_CHOICES = ("auto", "person", "organisation")
_ORGANISATION_NAME = re.compile(ORGANISATION_NAME_PATTERN)


class Unmatched(str):
    """A cell value a parser did not recognise but that must not fail the row (an unknown account manager, an
    industry outside the classification): the row is stored without it, with a warning."""


def infer_kind(name: str, credit_code: str = "") -> str:
    """Organisation when the row has a credit code or the name names one (…有限公司, 集团, Co., Ltd., Inc.)."""
    if credit_code or (name and _ORGANISATION_NAME.search(name.strip())):
        return CustomerKind.ORGANISATION
    return CustomerKind.PERSON


# fields that cannot be empty: an empty cell keeps the stored value (or gives the default to a new customer)
KEEP_WHEN_BLANK = {"code", "kind", "name", "branch", "owner", "lifecycle_status", "lifecycle_stage",
                   "management_class", "relationship_stage", "id_type", "business_status"}
ATTNAME = {"branch": "branch_id", "owner": "owner_id"}
KEY_COLUMNS = {"code": ("c", "code"), "mobile": ("c", "mobile"), "id_number": ("p", "id_number"),
               "credit_code": ("o", "credit_code")}
SEARCH_KEYS = "_search_keys"  # a prepared row's pinyin keys: (kind assumed, (pinyin, initials))
PERSONAL_DATA_FIELDS = {"mobile": mask_phone, "phone": mask_phone, "id_number": mask_id_number, "email": mask_email}
# columns derived from others: not shown as changes of their own
DERIVED_COLUMNS = {"name_pinyin", "name_initials", "mobile_last4", "version", "updated_at", "customer_id",
                   *DIVISION_CODES}


def _fields(model: Any, alias: str, columns: list[str]) -> list[tuple[str, Any]]:
    by_column = {field.column: field for field in model._meta.concrete_fields}
    return [(alias, by_column[column]) for column in columns]


def _label(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name


class CustomerRowReader(Target):
    """The customer target's columns and rows: what :class:`~.target.CustomerTarget` matches and stores."""

    name = "customers"
    keys = ("code", "mobile", "id_number", "credit_code")

    def __init__(self, **kwargs: Any) -> None:
        self._branches = list(Branch.objects.filter(is_active=True).only("pk", "code", "name"))
        self._branch_names = {branch.pk: branch.name for branch in self._branches}
        from kehu.org.selectors import owner_list

        staff = list(User.objects.filter(is_active=True).only("pk", "username", "display_name", "staff_number",
                                                               "first_name", "last_name"))
        self._owner_names = {user.pk: user.display_name or user.username for user in staff}
        # a file may name as account manager only staff who may own customers (not auditors, agents, marketers)
        owner_ids = set(owner_list().values_list("pk", flat=True))
        self._staff = [user for user in staff if user.pk in owner_ids]
        self._attributes = {attribute.key: attribute for attribute in CustomAttribute.objects.filter(is_active=True)}
        self.actor = kwargs.get("actor")
        self._read_write_scope()  # before the field specs: the value mapping of account managers needs the scope
        super().__init__(**kwargs)
        self.tag_ids: dict[str, int] = {}
        self.seen_codes: dict[str, int] = {}
        self.now = timezone.now()
        self.reason = (_("Import #%(job)s") % {"job": self.job_id}) if self.job_id else _("Import")
        # a row renaming the customer it matches is refused unless the user confirmed the name changes
        self.accept_name_changes = bool(self.options.get("accept_name_changes"))
        # keys (of the chunk being applied) that only customers outside the importer's scope have
        self._hidden_keys: set[Any] = set()
        default_branch = self.options.get("default_branch")
        self.default_branch_id: int | None = int(default_branch) if default_branch else None
        self.custom_mapped = [name for name in self.mapped_names if name.startswith("custom:")]
        self.person_mapped = self.mapped_names & PERSON_FIELDS
        self.organisation_mapped = self.mapped_names & ORGANISATION_FIELDS
        self.customer_mapped = self.mapped_names - PERSON_FIELDS - ORGANISATION_FIELDS - {"tags"} - set(
            self.custom_mapped
        )
        kind = self.options.get("kind") or "auto"
        self.kind_choice = kind if kind in KIND_CHOICES else "auto"
        # an address without division columns is split into them; division columns get their codes
        self.split_address = "address" in self.mapped_names and not set(DIVISION_NAMES) & self.mapped_names
        self.resolve_divisions = bool(set(DIVISION_NAMES) & self.mapped_names)
        derived: set[str] = set()
        if self.split_address:
            derived |= {*DIVISION_NAMES, *DIVISION_CODES}
        elif self.resolve_divisions:
            derived |= set(DIVISION_CODES)
        if "industry" in self.mapped_names:
            derived.add("notes")  # an industry not in the classification is kept in the notes
        # fields written without a column of their own: a row without a value for them leaves them alone
        self.derived_only = derived - self.mapped_names
        self.customer_mapped |= derived

    def _read_write_scope(self) -> None:
        """What the importing user may write (the customers app's :class:`~kehu.customers.upsert.WriteScope`)."""
        self.write_scope = customer_write_scope(self.actor)
        self.scope: frozenset[int] | None = self.write_scope.branch_ids
        self.may_add = self.write_scope.may_add
        self.may_change = self.write_scope.may_change
        self.may_transfer = self.write_scope.may_transfer
        self.owner_by_default: int | None = self.write_scope.owner_by_default
        # account managers named in the file must be staff of the importer's branches (as in the forms)
        self.owner_scope: frozenset[int] | None = self.write_scope.owner_ids

    # -- mapping -------------------------------------------------------------------------------------------------
    def map_columns(self, headers: list[str], explicit: dict[str, str] | None = None) -> list[str]:
        """The automatic mapping, with one twist: keyed by mobile, a file without a mobile column whose number is
        under a header such as 联系电话 (mapped to the other phone otherwise) has its mobiles in that column.
        """
        columns = super().map_columns(headers, explicit)
        if self.key != "mobile" or "mobile" in columns:
            return columns
        explicit = explicit or {}
        chosen = {normalise_header(header) for header in explicit}
        generic = {normalise_header(header) for header in GENERIC_PHONE_HEADERS}
        for index, header in enumerate(headers):
            normalised = normalise_header(header)
            if columns[index] == "phone" and normalised in generic and header not in explicit \
                    and normalised not in chosen:
                columns[index] = "mobile"
                break
        return columns

    def field_specs(self) -> list[FieldSpec]:
        headers = CUSTOMER_HEADERS
        branch_lookup = build_lookup(
            [(branch.code, branch.pk) for branch in self._branches] + [(branch.name, branch.pk)
                                                                        for branch in self._branches]
        )
        owner_lookup = build_lookup(
            [(user.username, user.pk) for user in self._staff]
            + [(user.display_name, user.pk) for user in self._staff if user.display_name]
            + [(user.staff_number, user.pk) for user in self._staff if user.staff_number]
            + [(f"{user.last_name}{user.first_name}", user.pk) for user in self._staff
               if user.last_name and user.first_name]
            + [(f"{user.first_name} {user.last_name}", user.pk) for user in self._staff
               if user.last_name and user.first_name]
        )

        def unknown_branch(text: str) -> str:
            return _("Unknown branch “%(value)s”: use a branch code or name.") % {"value": text}

        def unknown_owner(text: str) -> str:
            return _("Unknown account manager “%(value)s”: use the username of an active staff member who may own "
                     "customers.") % {"value": text}

        specs = [
            FieldSpec("code", _label(Customer, "code"), headers["code"], parse_code),
            FieldSpec("kind", _label(Customer, "kind"), headers["kind"],
                      self._values("kind", choice_parser("kind", CustomerKind.choices, blank=None))),
            FieldSpec("name", _label(Customer, "name"), headers["name"], text_parser(200), required=True),
            FieldSpec("mobile", _label(Customer, "mobile"), headers["mobile"], parse_mobile),
            FieldSpec("phone", _label(Customer, "phone"), headers["phone"], parse_phone),
            FieldSpec("email", _label(Customer, "email"), headers["email"], parse_email),
            FieldSpec("province", _label(Customer, "province"), headers["province"], text_parser(32)),
            FieldSpec("city", _label(Customer, "city"), headers["city"], text_parser(32)),
            FieldSpec("district", _label(Customer, "district"), headers["district"], text_parser(32)),
            FieldSpec("address", _label(Customer, "address"), headers["address"], text_parser(255)),
            FieldSpec("branch", _label(Customer, "branch"), headers["branch"],
                      lookup_parser(branch_lookup, unknown_branch), required=True),
            FieldSpec("owner", _label(Customer, "owner"), headers["owner"],
                      self._values("owner", _owner_parser(lookup_parser(owner_lookup, unknown_owner)))),
            FieldSpec("lifecycle_status", _label(Customer, "lifecycle_status"), headers["lifecycle_status"],
                      self._values("lifecycle_status",
                                   choice_parser("lifecycle_status", LifecycleStatus.choices, blank=None))),
            FieldSpec("lifecycle_stage", _label(Customer, "lifecycle_stage"), headers["lifecycle_stage"],
                      self._values("lifecycle_stage",
                                   choice_parser("lifecycle_stage", LifecycleStage.choices, blank=None))),
            FieldSpec("management_class", _label(Customer, "management_class"), headers["management_class"],
                      self._values("management_class",
                                   choice_parser("management_class", ManagementClass.choices, blank=None))),
            FieldSpec("marketing_type", _label(Customer, "marketing_type"), headers["marketing_type"],
                      choice_parser("marketing_type", MarketingType.choices)),
            FieldSpec("brand_attitude", _label(Customer, "brand_attitude"), headers["brand_attitude"],
                      choice_parser("brand_attitude", BrandAttitude.choices)),
            FieldSpec("share_of_wallet", _label(Customer, "share_of_wallet"), headers["share_of_wallet"],
                      decimal_parser(max_digits=5, places=2, minimum=Decimal(0), maximum=Decimal(100))),
            FieldSpec("relationship_stage", _label(Customer, "relationship_stage"), headers["relationship_stage"],
                      choice_parser("relationship_stage", RelationshipStage.choices, blank=None)),
            FieldSpec("tags", gettext_lazy("tags"), headers["tags"], parse_tags),
            FieldSpec("notes", _label(Customer, "notes"), headers["notes"], text_parser(10000)),
            FieldSpec("industry", _label(Customer, "industry"), headers["industry"],
                      self._values("industry", _parse_industry)),
            FieldSpec("source", _label(Customer, "source"), headers["source"], text_parser(100)),
            FieldSpec("customer_since", _label(Customer, "customer_since"), headers["customer_since"],
                      _parse_customer_since),
            FieldSpec("gender", _label(PersonProfile, "gender"), headers["gender"],
                      choice_parser("gender", PersonProfile.Gender.choices)),
            FieldSpec("birth_date", _label(PersonProfile, "birth_date"), headers["birth_date"], parse_birth_date),
            FieldSpec("id_type", _label(PersonProfile, "id_type"), headers["id_type"],
                      choice_parser("id_type", PersonProfile.IdType.choices, blank=None)),
            FieldSpec("id_number", _label(PersonProfile, "id_number"), headers["id_number"], parse_id_number_text),
            FieldSpec("employer", _label(PersonProfile, "employer"), headers["employer"], text_parser(200)),
            FieldSpec("position", _label(PersonProfile, "position"), headers["position"], text_parser(100)),
            FieldSpec("income_band", _label(PersonProfile, "income_band"), headers["income_band"],
                      choice_parser("income_band", PersonProfile.IncomeBand.choices)),
            FieldSpec("household", _label(PersonProfile, "household"), headers["household"], text_parser(200)),
            FieldSpec("education", _label(PersonProfile, "education"), headers["education"],
                      choice_parser("education", PersonProfile.Education.choices)),
            FieldSpec("preferences", _label(PersonProfile, "preferences"), headers["preferences"], text_parser(5000)),
            FieldSpec("credit_code", _label(OrganisationProfile, "credit_code"), headers["credit_code"],
                      parse_credit_code),
            FieldSpec("ownership_type", _label(OrganisationProfile, "ownership_type"), headers["ownership_type"],
                      choice_parser("ownership_type", OrganisationProfile.Ownership.choices)),
            FieldSpec("main_business", _label(OrganisationProfile, "main_business"), headers["main_business"],
                      text_parser(255)),
            FieldSpec("staff_count", _label(OrganisationProfile, "staff_count"), headers["staff_count"], parse_count),
            FieldSpec("annual_revenue", _label(OrganisationProfile, "annual_revenue"), headers["annual_revenue"],
                      decimal_parser(max_digits=18, places=2, minimum=Decimal(0))),
            FieldSpec("legal_representative", _label(OrganisationProfile, "legal_representative"),
                      headers["legal_representative"], text_parser(100)),
            FieldSpec("founded_on", _label(OrganisationProfile, "founded_on"), headers["founded_on"],
                      parse_founding_date),
            FieldSpec("other_banks_suppliers", _label(OrganisationProfile, "other_banks_suppliers"),
                      headers["other_banks_suppliers"], text_parser(5000)),
            FieldSpec("business_status", _label(OrganisationProfile, "business_status"), headers["business_status"],
                      choice_parser("business_status", OrganisationProfile.BusinessStatus.choices,
                                    blank=None)),
        ]
        for attribute in self._attributes.values():
            specs.append(FieldSpec(f"custom:{attribute.key}", attribute.label, (attribute.key, attribute.label),
                                   _custom_parser(attribute)))
        return specs

    def _values(self, field: str, parse: Parser) -> Parser:
        """``parse`` behind the job's value mapping of ``field`` (option ``values``): a value the user mapped is taken
        as mapped; anything else goes to ``parse``."""
        mapped = (self.options.get("values") or {}).get(field) or {}
        if not isinstance(mapped, dict) or not mapped:
            return parse
        allowed = self._allowed_values(field)
        values: dict[str, Any] = {}
        for text, value in mapped.items():
            value = "" if value is None else str(value)
            if value and value not in allowed:
                continue  # a saved mapping naming a value that no longer exists (a staff member who left)
            # a value left unrecognised ("") is read as without a mapping: a problem of its row, or, for an account
            # manager or an industry, stored without it and listed after the import
            if value:
                values[normalise_header(str(text))] = int(value) if field == "owner" else value
        if not values:
            return parse

        def parse_mapped(raw: Any) -> Any:
            text = text_value(raw)
            if text:
                key = normalise_header(text)
                if key in values:
                    return values[key]
            return parse(raw)

        return parse_mapped

    def _allowed_values(self, field: str) -> set[str]:
        if field == "owner":
            staff = self._staff if self.owner_scope is None else [
                user for user in self._staff if user.pk in self.owner_scope]
            return {str(user.pk) for user in staff}
        return {str(value) for value, _label in self.value_choices(field)}

    def value_choices(self, field: str) -> list[tuple[str, Any]]:
        """What a value of ``field`` may be mapped onto (the wizard's value step): flat (value, label) pairs."""
        if field == "owner":
            staff = self._staff if self.owner_scope is None else [
                user for user in self._staff if user.pk in self.owner_scope]
            return [(str(user.pk), f"{user.display_name or user.username} ({user.username})")
                    for user in sorted(staff, key=lambda user: user.username)]
        if field == "industry":
            return [(value, label) for _group, options in industries.choices() for value, label in options]
        choices = _CHOICE_LABELS.get(field)
        return [(str(value), label) for value, label in choices.choices] if choices is not None else []

    def guess_value(self, field: str, raw: Any) -> str:
        """The value a cell of ``field`` is read as without a value mapping ("" when not recognised)."""
        spec = self.specs.get(field)
        if spec is None:
            return ""
        try:
            value = spec.parse(raw)
        except FieldError:
            return ""
        if value is None or isinstance(value, Unmatched):
            return ""
        return str(value)

    def mapping_problems(self) -> list[str]:
        problems = []
        if self.key not in self.keys:
            problems.append(_("Choose the key that identifies a customer: %(keys)s.") % {"keys": ", ".join(self.keys)})
        elif self.key not in self.mapped_names:
            problems.append(_("The key column (%(key)s) is not in the file or not mapped.")
                            % {"key": self.specs[self.key].label})
        if not self.may_add and not self.may_change:
            problems.append(_("You do not have permission to import customers."))
        return problems

    # -- rows ----------------------------------------------------------------------------------------------------
    def check_row(self, data: dict[str, Any], problems: list[Problem]) -> None:
        """Resident ID numbers (their check depends on the ID type), with the birth date and gender they encode
        against those given."""
        number = data.get("id_number")
        if number and (data.get("id_type") or PersonProfile.IdType.RESIDENT_ID) == PersonProfile.IdType.RESIDENT_ID:
            try:
                data["id_number"] = number = parse_resident_id(number)
            except FieldError as error:
                problems.append((self.header_of["id_number"], number, error.message))
            else:
                birth_date = data.get("birth_date")
                gender = data.get("gender") or ""
                if (birth_date and number[6:14] != _compact_date(birth_date)) or (
                        gender and gender != resident_id_gender(number)):
                    try:
                        validate_resident_id(number, birth_date=birth_date, gender=gender)
                    except ValidationError as error:
                        problems.append((self.header_of["id_number"], number, from_validation_error(error)))
        if self.split_address:
            self._split_address(data)
        elif self.resolve_divisions:
            self._resolve_divisions(data)
        name = data.get("name")
        if self.prepare_search_keys and name and not problems:
            # pinyin keys here, where rows may be prepared in parallel, rather than in the database step
            kind = self.row_kind(data) or CustomerKind.PERSON
            data[SEARCH_KEYS] = (kind, rules.search_keys(name, kind))

    def row_kind(self, data: dict[str, Any]) -> str:
        """The kind of a row: its kind column; else the kind chosen for the file; else inferred from the credit code
        and the name. "" leaves a stored customer's kind (a kind is never changed by an import)."""
        if data.get("kind"):
            return str(data["kind"])
        if self.kind_choice != "auto":
            return self.kind_choice
        return infer_kind(data.get("name") or "", data.get("credit_code") or "")

    @staticmethod
    def _split_address(data: dict[str, Any]) -> None:
        address = data.get("address")
        if not address:
            return
        split = divisions.split_address(address)
        if not split.province:
            return
        codes = (split.province, split.city, split.district)
        for name, code_name, code, division_name in zip(DIVISION_NAMES, DIVISION_CODES, codes,
                                                         divisions.names(*codes), strict=True):
            data[name], data[code_name] = division_name, code
        if split.rest:
            data["address"] = split.rest  # the street: the divisions are in their own fields now

    @staticmethod
    def _resolve_divisions(data: dict[str, Any]) -> None:
        written = [data.get(name) or "" for name in DIVISION_NAMES]
        if not any(written):
            return
        codes = divisions.resolve(*written)
        for name, code_name, code, text in zip(DIVISION_NAMES, DIVISION_CODES, codes, written, strict=True):
            data[code_name] = code
            found = divisions.get(code)
            if found is not None:
                data[name] = found.name  # 广东 → 广东省
            elif name not in data:
                data[name] = text

    @staticmethod
    def _prepared_keys(data: dict[str, Any], kind: str) -> tuple[str, str] | None:
        """The pinyin keys prepared with the row (:meth:`check_row`) when they were drawn for ``kind``."""
        prepared = data.get(SEARCH_KEYS)
        return prepared[1] if prepared is not None and prepared[0] == kind else None


    def _wrong_kind(self, kind: str, data: dict[str, Any], problems: list[Problem]) -> None:
        """Values in columns of the other kind's profile are reported, not silently dropped."""
        wrong = ORGANISATION_FIELDS if kind == CustomerKind.PERSON else PERSON_FIELDS
        for name in wrong & self.mapped_names:
            value = data.get(name)
            if value not in (None, "") and name not in KEEP_WHEN_BLANK:
                message = (_("Only organisations have this field.") if kind == CustomerKind.PERSON
                           else _("Only persons have this field."))
                problems.append((self.header_of[name], str(value), message))

    def key_value(self, data: dict[str, Any]) -> Any:
        return data.get(self.key) or None

    def remember_row(self, values: list[Any], row: int) -> None:
        data, problems = self.parse(values)
        if problems:
            return
        if data.get(self.key):
            self.seen.setdefault(data[self.key], row)
        if data.get("code") and self.key != "code":
            self.seen_codes.setdefault(data["code"], row)

    def _unmatched_values(self, row: int, data: dict[str, Any]) -> list[tuple[int, str, str, str]]:
        """Values the row names that Kehu does not know but that do not fail it: an account manager (the row is
        stored without one) and an industry outside GB/T 4754 (kept in the notes). Warnings for the row."""
        warnings = []
        owner = data.get("owner")
        if isinstance(owner, Unmatched):
            data["owner"] = None
            warnings.append((row, self.column_label("owner"), str(owner),
                             _("Unknown account manager “%(value)s”: the customer is stored without this account "
                               "manager. Choose a staff member for the name in the value mapping, or transfer the "
                               "customer later.") % {"value": owner}))
        industry = data.get("industry")
        if isinstance(industry, Unmatched):
            data["industry"] = None
            note = _("Industry as written in the imported file: %(value)s") % {"value": industry}
            notes = data.get("notes") or ""
            data["notes"] = f"{notes}\n{note}".strip() if note not in notes else notes
            warnings.append((row, self.column_label("industry"), str(industry),
                             _("Not in the national industrial classification (GB/T 4754): kept in the notes. "
                               "Choose its industry in the value mapping.")))
        return warnings

    def _custom_values(self, data: dict[str, Any], stored: dict[str, Any], kind: str,
                       problems: list[Problem]) -> dict[str, Any]:
        values = dict(stored)
        for name in self.custom_mapped:
            key = name[7:]
            value = data.get(name)
            if value is None:
                if self.clear_empty or key not in stored:
                    values.pop(key, None)
            else:
                values[key] = value
        for key, attribute in self._attributes.items():
            if attribute.applies_to and attribute.applies_to != kind:
                if f"custom:{key}" in self.mapped_names and data.get(f"custom:{key}") is not None:
                    problems.append((self.header_of[f"custom:{key}"], str(data[f"custom:{key}"]),
                                     _("This field does not apply to this kind of customer.")))
                continue
            if attribute.required and key not in values:
                problems.append((self.column_label(f"custom:{key}"), "",
                                 _("%(label)s is required.") % {"label": attribute.label}))
        return values

    def display_fields(self) -> list[str]:
        """Fields the preview shows that no column maps: the divisions found in the addresses."""
        return list(DIVISION_NAMES) if self.split_address else []


_CHOICE_LABELS: dict[str, Any] = {
    "kind": CustomerKind, "lifecycle_status": LifecycleStatus, "lifecycle_stage": LifecycleStage,
    "management_class": ManagementClass, "marketing_type": MarketingType, "brand_attitude": BrandAttitude,
    "relationship_stage": RelationshipStage, "gender": PersonProfile.Gender, "id_type": PersonProfile.IdType,
    "income_band": PersonProfile.IncomeBand, "education": PersonProfile.Education,
    "ownership_type": OrganisationProfile.Ownership, "business_status": OrganisationProfile.BusinessStatus,
}


@lru_cache(maxsize=65536)
def _compact_date(day: dt.date) -> str:
    """19900131 for 1990-01-31, as resident ID numbers write birth dates (birth dates repeat: cached)."""
    return day.strftime("%Y%m%d")


def _custom_parser(attribute: CustomAttribute) -> Any:
    def parse(raw: Any) -> Any:
        if attribute.type == CustomAttribute.Type.TEXT:
            raw = cell_text(raw)
        try:
            return attribute.clean_value(raw)
        except Exception as error:  # noqa: BLE001 - ValidationError carrying the model's message
            raise FieldError(from_validation_error(error) if isinstance(error, ValidationError)
                             else str(error)) from None

    return parse



def _owner_parser(parse: Parser) -> Parser:
    """An account manager not found is :class:`Unmatched` (a warning, the row is kept), not a failed row."""

    def parse_owner(raw: Any) -> Any:
        try:
            return parse(raw)
        except FieldError:
            return Unmatched(text_value(raw))

    return parse_owner


def _parse_industry(raw: Any) -> Any:
    """An industry as its GB/T 4754 code; text not recognised is :class:`Unmatched` (kept in the notes)."""
    text = text_value(raw)
    if not text:
        return ""
    if len(text) > 100 or "\x00" in text:
        raise FieldError(_("Longer than %(max)d characters.") % {"max": 100})
    return industries.match(text) or Unmatched(text)


def _parse_customer_since(raw: Any) -> dt.date | None:
    """When the customer relationship began (another CRM's creation time, a date and time or a date): 1900…today."""
    from kehu.core import validators

    day = parse_date(raw)
    if day is None:
        return None
    try:
        validators.validate_past_business_date(day)
    except ValidationError as error:
        raise FieldError(" ".join(error.messages)) from None
    return day
