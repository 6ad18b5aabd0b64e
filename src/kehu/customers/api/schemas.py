"""The customers API's schemas: output (personal data masked for everyone; the screen pop with the fields of the
registered panels) and input (unknown fields refused)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from kehu.api.errors import ErrorBody
from kehu.api.pagination import PageParams
from kehu.api.schemas import INT_MAX, BirthDate, BranchRef, FoundingDate, PastDate, PastDateTime, RowId, StaffRef
from kehu.core import industries
from kehu.core.masking import mask_address, mask_email, mask_id_number, mask_phone
from kehu.core.validators import TAG_LENGTH_MAX, TAGS_PER_CUSTOMER_MAX

from .. import selectors
from ..models import (
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
    PersonProfile,
    RelationshipStage,
)

Blank = Literal[""]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_LENGTH_MAX)]
RevealableField = Literal["mobile", "phone", "id_number", "email"]


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
