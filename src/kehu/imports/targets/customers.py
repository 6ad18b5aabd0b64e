"""Import of customers (persons and organisations with their profiles), upserted by a natural key.

A chunk of rows is handled with a fixed number of queries whatever its size: one to find the stored customers with
the chunk's keys (profiles joined), one for the codes the file brings, one for the actor's right to change them, one
for their tags when tags are imported; then the new customers, profiles, history records, lifecycle records and tag
links are inserted with ``COPY``/``executemany`` (see :mod:`kehu.imports.bulk`) and the changed ones updated in one
statement per table.

Rules (documented for users in the wizard and ``kehu import --help``):

- Only mapped columns are written; a stored field without a column in the file is left as it is.
- An empty cell leaves the stored value of a matched customer as it is (an empty ID number column never wipes stored
  ID numbers). With the option ``clear_empty`` (wizard: "Empty cells clear stored values"; ``kehu import
  --clear-empty``) it clears optional fields; the fields that cannot be empty (name, kind, branch, account manager,
  lifecycle status and stage, management class, relationship stage, ID type, business status) are kept even then. A
  new customer gets the default of a field whose cell is empty.
- A row whose name differs from the matched customer's renames it only with the option ``accept_name_changes``
  (wizard: the confirmation under the preview's list of name changes; ``kehu import --accept-name-changes``);
  otherwise the row is reported as a problem (and, all-or-nothing, the file is rejected).
- Customers outside the importing user's scope are never matched: their key reads as a key no customer has (a row
  for it creates a new customer in the user's branches, which the managers who see both find on the duplicates
  page; a code, unique company-wide, is "not available"). Likely-duplicate warnings only name customers the user
  may see.
- A new account manager of a stored customer is a transfer: it needs the transfer permission and is recorded as an
  ownership transfer with the reason "Import #N". Account managers and home branches named in the file must be in
  the user's scope (staff of their branches, their branches).
- The preview lists, for every updated customer, each changed field's stored and new value (phones, ID numbers and
  e-mail masked for users who may not see personal data).
- The key column must be filled in. A second row with a key already seen in the file is reported as a duplicate
  of the first and not stored (no silent merging of two rows).
- Without a kind column a row is an organisation when it has a credit code or its name names one (…有限公司, 集团,
  Co., Ltd., Inc.), else a person; the job option ``kind`` (``auto``, ``person``, ``organisation``; wizard: the mapping
  step; ``kehu import --kind``) makes every row without a kind of one kind. The kind of a stored customer is not
  changed by an import.
- Account managers are matched by user name, display name or staff number. One the file names but Kehu does not know
  does not fail the row: it is stored without that account manager (new customers: the importer when an account
  manager imports, else none) with a warning, and the wizard lists such names for the user to choose a staff member.
- Values of choice fields (level → management class, deal status → lifecycle status, industry, kind, account manager)
  go through the job's value mapping first (option ``values``: {field: {text in the file: value}}), which the wizard
  shows for confirmation and saves with the column mapping; then the labels and known spellings.
- An address without province, city and district columns is split into them (``kehu.core.divisions``): 广东省广州市
  天河区天河路385号 → 广东省 / 广州市 / 天河区 and 天河路385号, with their division codes; province, city and district
  columns get their codes looked up. An industry is stored as its GB/T 4754 code; one not recognised is kept in the
  notes with a warning. The code of a stored customer is not changed either: a different code in the
  file is reported.
- Without a code column (or with an empty code when the key is not the code) new customers get codes from the
  configured pattern.
- A row identical to what is stored is counted as unchanged and not written (no new version, no history record).
- Every created or changed customer and profile gets a history record (django-simple-history) whose change reason
  names the import job; new customers get their first lifecycle record like customers created in the UI.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kehu.core import divisions, industries
from kehu.core.bulkio import rows as bulk
from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.core.messages import from_validation_error
from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages
from kehu.core.pinyin import name_search_keys
from kehu.core.validators import resident_id_gender, validate_resident_id
from kehu.customers.models import (
    BrandAttitude,
    CustomAttribute,
    Customer,
    CustomerKind,
    LifecycleChange,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    MarketingType,
    OrganisationProfile,
    OwnershipTransfer,
    PersonProfile,
    RelationshipStage,
    Tag,
    relationship_stage_for_share,
)
from kehu.org.models import Branch, User

from ..aliases import CUSTOMER_HEADERS, GENERIC_PHONE_HEADERS, ORGANISATION_NAME_PATTERN
from ..fields import (
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
from ..readers import cell_text
from .base import ChunkOutcome, Prepared, Problem, RowOutcome, Target

CUSTOMER_COLUMNS = [field.column for field in Customer._meta.concrete_fields]
PERSON_COLUMNS = [field.column for field in PersonProfile._meta.concrete_fields]
ORGANISATION_COLUMNS = [field.column for field in OrganisationProfile._meta.concrete_fields]


def _history_columns(model: Any) -> list[str]:
    columns = [field.column for field in model.history.model._meta.concrete_fields if field.column != "history_id"]
    # the record's own columns first, simple-history's last (what _history relies on)
    assert columns[-4:] == ["history_date", "history_change_reason", "history_type", "history_user_id"], columns
    return columns


@lru_cache(maxsize=32)
def _cached_getter(columns: tuple[str, ...]) -> Any:
    getter = itemgetter(*columns)
    return getter if len(columns) > 1 else (lambda record: (getter(record),))


def _getter(columns: list[str]) -> Any:
    """A fast ``record -> tuple of these columns`` (operator.itemgetter)."""
    return _cached_getter(tuple(columns))


HISTORY_CUSTOMER_COLUMNS = _history_columns(Customer)
HISTORY_PERSON_COLUMNS = _history_columns(PersonProfile)
HISTORY_ORGANISATION_COLUMNS = _history_columns(OrganisationProfile)
LIFECYCLE_COLUMNS = ["customer_id", "field", "old_value", "new_value", "reason", "changed_at", "changed_by_id"]
TAG_LINK_COLUMNS = ["customer_id", "tag_id"]


def _defaults(model: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.has_default():
            default = field.get_default()
            values[field.column] = getattr(default, "value", default)
        elif field.null:
            values[field.column] = None
    return values


CUSTOMER_DEFAULTS = _defaults(Customer)
PERSON_DEFAULTS = _defaults(PersonProfile)
ORGANISATION_DEFAULTS = _defaults(OrganisationProfile)

PERSON_FIELDS = {"gender", "birth_date", "id_type", "id_number", "employer", "position", "income_band", "household",
                 "education", "preferences"}
ORGANISATION_FIELDS = {"credit_code", "ownership_type", "main_business", "staff_count", "annual_revenue",
                       "legal_representative", "founded_on", "other_banks_suppliers", "business_status"}
DIVISION_NAMES = ("province", "city", "district")
DIVISION_CODES = ("province_code", "city_code", "district_code")
# fields whose cell values the user maps onto Kehu's values (the wizard's value step, the option ``values``)
VALUE_MAPPED_FIELDS = ("kind", "management_class", "lifecycle_status", "lifecycle_stage", "industry", "owner")
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


@dataclass
class _Create:
    row: int
    customer: dict[str, Any]
    person: dict[str, Any] | None
    organisation: dict[str, Any] | None
    tags: tuple[str, ...]


@dataclass
class _Update:
    record_id: int
    changes: dict[str, Any]  # customer columns
    person: dict[str, Any] | None = None  # changed person columns (all of them when the profile is missing)
    organisation: dict[str, Any] | None = None
    tags: tuple[str, ...] | None = None
    # the owner changes: (from owner, to owner, from branch, to branch or None when the branch stays)
    transfer: tuple[int | None, int | None, int | None, int | None] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.changes and self.person is None and self.organisation is None and self.tags is None


class CustomerTarget(Target):
    """Customers with their person or organisation profile, tags and custom attributes."""

    name = "customers"
    keys = ("code", "mobile", "id_number", "credit_code")
    lookup_tables = ("customers_customer", "customers_personprofile", "customers_organisationprofile")
    defers_writes = True
    lookup_columns = {"customers_customer": ("id", "code", "mobile"),
                      "customers_personprofile": ("customer_id", "id_number"),
                      "customers_organisationprofile": ("customer_id", "credit_code")}

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
        self._setup_actor()  # before the field specs: the value mapping of account managers needs the scope
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

    def _setup_actor(self) -> None:
        from kehu.org.roles import Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        actor = self.actor
        from kehu.org.selectors import owner_list

        if actor is None:
            self.scope: set[int] | None = None
            self.may_add = self.may_change = self.may_transfer = True
            self.owner_by_default: int | None = None
            self.owner_scope: set[int] | None = None
            return
        read_only = user_is_read_only(actor)
        ids = branch_ids_in_scope(actor)
        self.scope = None if ids is None else set(ids)
        self.may_add = actor.has_perm("customers.add_customer") and not read_only
        self.may_change = actor.has_perm("customers.change_customer") and not read_only
        # changing the account manager of a stored customer is a transfer, as in the UI and the API
        self.may_transfer = self.may_change and actor.has_perm("customers.transfer_customer")
        self.owner_by_default = actor.pk if Role.ACCOUNT_MANAGER in user_roles(actor) else None
        # account managers named in the file must be staff of the importer's branches (as in the forms)
        self.owner_scope = None if ids is None else set(owner_list(user=actor).values_list("pk", flat=True))

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
            data[SEARCH_KEYS] = (kind, name_search_keys(name, is_person=kind == CustomerKind.PERSON))

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
    def _search_keys(data: dict[str, Any], name: str, kind: str) -> tuple[str, str]:
        prepared = data.get(SEARCH_KEYS)
        if prepared is not None and prepared[0] == kind:
            return prepared[1]
        return name_search_keys(name, is_person=kind == CustomerKind.PERSON)


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

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        outcome = ChunkOutcome()
        parsed: list[tuple[int, dict[str, Any], str]] = []
        first_in_chunk: dict[Any, int] = {}
        for row, data, problems in prepared:
            if not problems:
                key = data.get(self.key) or None
                if key is None:
                    problems.append((self.column_label(self.key), "",
                                     _("The key column (%(key)s) is empty.") % {"key": self.column_label(self.key)}))
                else:
                    first = self.seen.get(key) or first_in_chunk.get(key)
                    if first is not None:
                        problems.append(self.duplicate_problem(key, first))
                    else:
                        first_in_chunk[key] = row
            if problems:
                outcome.fail(row, problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))
                continue
            parsed.append((row, data, self.row_kind(data)))
        if parsed:
            self._apply(parsed, outcome, write=write, preview=preview, defer=defer)
        return outcome

    # -- the database part of a chunk ------------------------------------------------------------------------------
    def _select(self, fields: list[tuple[str, Any]], where: str, values: list[Any]) -> list[dict[str, Any]]:
        """Customers with profiles joined: ``fields`` are (alias, model field); keys are ``person__x`` etc."""
        quote = connection.ops.quote_name
        prefixes = {"c": "", "p": "person__", "o": "organisation__"}
        select = ", ".join(f"{alias}.{quote(field.column)}" for alias, field in fields)
        sql = (f"SELECT {select} FROM {quote(Customer._meta.db_table)} c "
               f"LEFT OUTER JOIN {quote(PersonProfile._meta.db_table)} p ON p.customer_id = c.id "
               f"LEFT OUTER JOIN {quote(OrganisationProfile._meta.db_table)} o ON o.customer_id = c.id WHERE")
        keys = [prefixes[alias] + field.column for alias, field in fields]
        return [dict(zip(keys, row, strict=True))
                for row in bulk.select_rows(sql, where, values, [field for _alias, field in fields])]

    def _existing(self, keys: list[Any]) -> tuple[dict[Any, dict[str, Any]], set[Any]]:
        """The stored customers with the chunk's keys: the columns the file maps and those needed to compare.

        Only customers the importing user may see are found: a key that only customers outside the user's scope
        have reads as a key no customer has (their existence is never revealed; see :attr:`_hidden_keys`).
        """
        columns = {"id", "version", "kind", "code", "name", "share_of_wallet", "relationship_stage", "owner_id",
                   "branch_id"}
        if self.custom_mapped:
            columns.add("custom_attributes")
        fields = _fields(Customer, "c", sorted(columns | {ATTNAME.get(name, name) for name in self.customer_mapped}))
        if self.person_mapped:
            fields += _fields(PersonProfile, "p", PERSON_COLUMNS)
        if self.organisation_mapped:
            fields += _fields(OrganisationProfile, "o", ORGANISATION_COLUMNS)
        alias, column = KEY_COLUMNS[self.key]
        model = {"c": Customer, "p": PersonProfile, "o": OrganisationProfile}[alias]
        fields.append((alias, model._meta.get_field(column)))
        key_name = {"c": "", "p": "person__", "o": "organisation__"}[alias] + column
        found: dict[Any, dict[str, Any]] = {}
        ambiguous: set[Any] = set()
        records = self._select(fields, f"{alias}.{connection.ops.quote_name(column)}", keys)
        self._hidden_keys = set()
        if self.actor is not None and records:
            visible = self._visible_ids([record["id"] for record in records])
            self._hidden_keys = {record[key_name] for record in records if record["id"] not in visible}
            records = [record for record in records if record["id"] in visible]
            self._hidden_keys -= {record[key_name] for record in records}
        for record in records:
            key = record[key_name]
            if key in found and found[key]["id"] != record["id"]:
                ambiguous.add(key)
            found[key] = record
        return found, ambiguous

    def _visible_ids(self, ids: list[int]) -> set[int]:
        """Those of these customers the importing user may see."""
        if self.actor is None or (self.scope is None and self.actor.has_perm("customers.view_customer")):
            return set(ids)  # the operator, administrators and auditors see every customer
        visible: set[int] = set()
        for start in range(0, len(ids), 5000):
            visible.update(Customer.objects.visible_to(self.actor).filter(pk__in=ids[start:start + 5000])
                           .values_list("pk", flat=True))
        return visible

    def _full_records(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Every column of these customers and their profiles (the snapshot history records keep)."""
        fields = (_fields(Customer, "c", CUSTOMER_COLUMNS) + _fields(PersonProfile, "p", PERSON_COLUMNS)
                  + _fields(OrganisationProfile, "o", ORGANISATION_COLUMNS))
        return {record["id"]: record for record in self._select(fields, "c.id", ids)}

    def _apply(self, parsed: list[tuple[int, dict[str, Any], str]], outcome: ChunkOutcome, *,
               write: bool, preview: bool, defer: bool = False) -> None:
        existing, ambiguous = self._existing([data[self.key] for _row, data, _kind in parsed])
        changeable: set[int] | None = None
        if self.actor is not None and existing:
            ids = [record["id"] for record in existing.values()]
            changeable = set(Customer.objects.visible_to(self.actor, "change").filter(pk__in=ids)
                             .values_list("pk", flat=True))
        codes_in_use: dict[str, int] = {}
        hidden_codes: set[str] = set()
        if "code" in self.mapped_names and self.key != "code":
            codes = [data["code"] for _row, data, _kind in parsed if data.get("code")]
            if codes:
                codes_in_use = dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))
                if self.actor is not None and codes_in_use:
                    visible = self._visible_ids(list(codes_in_use.values()))
                    hidden_codes = {code for code, pk in codes_in_use.items() if pk not in visible}
        current_tags: dict[int, tuple[str, ...]] = {}
        if "tags" in self.mapped_names and existing:
            names: dict[int, list[str]] = defaultdict(list)
            quote = connection.ops.quote_name
            sql = (f"SELECT t.customer_id, g.name FROM {quote(Customer.tags.through._meta.db_table)} t "
                   f"JOIN {quote(Tag._meta.db_table)} g ON g.id = t.tag_id WHERE")
            for customer_id, tag_name in bulk.select_rows(sql, "t.customer_id",
                                                          [record["id"] for record in existing.values()],
                                                          [None, None]):
                names[customer_id].append(tag_name)
            current_tags = {customer_id: tuple(sorted(values)) for customer_id, values in names.items()}

        creates: list[_Create] = []
        updates: list[_Update] = []
        for row, data, kind in parsed:
            key = data[self.key]
            problems: list[Problem] = []
            row_warnings = self._unmatched_values(row, data)
            record = existing.get(key)
            code = data.get("code") or ""
            if code and self.key != "code":
                owner_of_code = codes_in_use.get(code)
                first = self.seen_codes.get(code)
                if owner_of_code is not None and code in hidden_codes:
                    problems.append((self.header_of["code"], code, self._code_not_available(code)))
                elif owner_of_code is not None and (record is None or record["id"] != owner_of_code):
                    problems.append((self.header_of["code"], code,
                                     _("Another customer already has the code %(code)s.") % {"code": code}))
                elif first is not None:
                    problems.append((self.header_of["code"], code,
                                     _("Duplicate of row %(row)d: the same %(key)s appears twice in the file.")
                                     % {"row": first, "key": self.header_of["code"]}))
            if key in ambiguous:
                problems.append((self.column_label(self.key), str(key),
                                 _("Several stored customers have this %(key)s; import with another key.")
                                 % {"key": self.column_label(self.key)}))
            if problems:
                self._failed(outcome, row, data, problems, preview)
                continue
            if record is None:
                result = self._new(row, data, kind, problems)
                if result is not None and not problems and self.key == "code" and key in self._hidden_keys:
                    # codes are unique company-wide: the code of a customer the user may not see cannot be taken
                    problems.append((self.column_label("code"), str(key), self._code_not_available(str(key))))
                if problems or result is None:
                    self._failed(outcome, row, data, problems, preview)
                    continue
                creates.append(result)
                if preview:
                    outcome.rows.append(RowOutcome(row, "created", self._display(data, result.customer)))
            else:
                if changeable is not None and record["id"] not in changeable or not self.may_change:
                    problems.append((self.column_label(self.key), str(key),
                                     _("You may not change the customer with this %(key)s.")
                                     % {"key": self.column_label(self.key)}))
                    self._failed(outcome, row, data, problems, preview)
                    continue
                change = self._changed(record, data, kind, current_tags.get(record["id"], ()), problems)
                if problems or change is None:
                    self._failed(outcome, row, data, problems, preview)
                    continue
                if change.is_empty:
                    outcome.unchanged += 1
                    if preview:
                        outcome.rows.append(RowOutcome(row, "unchanged",
                                                       self._display(data, self._as_stored(record))))
                else:
                    diff = self._diff(record, change, current_tags.get(record["id"], ())) if preview else []
                    renamed = (record["name"], change.changes["name"]) if "name" in change.changes else None
                    if renamed is not None and not self.accept_name_changes:
                        problems.append((self.column_label("name"), renamed[1],
                                         _("The file renames this customer from “%(old)s” to “%(new)s”: confirm the "
                                           "name changes to rename it, or correct the name in the file.")
                                         % {"old": renamed[0], "new": renamed[1]}))
                        outcome.fail(row, problems)
                        if preview:
                            outcome.rows.append(RowOutcome(row, "failed",
                                                           self._display(data, self._as_stored(record, change)),
                                                           problems, diff, renamed))
                        continue
                    updates.append(change)
                    if preview:
                        outcome.rows.append(RowOutcome(row, "updated",
                                                       self._display(data, self._as_stored(record, change)),
                                                       changes=diff, renamed=renamed))
            if code and self.key != "code":
                self.seen_codes.setdefault(code, row)
            outcome.warnings.extend(row_warnings)
            if preview and row_warnings and outcome.rows and outcome.rows[-1].row == row:
                outcome.rows[-1].warnings = [(column, value, reason) for _row, column, value, reason in row_warnings]
        outcome.created += len(creates)
        outcome.updated += len(updates)
        if creates:
            self._warn_likely_duplicates(creates, outcome)
        if write and defer:
            outcome.pending = partial(self._write, creates, updates)
        elif write:
            self._write(creates, updates)
        failed_rows = {error[0] for error in outcome.errors}
        for row, data, _kind in parsed:
            if row not in failed_rows:
                self.seen.setdefault(data[self.key], row)

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

    @staticmethod
    def _code_not_available(code: str) -> str:
        """The code of a customer outside the user's scope: said as it would be of any code not to be had."""
        return _("The code %(code)s is not available for a new customer: choose another code.") % {"code": code}

    def _owner_out_of_scope(self, owner_id: int) -> Problem:
        return (self.column_label("owner"), self._owner_names.get(owner_id, ""),
                _("You may only give customers to staff of your own branches."))

    def _warn_likely_duplicates(self, creates: list[_Create], outcome: ChunkOutcome) -> None:
        """New rows whose mobile, ID number or credit code a stored customer already has: stored, with a warning.

        The detection is the customers app's (``customers.duplicates``): only customers the importer can see are
        named; one batched query per identifier over its index. The key itself never matches, or the row would be
        an update.
        """
        from kehu.customers.duplicates import customer_codes_by_identifier

        checks = [
            ("mobile", lambda create: create.customer.get("mobile")),
            ("id_number", lambda create: (create.person or {}).get("id_number")),
            ("credit_code", lambda create: (create.organisation or {}).get("credit_code")),
        ]
        for field_name, value_of in checks:
            if field_name == self.key or field_name not in self.mapped_names:
                continue
            values = {value_of(create): create for create in creates if value_of(create)}
            if not values:
                continue
            found = customer_codes_by_identifier(user=self.actor, criterion=field_name, values=list(values))
            label = self.column_label(field_name)
            for value, code in found.items():
                outcome.warnings.append((values[value].row, label, str(value),
                                         _("Looks like the stored customer %(code)s (same %(field)s): "
                                           "consider merging them.") % {"code": code, "field": label}))

    def _failed(self, outcome: ChunkOutcome, row: int, data: dict[str, Any], problems: list[Problem],
                preview: bool) -> None:
        outcome.fail(row, problems)
        if preview:
            outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))

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

    def _new(self, row: int, data: dict[str, Any], kind: str, problems: list[Problem]) -> _Create | None:
        if not self.may_add:
            problems.append((self.column_label(self.key), str(data.get(self.key, "")),
                             _("You may not create customers; this row matches no stored customer.")))
            return None
        kind = kind or CustomerKind.PERSON
        self._wrong_kind(kind, data, problems)
        customer = dict(CUSTOMER_DEFAULTS)
        for name in self.customer_mapped:
            value = data.get(name)
            if value is None and (name in KEEP_WHEN_BLANK or name in self.derived_only
                                  or CUSTOMER_DEFAULTS.get(name) is not None):
                continue
            customer[ATTNAME.get(name, name)] = value
        customer["kind"] = kind
        if not customer.get("name"):
            problems.append((self.column_label("name"), "", _("A name is required.")))
        if customer.get("branch_id") is None:
            customer["branch_id"] = self.default_branch_id
        if customer["branch_id"] is None:
            problems.append((self.column_label("branch"), "", _("A branch is required.")))
        elif self.scope is not None and customer["branch_id"] not in self.scope:
            problems.append((self.column_label("branch"), self._branch_names.get(customer["branch_id"], ""),
                             _("You may only put customers in your own branches.")))
        if customer.get("owner_id") is None:
            customer["owner_id"] = self.owner_by_default
        elif self.owner_scope is not None and customer["owner_id"] not in self.owner_scope:
            problems.append(self._owner_out_of_scope(customer["owner_id"]))
        customer["custom_attributes"] = self._custom_values(data, {}, kind, problems)
        if problems:
            return None
        if customer["share_of_wallet"] is not None:
            customer["relationship_stage"] = relationship_stage_for_share(float(customer["share_of_wallet"]))
        customer["name_pinyin"], customer["name_initials"] = self._search_keys(data, customer["name"], kind)
        customer["mobile_last4"] = customer["mobile"][-4:] if customer["mobile"] else ""
        customer["created_at"] = customer["updated_at"] = self.now
        customer["version"] = 1
        person = organisation = None
        if kind == CustomerKind.PERSON:
            person = dict(PERSON_DEFAULTS)
            for name in self.person_mapped:
                value = data.get(name)
                if value is None and name in KEEP_WHEN_BLANK:
                    continue
                person[name] = value
            _derive_from_id(person)
        else:
            organisation = dict(ORGANISATION_DEFAULTS)
            for name in self.organisation_mapped:
                value = data.get(name)
                if value is None and name in KEEP_WHEN_BLANK:
                    continue
                organisation[name] = value
        tags = data.get("tags", ()) if "tags" in self.mapped_names else ()
        return _Create(row, customer, person, organisation, tags)

    def _changed(self, record: dict[str, Any], data: dict[str, Any], kind: str, tags_now: tuple[str, ...],
                 problems: list[Problem]) -> _Update | None:
        """What the row changes in a stored customer (``record`` holds the columns :meth:`_existing` fetched)."""
        stored_kind = record["kind"]
        if kind and kind != stored_kind and "kind" in self.mapped_names and data.get("kind"):
            problems.append((self.header_of["kind"], str(data["kind"]),
                             _("An import cannot change a customer's kind.")))
        code = data.get("code")
        if code and code != record["code"]:
            problems.append((self.header_of["code"], code,
                             _("This customer's code is %(code)s; an import does not change codes.")
                             % {"code": record["code"]}))
        self._wrong_kind(stored_kind, data, problems)
        changes: dict[str, Any] = {}
        for name in self.customer_mapped:
            if name in {"code", "kind"}:
                continue
            value = data.get(name)
            column = ATTNAME.get(name, name)
            if value is None and (name in KEEP_WHEN_BLANK or name in self.derived_only
                                  or CUSTOMER_DEFAULTS.get(column) is not None):
                continue  # no value (a value not recognised): the stored one stays, even with clear_empty
            if self.keeps_stored(value):
                continue
            if name == "notes" and name in self.derived_only:
                # a note the import adds (an industry not recognised) goes after the stored notes
                stored_notes = record["notes"] or ""
                if value in stored_notes:
                    continue
                value = f"{stored_notes}\n{value}".strip()
            if record[column] != value:
                changes[column] = value
        if set(DIVISION_NAMES) & set(changes):
            # a division named anew: its codes follow it, "" when the name is not recognised
            for code_name in DIVISION_CODES:
                if code_name in data and record[code_name] != (data[code_name] or ""):
                    changes[code_name] = data[code_name] or ""
        if "name" in changes and not changes["name"]:
            problems.append((self.column_label("name"), "", _("A name is required.")))
        if "branch_id" in changes and self.scope is not None and changes["branch_id"] not in self.scope:
            problems.append((self.column_label("branch"), self._branch_names.get(changes["branch_id"], ""),
                             _("You may only put customers in your own branches.")))
        if "owner_id" in changes:
            if not self.may_transfer:
                problems.append((self.column_label("owner"), self._owner_names.get(changes["owner_id"], ""),
                                 _("Giving a customer to another account manager is a transfer: you do not have "
                                   "permission to transfer customers.")))
            elif self.owner_scope is not None and changes["owner_id"] not in self.owner_scope:
                problems.append(self._owner_out_of_scope(changes["owner_id"]))
        if self.custom_mapped:
            stored_custom = record["custom_attributes"] or {}
            custom = self._custom_values(data, stored_custom, stored_kind, problems)
            if custom != stored_custom:
                changes["custom_attributes"] = custom
        if problems:
            return None
        share = changes.get("share_of_wallet", record["share_of_wallet"])
        if share is not None:
            stage = relationship_stage_for_share(float(share))
            if stage != record["relationship_stage"]:
                changes["relationship_stage"] = stage
            else:
                changes.pop("relationship_stage", None)
        if "name" in changes:
            changes["name_pinyin"], changes["name_initials"] = self._search_keys(data, changes["name"], stored_kind)
        if "mobile" in changes:
            changes["mobile_last4"] = changes["mobile"][-4:] if changes["mobile"] else ""
        update = _Update(record_id=record["id"], changes=changes)
        if "owner_id" in changes:
            update.transfer = (record["owner_id"], changes["owner_id"], record["branch_id"],
                               changes.get("branch_id"))
        if stored_kind == CustomerKind.PERSON and self.person_mapped:
            update.person = self._profile_change(record, "person__", PERSON_DEFAULTS, self.person_mapped, data)
        elif stored_kind == CustomerKind.ORGANISATION and self.organisation_mapped:
            update.organisation = self._profile_change(record, "organisation__", ORGANISATION_DEFAULTS,
                                                       self.organisation_mapped, data)
        if "tags" in self.mapped_names and tuple(data.get("tags", ())) != tags_now \
                and not self.keeps_stored(tuple(data.get("tags", ()))):
            update.tags = tuple(data.get("tags", ()))
        return update

    def _profile_change(self, record: dict[str, Any], prefix: str, defaults: dict[str, Any], mapped: set[str],
                        data: dict[str, Any]) -> dict[str, Any] | None:
        """The profile columns the row changes (all of them when the customer has no profile yet), or None."""
        missing = record[f"{prefix}customer_id"] is None
        stored = dict(defaults) if missing else {column: record[prefix + column] for column in defaults}
        profile = dict(stored)
        for name in mapped:
            value = data.get(name)
            if value is None and name in KEEP_WHEN_BLANK:
                continue
            if not missing and self.keeps_stored(value):
                continue
            profile[name] = value
        if prefix == "person__":
            _derive_from_id(profile)
        if missing:
            return profile
        changes = {column: value for column, value in profile.items() if stored[column] != value}
        return changes or None

    # -- writing ---------------------------------------------------------------------------------------------------
    def _tag_ids(self, names: set[str]) -> dict[str, int]:
        missing = [name for name in names if name not in self.tag_ids]
        if missing:
            found = dict(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
            new = [name for name in missing if name not in found]
            if new:
                Tag.objects.bulk_create([Tag(name=name) for name in new], ignore_conflicts=True)
                found.update(Tag.objects.filter(name__in=new).values_list("name", "pk"))
            self.tag_ids.update(found)
        return self.tag_ids

    def _allocate_codes(self, creates: list[_Create]) -> None:
        from kehu.customers.services import customer_code_allocate

        groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for create in creates:
            if not create.customer.get("code"):
                groups[(create.customer["kind"], create.customer["branch_id"])].append(create.customer)
        branches = {branch.pk: branch for branch in self._branches}
        for (kind, branch_id), customers in groups.items():
            pending = customers
            while pending:
                codes = customer_code_allocate(kind=kind, branch=branches.get(branch_id), count=len(pending))
                taken = set(Customer.objects.filter(code__in=codes).values_list("code", flat=True))
                retry = []
                for customer, code in zip(pending, codes, strict=True):
                    if code in taken:
                        retry.append(customer)
                    else:
                        customer["code"] = code
                pending = retry

    def _history(self, record: dict[str, Any], columns: list[str], history_type: str) -> tuple[Any, ...]:
        """A history row (simple-history's columns: the record's, then date, reason, type and user)."""
        return _getter(columns[:-4])(record) + (self.now, self.reason, history_type,
                                               self.actor.pk if self.actor else None)

    def _write(self, creates: list[_Create], updates: list[_Update]) -> None:
        self._write_creates(creates)
        self._write_updates(updates)

    def _write_creates(self, creates: list[_Create]) -> None:
        if not creates:
            return
        self._allocate_codes(creates)
        ids = bulk.allocate_ids(Customer, len(creates))
        customers, people, organisations, history, person_history, organisation_history = [], [], [], [], [], []
        lifecycle, links = [], []
        tag_names = {name for create in creates for name in create.tags}
        tag_ids = self._tag_ids(tag_names) if tag_names else {}
        actor_id = self.actor.pk if self.actor else None
        status_field = LifecycleChange.Field.STATUS.value
        for create, pk in zip(creates, ids, strict=True):
            customer = create.customer
            customer["id"] = pk
            customers.append(_getter(CUSTOMER_COLUMNS)(customer))
            history.append(self._history(customer, HISTORY_CUSTOMER_COLUMNS, "+"))
            if create.person is not None:
                create.person["customer_id"] = pk
                people.append(_getter(PERSON_COLUMNS)(create.person))
                person_history.append(self._history(create.person, HISTORY_PERSON_COLUMNS, "+"))
            if create.organisation is not None:
                create.organisation["customer_id"] = pk
                organisations.append(_getter(ORGANISATION_COLUMNS)(create.organisation))
                organisation_history.append(self._history(create.organisation, HISTORY_ORGANISATION_COLUMNS, "+"))
            lifecycle.append((pk, status_field, "", customer["lifecycle_status"], self.reason, self.now, actor_id))
            for name in create.tags:
                links.append((pk, tag_ids[name]))
        bulk.insert_rows(Customer, CUSTOMER_COLUMNS, customers)
        bulk.insert_rows(PersonProfile, PERSON_COLUMNS, people)
        bulk.insert_rows(OrganisationProfile, ORGANISATION_COLUMNS, organisations)
        bulk.insert_rows(Customer.history.model, HISTORY_CUSTOMER_COLUMNS, history)
        bulk.insert_rows(PersonProfile.history.model, HISTORY_PERSON_COLUMNS, person_history)
        bulk.insert_rows(OrganisationProfile.history.model, HISTORY_ORGANISATION_COLUMNS, organisation_history)
        bulk.insert_rows(LifecycleChange, LIFECYCLE_COLUMNS, lifecycle)
        bulk.insert_rows(Customer.tags.through, TAG_LINK_COLUMNS, links)

    def _write_updates(self, updates: list[_Update]) -> None:
        """Apply the changes to the stored rows; every changed customer and profile gets a history record."""
        if not updates:
            return
        actor_id = self.actor.pk if self.actor else None
        records = self._full_records([update.record_id for update in updates])
        changed_columns = sorted({column for update in updates for column in update.changes})
        columns = [*changed_columns, "version", "updated_at"]
        customer_rows, history, lifecycle = [], [], []
        profile_updates: dict[Any, dict[frozenset[str], list[dict[str, Any]]]] = {
            PersonProfile: defaultdict(list), OrganisationProfile: defaultdict(list),
        }
        profile_inserts: dict[Any, list[dict[str, Any]]] = {PersonProfile: [], OrganisationProfile: []}
        profile_history: dict[Any, list[tuple[Any, ...]]] = {PersonProfile: [], OrganisationProfile: []}
        tag_changes: list[tuple[int, tuple[str, ...]]] = []
        for update in updates:
            record = records[update.record_id]
            pk = update.record_id
            customer = {column: record[column] for column in CUSTOMER_COLUMNS}
            customer.update(update.changes)
            customer["version"] = record["version"] + 1
            customer["updated_at"] = self.now
            customer_rows.append((*(customer[column] for column in columns), pk))
            history.append(self._history(customer, HISTORY_CUSTOMER_COLUMNS, "~"))
            for field, column in ((LifecycleChange.Field.STATUS, "lifecycle_status"),
                                  (LifecycleChange.Field.STAGE, "lifecycle_stage")):
                if column in update.changes:
                    lifecycle.append((pk, field.value, record[column], update.changes[column], self.reason, self.now,
                                      actor_id))
            for model, prefix, profile_columns, history_columns, changes in (
                (PersonProfile, "person__", PERSON_COLUMNS, HISTORY_PERSON_COLUMNS, update.person),
                (OrganisationProfile, "organisation__", ORGANISATION_COLUMNS, HISTORY_ORGANISATION_COLUMNS,
                 update.organisation),
            ):
                if changes is None:
                    continue
                if record[f"{prefix}customer_id"] is None:
                    profile = {**changes, "customer_id": pk}
                    profile_inserts[model].append(profile)
                    profile_history[model].append(self._history(profile, history_columns, "+"))
                else:
                    profile = {column: record[prefix + column] for column in profile_columns}
                    profile.update(changes)
                    profile_updates[model][frozenset(changes)].append(profile)
                    profile_history[model].append(self._history(profile, history_columns, "~"))
            if update.tags is not None:
                tag_changes.append((pk, update.tags))
        bulk.update_rows(Customer, columns, customer_rows)
        bulk.insert_rows(Customer.history.model, HISTORY_CUSTOMER_COLUMNS, history)
        for model in (PersonProfile, OrganisationProfile):
            profile_columns = PERSON_COLUMNS if model is PersonProfile else ORGANISATION_COLUMNS
            history_columns = HISTORY_PERSON_COLUMNS if model is PersonProfile else HISTORY_ORGANISATION_COLUMNS
            for changed, profiles in profile_updates[model].items():
                value_columns = sorted(changed)
                bulk.update_rows(model, value_columns, [(*(profile[column] for column in value_columns),
                                                         profile["customer_id"]) for profile in profiles])
            bulk.insert_rows(model, profile_columns, [tuple(profile[column] for column in profile_columns)
                                                      for profile in profile_inserts[model]])
            bulk.insert_rows(model.history.model, history_columns, profile_history[model])
        bulk.insert_rows(LifecycleChange, LIFECYCLE_COLUMNS, lifecycle)
        transfers = [update for update in updates if update.transfer is not None]
        if transfers:
            # an owner changed by import is a transfer, recorded as the transfer page records one
            batch = f"import-{self.job_id}" if self.job_id else uuid.uuid4().hex
            OwnershipTransfer.objects.bulk_create([
                OwnershipTransfer(customer_id=update.record_id, batch=batch, from_owner_id=update.transfer[0],
                                  to_owner_id=update.transfer[1], from_branch_id=update.transfer[2],
                                  to_branch_id=update.transfer[3], reason=self.reason, transferred_by_id=actor_id)
                for update in transfers if update.transfer is not None
            ], batch_size=1000)
        if tag_changes:
            tag_ids = self._tag_ids({name for _pk, tags in tag_changes for name in tags})
            Customer.tags.through.objects.filter(customer_id__in=[pk for pk, _tags in tag_changes]).delete()
            bulk.insert_rows(Customer.tags.through, TAG_LINK_COLUMNS,
                             [(pk, tag_ids[name]) for pk, tags in tag_changes for name in tags])

    # -- preview ---------------------------------------------------------------------------------------------------
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
    def _as_stored(record: dict[str, Any], update: _Update | None = None) -> dict[str, Any]:
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

    def _diff(self, record: dict[str, Any], update: _Update, tags_now: tuple[str, ...]) -> list[tuple[str, str, str]]:
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


def _derive_from_id(person: dict[str, Any]) -> None:
    """Birth date and gender from a resident ID number when they are empty, as ``PersonProfile.clean`` does."""
    number = person.get("id_number") or ""
    if len(number) == 18 and person.get("id_type") == PersonProfile.IdType.RESIDENT_ID:
        if not person.get("birth_date"):
            person["birth_date"] = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if not person.get("gender") and number[16].isdigit():
            person["gender"] = "male" if int(number[16]) % 2 else "female"


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
