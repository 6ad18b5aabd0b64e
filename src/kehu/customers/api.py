"""The customers API: list/search, create, read, update, contacts, consent, transfer, reveal and the phone lookup.

Each operation parses its input, calls a selector or a service and serialises. Scoping, permissions and validation
live in the selectors and services; personal data is masked here, in the schemas, except in ``/reveal``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from kehu.api.errors import COMMON_ERRORS, ErrorBody, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import INT_MAX, BirthDate, BranchRef, FoundingDate, PastDate, PastDateTime, RowId, StaffRef
from kehu.core import divisions, industries
from kehu.core.masking import mask_address, mask_email, mask_id_number, mask_phone
from kehu.core.validators import TAG_LENGTH_MAX, TAGS_PER_CUSTOMER_MAX
from kehu.org.models import Branch, User
from kehu.org.selectors import branch_list, owner_list

from . import selectors, services
from .models import (
    BrandAttitude,
    Consent,
    ConsentChannel,
    Contact,
    Customer,
    CustomerKind,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    MarketingType,
    OrganisationProfile,
    PersonalDataAccess,
    PersonProfile,
    RelationshipStage,
)

router = Router(tags=["customers"])

Blank = Literal[""]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_LENGTH_MAX)]
RevealableField = Literal["mobile", "phone", "id_number", "email"]

# service field names → the request body's names
CUSTOMER_FIELD_NAMES = {"branch": "branch_id", "owner": "owner_id"}
PROFILE_PREFIXES = {
    **{field: "person" for field in services.PERSON_FIELDS},
    # the organisation profile's free-text industry has no rule of its own: an ``industry`` error is the customer's
    **{field: "organisation" for field in services.ORGANISATION_FIELDS - services.CUSTOMER_FIELDS},
}


# ---------------------------------------------------------------------------------------------------- output schemas
class MaskedContactData(Schema):
    """Mobile, other phone and e-mail, masked for everyone (138****5678); ``/reveal`` gives the plain values."""

    mobile: str = Field(description="Masked, e.g. 138****5678.")
    phone: str = Field(description="Masked.")
    email: str = Field(description="Masked, e.g. z***@example.com.")

    @staticmethod
    def resolve_mobile(obj: Any) -> str:
        return mask_phone(obj.mobile)

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return mask_email(obj.email)


def _may_see_personal_data(context: Any) -> bool:
    request = (context or {}).get("request")
    return selectors.may_see_personal_data(getattr(request, "auth", None))


class PersonOut(Schema):
    gender: str
    birth_date: dt.date | None = Field(description="Null for roles without the personal-data permission (they get "
                                                   "`birth_year`).")
    birth_year: int | None = Field(description="The year of birth.")
    id_type: str
    id_number: str = Field(description="Masked, e.g. 1101**********1234.")
    employer: str
    position: str
    income_band: str
    household: str
    education: str
    preferences: str

    @staticmethod
    def resolve_id_number(obj: PersonProfile) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_birth_date(obj: PersonProfile, context: Any) -> dt.date | None:
        return obj.birth_date if _may_see_personal_data(context) else None

    @staticmethod
    def resolve_birth_year(obj: PersonProfile) -> int | None:
        return obj.birth_date.year if obj.birth_date else None


class OrganisationOut(Schema):
    credit_code: str
    ownership_type: str
    industry: str
    main_business: str
    staff_count: int | None
    annual_revenue: Decimal | None
    legal_representative: str
    founded_on: dt.date | None
    other_banks_suppliers: str
    business_status: str


def _tag_names(obj: Customer) -> list[str]:
    return [tag.name for tag in obj.tags.all()]


class CustomerHeadline(MaskedContactData):
    """Who a customer is, as lists and the screen pop show it."""

    id: int
    code: str
    kind: str
    name: str
    branch: BranchRef
    owner: StaffRef | None
    lifecycle_status: str
    lifecycle_stage: str
    management_class: str
    relationship_stage: str
    tier: str = Field(description="Tier under the primary tier scheme (set by the scoring runs); empty before one.")
    tier_label: str = Field(description="That tier's name in the request's language.")
    tags: list[str]

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        names = getattr(obj, "tag_names", None)  # loaded by selectors.customer_360_summary
        return _tag_names(obj) if names is None else names


class CustomerListItem(CustomerHeadline):
    version: int
    updated_at: dt.datetime


class CustomerOut(CustomerListItem):
    province: str
    city: str
    district: str
    province_code: str = Field(description="National administrative division code (GB/T 2260), e.g. 440000.")
    city_code: str = Field(description="e.g. 440100 (a municipality's city: 110100).")
    district_code: str = Field(description="e.g. 440106.")
    industry: str = Field(description="GB/T 4754-2017 section letter or two-digit division code.")
    industry_label: str = Field(description="The industry's name in the request's language.")
    source: str
    customer_since: dt.date | None
    address: str = Field(description="Street address; masked (****) for roles without the personal-data permission.")
    marketing_type: str
    brand_attitude: str
    share_of_wallet: Decimal | None
    custom_attributes: dict[str, Any]
    notes: str
    person: PersonOut | None = Field(description="Present for person customers.")
    organisation: OrganisationOut | None = Field(description="Present for organisation customers.")
    created_at: dt.datetime

    @staticmethod
    def resolve_industry_label(obj: Customer) -> str:
        return industries.name(obj.industry)

    @staticmethod
    def resolve_address(obj: Customer, context: Any) -> str:
        return obj.address if _may_see_personal_data(context) else mask_address(obj.address)

    @staticmethod
    def resolve_person(obj: Customer) -> PersonProfile | None:
        return getattr(obj, "person", None) if obj.kind == CustomerKind.PERSON else None

    @staticmethod
    def resolve_organisation(obj: Customer) -> OrganisationProfile | None:
        return getattr(obj, "organisation", None) if obj.kind == CustomerKind.ORGANISATION else None


class CustomerPage(Schema):
    count: int = Field(description=f"Matches, counted up to {settings.KEHU_LIST_COUNT_CAP:,} past `offset` "
                                   "(see `count_is_exact`).")
    count_is_exact: bool = Field(
        True, description=f"False when `count` is not exact: counting stops {settings.KEHU_LIST_COUNT_CAP:,} rows "
                          "past `offset` (or, on PostgreSQL, a broad filter over a very large table answers the "
                          "planner's estimate); page on with `offset` until a page has fewer than `limit` items."
    )
    items: list[CustomerListItem]


class ContactOut(MaskedContactData):
    id: int
    name: str
    role: str
    title: str
    is_primary: bool
    notes: str
    created_at: dt.datetime


class ContactPage(Schema):
    count: int
    items: list[ContactOut]


class ConsentOut(Schema):
    id: int
    channel: str
    granted: bool
    source: str
    purpose: str
    notice_version: str
    recorded_at: dt.datetime
    recorded_by: StaffRef | None


class ConsentsOut(Schema):
    current: dict[str, ConsentOut | None] = Field(
        description="The customer's current choice per channel (sms, email, phone, post); null if never recorded."
    )
    count: int = Field(description="Number of consent events in the history.")
    items: list[ConsentOut] = Field(description="The history, newest first (paginated).")


class TransferOut(Schema):
    transferred: int = Field(description="Customers moved; those already owned by the new owner are left alone.")


class RevealOut(Schema):
    customer_id: int
    values: dict[str, str] = Field(description="Unmasked values; this access is written to the access log.")


class CurrentConsentOut(Schema):
    granted: bool
    source: str
    recorded_at: dt.datetime


class CustomerSummaryOut(CustomerHeadline):
    id_number: str = Field(description="Masked ID number of a person customer; empty for organisations.")
    credit_code: str = Field(description="Unified social credit code of an organisation; empty for persons.")

    @staticmethod
    def resolve_id_number(obj: Customer) -> str:
        profile = getattr(obj, "person", None) if obj.kind == CustomerKind.PERSON else None
        return mask_id_number(profile.id_number) if profile else ""

    @staticmethod
    def resolve_credit_code(obj: Customer) -> str:
        profile = getattr(obj, "organisation", None) if obj.kind == CustomerKind.ORGANISATION else None
        return profile.credit_code if profile else ""


class Customer360Base(Schema):
    """The call-centre screen pop of one customer: who it is (with its tier), consents and contacts, and the fields
    of every registered panel with an API schema (purchases: ``purchases`` and ``recent_transactions``)."""

    customer: CustomerSummaryOut
    consents: dict[str, CurrentConsentOut | None] = Field(description="Current consent per channel.")
    primary_contacts: list[ContactOut]

    @staticmethod
    def resolve_consents(obj: selectors.Customer360Summary) -> dict[str, Consent | None]:
        return obj.current_consents


def _customer_360_schema() -> type[Schema]:
    """:class:`Customer360Base` with the fields of the registered panels' schemas (null where the user may not see
    the panel). Built when the API is first imported, after every app's ``ready()`` registered its panels."""
    from pydantic import create_model

    from kehu.core.registry import panel_list

    fields: dict[str, Any] = {}
    for panel in panel_list(screen_pop=True):
        for name, info in panel.schema.model_fields.items():  # type: ignore[union-attr]
            if name in fields or name in Customer360Base.model_fields:
                raise ImproperlyConfigured(f"panel {panel.key}: field {name!r} is already in the screen pop")
            description = (info.description or "") + f" (panel {panel.key}; null without {panel.permission or '—'})"
            fields[name] = (info.annotation | None, Field(None, description=description.strip()))
    return create_model("Customer360Out", __base__=Customer360Base, **fields)  # type: ignore[call-overload]


Customer360Out = _customer_360_schema()


class LookupOut(Schema):
    count: int
    items: list[Customer360Out]  # type: ignore[valid-type]


class DuplicateMatchOut(Schema):
    id: int
    code: str
    name: str
    reasons: list[Literal["mobile", "id_number", "credit_code", "name_birth_date"]]


class ConflictBody(ErrorBody):
    matches: list[DuplicateMatchOut] = Field(default_factory=list, description=(
        "With code \"duplicate\": the stored customers this one looks like, among those you can see (customers "
        "outside your scope are never listed nor hinted at)."))


class ConflictOut(Schema):
    """409: ``version_conflict`` (with ``current_version``) or ``duplicate`` (with ``matches``)."""

    error: ConflictBody


# ----------------------------------------------------------------------------------------------------- input schemas
class StrictSchema(Schema):
    """Input schemas refuse unknown fields (a misspelt field is a 422, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class PersonIn(StrictSchema):
    gender: PersonProfile.Gender | Blank = ""
    birth_date: BirthDate | None = Field(None, description="From 1900-01-01 up to today.")
    id_type: PersonProfile.IdType = PersonProfile.IdType.RESIDENT_ID
    id_number: str = Field("", description="Checked (check digit, birth date) for resident IDs.")
    employer: str = ""
    position: str = ""
    income_band: PersonProfile.IncomeBand | Blank = ""
    household: str = ""
    education: PersonProfile.Education | Blank = ""
    preferences: str = ""


class OrganisationIn(StrictSchema):
    credit_code: str = Field("", description="Unified social credit code, 18 characters with a check character.")
    ownership_type: OrganisationProfile.Ownership | Blank = ""
    industry: str = ""
    main_business: str = ""
    staff_count: int | None = Field(None, ge=0, le=INT_MAX)
    annual_revenue: Decimal | None = Field(None, max_digits=18, decimal_places=2)
    legal_representative: str = ""
    founded_on: FoundingDate | None = Field(None, description="From 1800-01-01 up to today.")
    other_banks_suppliers: str = ""
    business_status: OrganisationProfile.BusinessStatus = OrganisationProfile.BusinessStatus.OPERATING


class CustomerFieldsIn(StrictSchema):
    mobile: str = Field("", description="Mobile number; +86 is assumed without a country code.")
    phone: str = Field("", description="Other phone (landline or mobile).")
    email: str = ""
    province: str = Field("", max_length=32, description="Province by name (full or short); prefer province_code.")
    city: str = Field("", max_length=32)
    district: str = Field("", max_length=32)
    province_code: str = Field("", max_length=6, description=(
        "Administrative division codes (GET /api/customers/divisions): each within the level above; the names are "
        "filled from them. Unknown or inconsistent codes answer 422."))
    city_code: str = Field("", max_length=6)
    district_code: str = Field("", max_length=6)
    industry: str = Field("", max_length=3, description="GB/T 4754-2017 code (GET /api/customers/industries).")
    source: str = Field("", max_length=100, description="Where the customer came from.")
    customer_since: PastDate | None = Field(None, description="When the relationship began (1900-01-01…today).")
    address: str = ""
    owner_id: RowId | None = Field(None, description="Account manager (staff id); account managers own what they add.")
    lifecycle_status: LifecycleStatus = LifecycleStatus.PROSPECT
    lifecycle_stage: LifecycleStage = LifecycleStage.IDENTIFICATION
    management_class: ManagementClass = ManagementClass.REGULAR
    marketing_type: MarketingType | Blank = ""
    brand_attitude: BrandAttitude | Blank = ""
    share_of_wallet: Decimal | None = Field(None, max_digits=5, decimal_places=2,
                                            description="0–100; sets the relationship stage.")
    relationship_stage: RelationshipStage = RelationshipStage.DEVELOPMENT
    custom_attributes: dict[str, Any] = Field(default_factory=dict, description="Administrator-defined fields by key.")
    notes: str = ""
    tags: list[TagName] = Field(default_factory=list, max_length=TAGS_PER_CUSTOMER_MAX,
                                description=f"Tag names (at most {TAGS_PER_CUSTOMER_MAX}, each at most "
                                            f"{TAG_LENGTH_MAX} characters); unknown names are created.")
    person: PersonIn | None = None
    organisation: OrganisationIn | None = None
    allow_duplicate: bool = Field(False, description=(
        "Save even if the customer looks like stored ones (same mobile, ID number, credit code, or name and birth "
        "date). Without it such a request answers 409 with error.code \"duplicate\" and error.matches. On update "
        "only changed values are checked."))


class CustomerCreateIn(CustomerFieldsIn):
    kind: CustomerKind
    name: str
    branch_id: RowId = Field(description="Home branch (one of yours).")
    code: str = Field("", description="Leave empty to number from the configured pattern.")


class CustomerUpdateIn(CustomerFieldsIn):
    """Only the fields sent are changed. ``custom_attributes`` are merged (null removes a key); ``tags`` replace."""

    version: int = Field(ge=0, le=INT_MAX, description="The version you read; 409 if the customer changed since.")
    name: str = ""
    branch_id: RowId = 0  # used only when sent
    reason: str = Field("", description="Why (recorded with lifecycle changes and in the history).")
    transfer_reason: str = Field("", max_length=255, description=(
        "Why the account manager changes, when owner_id does: recorded with the transfer (default: reason, else "
        "“Changed through the API”). Changing the owner needs the transfer permission (403 otherwise)."))


class ContactIn(StrictSchema):
    name: str
    role: Contact.Role = Contact.Role.OTHER
    title: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False
    notes: str = ""


class ContactUpdateIn(ContactIn):
    """Only the fields sent are changed."""

    name: str = ""


class ConsentIn(StrictSchema):
    channel: ConsentChannel
    granted: bool
    source: Consent.Source = Consent.Source.OTHER
    purpose: str = ""
    notice_version: str = ""
    recorded_at: PastDateTime | None = Field(None, description="When the customer gave it (1900 up to now); default "
                                                               "now.")


class TransferIn(StrictSchema):
    customer_ids: list[RowId] = Field(min_length=1, max_length=5000)
    new_owner_id: RowId
    reason: str = ""
    new_branch_id: RowId | None = None


class RevealIn(StrictSchema):
    fields: list[RevealableField] = Field(default_factory=list, max_length=10, description="Empty: all of them.")
    reason: str = Field("", description="Required: why you need the plain values.")


class CustomerListParams(PageParams):
    q: str = Field("", description="Name, pinyin (zhangsan), initials (zs), code, phone or its last 4 digits, "
                                   "credit code.")
    kind: CustomerKind | None = None
    branch: RowId | None = Field(None, description="Branch id; includes the branches below it.")
    owner: RowId | None = Field(None, description="Account manager (staff id).")
    lifecycle_status: LifecycleStatus | None = None
    management_class: ManagementClass | None = None
    tag: RowId | None = Field(None, description="Tag id.")
    relationship_stage: RelationshipStage | None = None
    tier: str = Field("", description="Tier code under the primary tier scheme, e.g. A.")


# ------------------------------------------------------------------------------------------------------------ helpers
def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


def _choose(queryset: Any, pk: int | None, field: str) -> Any:
    """The row of a selector's queryset with this id, or a 422 naming ``field``."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [_("Select a valid choice. That choice is not one of the available choices.")]})
    return found


def _branch(pk: int | None, field: str) -> Branch | None:
    # any active branch; the services check that it is in the actor's scope
    return _choose(branch_list(), pk, field)


def _staff(actor: User, pk: int | None, field: str) -> User | None:
    return _choose(owner_list(user=actor), pk, field)


def _tags(names: list[str]) -> list[Any]:
    return [services.tag_get_or_create(name=name) for name in dict.fromkeys(names)]


def _check_profile_kind(kind: str, data: dict[str, Any]) -> None:
    if kind == CustomerKind.PERSON and data.get("organisation"):
        raise ValidationError({"organisation": [_("A person customer has no organisation profile.")]})
    if kind == CustomerKind.ORGANISATION and data.get("person"):
        raise ValidationError({"person": [_("An organisation customer has no person profile.")]})


def _customer(actor: User, customer_id: int) -> Customer:
    """A customer the actor may see; ``Customer.DoesNotExist`` (404) otherwise, also for other branches' customers."""
    return selectors.customer_get(user=actor, pk=customer_id)


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# a duplicate criterion → the request body's fields it compares
DUPLICATE_FIELDS = {"mobile": ["mobile"], "id_number": ["person.id_number"],
                    "credit_code": ["organisation.credit_code"], "name_birth_date": ["name", "person.birth_date"]}


def _duplicate_conflict(error: services.DuplicateCustomerError) -> Status[dict[str, Any]]:
    """409 ``duplicate``: the visible matches, and under each compared field the codes of the customers sharing it."""
    codes: dict[str, list[str]] = {}
    for match in error.matches:
        for reason in match.reasons:
            for name in DUPLICATE_FIELDS[reason]:
                codes.setdefault(name, []).append(match.customer.code)
    fields = {name: [_("Customer %(codes)s has the same value.") % {"codes": ", ".join(found)}]
              for name, found in codes.items()}
    message = _("This looks like a customer you already have: %(codes)s. Send \"allow_duplicate\": true to save it "
                "anyway.") % {"codes": ", ".join(match.customer.code for match in error.matches)}
    matches = [{"id": match.customer.pk, "code": match.customer.code, "name": match.customer.name,
                "reasons": list(match.reasons)} for match in error.matches]
    return Status(409, {"error": {"code": "duplicate", "message": message, "fields": fields, "matches": matches}})


# ---------------------------------------------------------------------------------------------------------- customers
@router.get("", response={200: CustomerPage, **COMMON_ERRORS}, url_name="customer_list",
            summary="List and search customers")
def list_customers(request: HttpRequest, params: Query[CustomerListParams]) -> dict[str, Any]:
    filters = selectors.CustomerFilters(
        query=params.q, kind=params.kind or "", branch=params.branch, owner=params.owner,
        lifecycle_status=params.lifecycle_status or "", management_class=params.management_class or "",
        tag=params.tag, relationship_stage=params.relationship_stage or "", tier=params.tier,
    )
    customers = selectors.customer_list(user=_actor(request), filters=filters).prefetch_related("tags")
    page = paginate(customers, params, capped=True, few_rows_order=selectors.customer_list_few)
    identifier = selectors.searched_identifier(params.q)
    if identifier and page["items"]:  # a find by a full phone or ID number is logged, as the phone lookup is
        services.personal_data_lookup_log(actor=_actor(request), customers=page["items"], fields=identifier,
                                          reason=gettext_noop("Search"), ip_address=_client_ip(request),
                                          action=PersonalDataAccess.Action.SEARCH)
    return page


@router.post("", response={201: CustomerOut, 409: ConflictOut, **COMMON_ERRORS}, url_name="customer_create",
             summary="Create a person or organisation customer (409 for a likely duplicate)")
def create_customer(request: HttpRequest, payload: CustomerCreateIn) -> Status[Any]:
    actor = _actor(request)
    data = payload.model_dump(exclude_unset=True)
    _check_profile_kind(payload.kind, data)
    branch = _branch(data.pop("branch_id"), "branch_id")
    owner = _staff(actor, data.pop("owner_id", None), "owner_id")
    tag_names = data.pop("tags", [])
    check_duplicates = not data.pop("allow_duplicate", False)
    try:
        with transaction.atomic(), renamed_fields(CUSTOMER_FIELD_NAMES, prefixes=PROFILE_PREFIXES):
            customer = services.customer_create(actor=actor, branch=branch, owner=owner,  # type: ignore[arg-type]
                                                tags=_tags(tag_names), check_duplicates=check_duplicates, **data)
    except services.DuplicateCustomerError as error:
        return _duplicate_conflict(error)
    return Status(201, _customer(actor, customer.pk))


@router.get("/lookup", response={200: LookupOut, **COMMON_ERRORS}, url_name="customer_lookup",
            summary="Call-centre screen pop: the 360 summary of the customers with this phone number")
def lookup_customers(request: HttpRequest, phone: str, params: Query[PageParams]) -> dict[str, Any]:
    """Matches the customer's mobile or other phone and contacts' mobiles. 404 when nobody matches; logged."""
    actor = _actor(request)
    try:
        customers = selectors.customer_lookup_by_phone(user=actor, phone=phone)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from None
    page = paginate(customers.order_by("-id"), params, count_in_page=True,
                    wrap=lambda rows: selectors.customer_360_summary(user=actor, customers=list(rows)))
    if not page["count"]:
        raise Http404(_("No customer has this phone number."))
    services.personal_data_lookup_log(
        actor=actor, customers=[summary.customer for summary in page["items"]], fields="phone",
        reason=gettext_noop("Phone lookup"), ip_address=_client_ip(request),
    )
    return page


class DivisionParams(Schema):
    parent: str = Field("", max_length=12, description="A province or city code; empty: the provinces.")


class DivisionOut(Schema):
    code: str
    name: str
    level: int = Field(description="1 province, 2 city, 3 district.")


class IndustryOut(Schema):
    code: str
    name: str
    section: str


@router.get("/divisions", response={200: list[DivisionOut], **COMMON_ERRORS}, url_name="division_list",
            summary="Administrative divisions: the provinces, or the children of a province or city")
def list_divisions(request: HttpRequest, params: Query[DivisionParams]) -> list[Any]:
    _actor(request)
    parent = params.parent
    if parent and divisions.get(parent) is None:
        raise Http404(_("Unknown administrative division code."))
    return [{"code": item.code, "name": item.name, "level": item.level} for item in divisions.children(parent)]


@router.get("/industries", response={200: list[IndustryOut], **COMMON_ERRORS}, url_name="industry_list",
            summary="The industrial classification GB/T 4754-2017: sections and divisions")
def list_industries(request: HttpRequest) -> list[dict[str, str]]:
    _actor(request)
    return [{"code": code, "name": industries.name(code), "section": industries.section_of(code)}
            for _group, options in industries.choices() for code, _label in options]


@router.post("/transfer", response={200: TransferOut, **COMMON_ERRORS}, url_name="customer_transfer",
             summary="Give customers to another account manager (one or many)")
def transfer_customers(request: HttpRequest, payload: TransferIn) -> dict[str, int]:
    actor = _actor(request)
    ids = list(dict.fromkeys(payload.customer_ids))
    customers = list(selectors.customer_list(user=actor).filter(pk__in=ids).select_related(None).only("pk"))
    missing = sorted(set(ids) - {customer.pk for customer in customers})
    if missing:
        raise Http404(_("Customers not found: %(ids)s.") % {"ids": ", ".join(str(pk) for pk in missing)})
    new_owner = _staff(actor, payload.new_owner_id, "new_owner_id")
    new_branch = _branch(payload.new_branch_id, "new_branch_id")
    with renamed_fields({"new_owner": "new_owner_id", "branch": "new_branch_id"}):
        moved = services.customer_transfer(customers=customers, new_owner=new_owner,  # type: ignore[arg-type]
                                           actor=actor, reason=payload.reason, new_branch=new_branch)
    return {"transferred": moved}


@router.get("/{customer_id}", response={200: CustomerOut, **COMMON_ERRORS}, url_name="customer_detail",
            summary="Read one customer")
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    return _customer(_actor(request), customer_id)


@router.patch("/{customer_id}", response={200: CustomerOut, 409: ConflictOut, **COMMON_ERRORS},
              url_name="customer_update", summary="Change a customer (optimistic concurrency with version; 409 for a "
                                                  "likely duplicate)")
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerUpdateIn) -> Any:
    actor = _actor(request)
    customer = _customer(actor, customer_id)
    data = payload.model_dump(exclude_unset=True)
    _check_profile_kind(customer.kind, data)
    version = data.pop("version")
    reason = data.pop("reason", "")
    transfer_reason = data.pop("transfer_reason", "") or reason or _("Changed through the API")
    if "branch_id" in data:
        data["branch"] = _branch(data.pop("branch_id"), "branch_id")
    if "owner_id" in data:
        data["owner"] = _staff(actor, data.pop("owner_id"), "owner_id")
    if "custom_attributes" in data:
        data["custom_attributes"] = {**customer.custom_attributes, **data["custom_attributes"]}
    check_duplicates = not data.pop("allow_duplicate", False)
    try:
        with transaction.atomic(), renamed_fields(CUSTOMER_FIELD_NAMES, prefixes=PROFILE_PREFIXES):
            tags = _tags(data.pop("tags")) if "tags" in data else None
            services.customer_update(customer=customer, actor=actor, expected_version=version, reason=reason,
                                     tags=tags, check_duplicates=check_duplicates,
                                     transfer_reason=transfer_reason, **data)
    except services.DuplicateCustomerError as error:
        return _duplicate_conflict(error)
    return _customer(actor, customer_id)


@router.post("/{customer_id}/reveal", response={200: RevealOut, **COMMON_ERRORS}, url_name="customer_reveal",
             summary="Reveal unmasked personal data (needs a reason; logged)")
def reveal_personal_data(request: HttpRequest, customer_id: int, payload: RevealIn) -> dict[str, Any]:
    actor = _actor(request)
    customer = _customer(actor, customer_id)
    values = services.personal_data_reveal(customer=customer, actor=actor, fields=payload.fields,
                                           reason=payload.reason, ip_address=_client_ip(request))
    return {"customer_id": customer.pk, "values": values}


# ----------------------------------------------------------------------------------------------------------- contacts
@router.get("/{customer_id}/contacts", response={200: ContactPage, **COMMON_ERRORS}, url_name="contact_list",
            summary="Contacts of a customer")
def list_contacts(request: HttpRequest, customer_id: int, params: Query[PageParams]) -> dict[str, Any]:
    customer = _customer(_actor(request), customer_id)
    return paginate(selectors.customer_contacts(customer=customer), params)


@router.post("/{customer_id}/contacts", response={201: ContactOut, **COMMON_ERRORS}, url_name="contact_create",
             summary="Add a contact")
def create_contact(request: HttpRequest, customer_id: int, payload: ContactIn) -> Status[Contact]:
    actor = _actor(request)
    customer = _customer(actor, customer_id)
    data = payload.model_dump()
    return Status(201, services.contact_create(customer=customer, actor=actor, **data))


@router.patch("/{customer_id}/contacts/{contact_id}", response={200: ContactOut, **COMMON_ERRORS},
              url_name="contact_update", summary="Change a contact")
def update_contact(request: HttpRequest, customer_id: int, contact_id: int, payload: ContactUpdateIn) -> Contact:
    actor = _actor(request)
    customer = _customer(actor, customer_id)
    contact = selectors.customer_contacts(customer=customer).get(pk=contact_id)
    contact.customer = customer
    return services.contact_update(contact=contact, actor=actor, **payload.model_dump(exclude_unset=True))


@router.delete("/{customer_id}/contacts/{contact_id}", response={204: None, **COMMON_ERRORS},
               url_name="contact_delete", summary="Remove a contact")
def delete_contact(request: HttpRequest, customer_id: int, contact_id: int) -> Status[None]:
    actor = _actor(request)
    customer = _customer(actor, customer_id)
    contact = selectors.customer_contacts(customer=customer).get(pk=contact_id)
    contact.customer = customer
    services.contact_delete(contact=contact, actor=actor)
    return Status(204, None)


# ------------------------------------------------------------------------------------------------------------ consent
@router.get("/{customer_id}/consents", response={200: ConsentsOut, **COMMON_ERRORS}, url_name="consent_list",
            summary="Current consent per channel and the history")
def list_consents(request: HttpRequest, customer_id: int, params: Query[PageParams]) -> dict[str, Any]:
    customer = _customer(_actor(request), customer_id)
    page = paginate(selectors.customer_consent_history(customer=customer), params)
    page["current"] = selectors.customer_current_consents(customer=customer)
    return page


@router.post("/{customer_id}/consents", response={201: ConsentOut, **COMMON_ERRORS}, url_name="consent_create",
             summary="Record a consent or its withdrawal for one channel")
def create_consent(request: HttpRequest, customer_id: int, payload: ConsentIn) -> Status[Consent]:
    actor = _actor(request)
    customer = _customer(actor, customer_id)
    data = payload.model_dump()
    return Status(201, services.consent_record(customer=customer, actor=actor, **data))


# ----------------------------------------------------------------------------------------------------------- timeline
class TimelineSubjectOut(Schema):
    type: str = Field(description='The recorded row\'s model, "app_label.model" (e.g. "purchases.transaction").')
    id: int | None = Field(description="Its id; null for rows written in bulk by an import (see data).")


class TimelineItemOut(Schema):
    kind: str = Field(description="A registered timeline kind: transaction, lifecycle, transfer, tier_change, alert, "
                                  "merge, and those later modules add.")
    occurred_at: dt.datetime
    actor: StaffRef | None
    title: str = Field(description="One line in the request's language.")
    data: dict[str, Any]
    subject: TimelineSubjectOut | None


class TimelinePage(Schema):
    count: int = Field(description="Rows of the whole timeline (not only those before the cursor).")
    items: list[TimelineItemOut]
    next_before: str | None = Field(None, description="Give it as `before` for the next (older) page; null on the "
                                                      "last page.")


class TimelineParams(PageParams):
    before: str | None = Field(None, max_length=40, description="A page's `next_before`: the rows after it, read along "
                                                                "the index (deep pages stay as fast as the first).")


@router.get("/{customer_id}/timeline", response={200: TimelinePage, **COMMON_ERRORS}, url_name="customer_timeline",
            summary="A customer's timeline, newest first (paginated with limit and offset)")
def customer_timeline(request: HttpRequest, customer_id: int, params: Query[TimelineParams]) -> dict[str, Any]:
    """Purchases, lifecycle changes, transfers, tier changes, alerts, merges, contacts, tasks and whatever later
    modules record (each item's `kind`). Pages by `limit`/`offset`, or by the keyset cursor `before` (a page's
    `next_before`). 404 for a customer the user may not see."""
    from .models import Activity
    from .timeline import (
        customer_activities,
        parse_timeline_cursor,
        timeline_cursor,
        timeline_items,
        visible_activities,
    )

    customer = _customer(_actor(request), customer_id)
    before = None
    if params.before:
        try:
            before = parse_timeline_cursor(params.before)
        except ValueError:
            raise ValidationError({"before": [_("Not a cursor this timeline gave.")]}) from None
    user = _actor(request)
    activities = customer_activities(customer=customer, before=before, user=user)
    rows = list(activities[params.offset : params.offset + params.limit + 1])
    more, rows = len(rows) > params.limit, rows[: params.limit]
    count = visible_activities(user, Activity.objects.filter(customer=customer)).count()
    return {"count": count, "items": timeline_items(rows),
            "next_before": timeline_cursor(rows[-1]) if more and rows else None}
