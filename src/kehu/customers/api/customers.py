"""Customers: list and search, create, the call-centre phone lookup, divisions and industries, transfer, read, update
and reveal (``/api/customers``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Query, Schema, Status

from kehu.api.errors import COMMON_ERRORS, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.core import divisions, industries

from .. import selectors, services
from ..models import Customer, CustomerKind, PersonalDataAccess
from .common import branch_choice, client_ip, request_actor, router, staff_choice, visible_customer
from .schemas import (
    ConflictOut,
    CustomerCreateIn,
    CustomerListParams,
    CustomerOut,
    CustomerPage,
    CustomerUpdateIn,
    LookupOut,
    RevealIn,
    RevealOut,
    TransferIn,
    TransferOut,
)

# service field names → the request body's names
CUSTOMER_FIELD_NAMES = {"branch": "branch_id", "owner": "owner_id"}
PROFILE_PREFIXES = {
    **{field: "person" for field in services.PERSON_FIELDS},
    # the organisation profile's free-text industry has no rule of its own: an ``industry`` error is the customer's
    **{field: "organisation" for field in services.ORGANISATION_FIELDS - services.CUSTOMER_FIELDS},
}


def _tags_by_name(names: list[str]) -> list[Any]:
    return [services.tag_get_or_create(name=name) for name in dict.fromkeys(names)]


def _check_profile_kind(kind: str, data: dict[str, Any]) -> None:
    if kind == CustomerKind.PERSON and data.get("organisation"):
        raise ValidationError({"organisation": [_("A person customer has no organisation profile.")]})
    if kind == CustomerKind.ORGANISATION and data.get("person"):
        raise ValidationError({"person": [_("An organisation customer has no person profile.")]})


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


@router.get("", response={200: CustomerPage, **COMMON_ERRORS}, url_name="customer_list",
            summary="List and search customers")
def list_customers(request: HttpRequest, params: Query[CustomerListParams]) -> dict[str, Any]:
    filters = selectors.CustomerFilters(
        query=params.q, kind=params.kind or "", branch=params.branch, owner=params.owner,
        lifecycle_status=params.lifecycle_status or "", management_class=params.management_class or "",
        tag=params.tag, relationship_stage=params.relationship_stage or "", tier=params.tier,
    )
    customers = selectors.customer_list(user=request_actor(request), filters=filters).prefetch_related("tags")
    page = paginate(customers, params, capped=True, few_rows_order=selectors.customer_list_few)
    identifier = selectors.searched_identifier(params.q)
    if identifier and page["items"]:  # a find by a full phone or ID number is logged, as the phone lookup is
        services.personal_data_lookup_log(actor=request_actor(request), customers=page["items"], fields=identifier,
                                          reason=gettext_noop("Search"), ip_address=client_ip(request),
                                          action=PersonalDataAccess.Action.SEARCH)
    return page


@router.post("", response={201: CustomerOut, 409: ConflictOut, **COMMON_ERRORS}, url_name="customer_create",
             summary="Create a person or organisation customer (409 for a likely duplicate)")
def create_customer(request: HttpRequest, payload: CustomerCreateIn) -> Status[Any]:
    actor = request_actor(request)
    data = payload.model_dump(exclude_unset=True)
    _check_profile_kind(payload.kind, data)
    branch = branch_choice(data.pop("branch_id"), "branch_id")
    owner = staff_choice(actor, data.pop("owner_id", None), "owner_id")
    tag_names = data.pop("tags", [])
    check_duplicates = not data.pop("allow_duplicate", False)
    try:
        with transaction.atomic(), renamed_fields(CUSTOMER_FIELD_NAMES, prefixes=PROFILE_PREFIXES):
            customer = services.customer_create(actor=actor, branch=branch, owner=owner,  # type: ignore[arg-type]
                                                tags=_tags_by_name(tag_names), check_duplicates=check_duplicates,
                                                **data)
    except services.DuplicateCustomerError as error:
        return _duplicate_conflict(error)
    return Status(201, visible_customer(actor, customer.pk))


@router.get("/lookup", response={200: LookupOut, **COMMON_ERRORS}, url_name="customer_lookup",
            summary="Call-centre screen pop: the 360 summary of the customers with this phone number")
def lookup_customers(request: HttpRequest, phone: str, params: Query[PageParams]) -> dict[str, Any]:
    """Matches the customer's mobile or other phone and contacts' mobiles. 404 when nobody matches; logged."""
    actor = request_actor(request)
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
        reason=gettext_noop("Phone lookup"), ip_address=client_ip(request),
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
    request_actor(request)
    parent = params.parent
    if parent and divisions.get(parent) is None:
        raise Http404(_("Unknown administrative division code."))
    return [{"code": item.code, "name": item.name, "level": item.level} for item in divisions.children(parent)]


@router.get("/industries", response={200: list[IndustryOut], **COMMON_ERRORS}, url_name="industry_list",
            summary="The industrial classification GB/T 4754-2017: sections and divisions")
def list_industries(request: HttpRequest) -> list[dict[str, str]]:
    request_actor(request)
    return [{"code": code, "name": industries.name(code), "section": industries.section_of(code)}
            for _group, options in industries.choices() for code, _label in options]


@router.post("/transfer", response={200: TransferOut, **COMMON_ERRORS}, url_name="customer_transfer",
             summary="Give customers to another account manager (one or many)")
def transfer_customers(request: HttpRequest, payload: TransferIn) -> dict[str, int]:
    actor = request_actor(request)
    ids = list(dict.fromkeys(payload.customer_ids))
    customers = list(selectors.customer_list(user=actor).filter(pk__in=ids).select_related(None).only("pk"))
    missing = sorted(set(ids) - {customer.pk for customer in customers})
    if missing:
        raise Http404(_("Customers not found: %(ids)s.") % {"ids": ", ".join(str(pk) for pk in missing)})
    new_owner = staff_choice(actor, payload.new_owner_id, "new_owner_id")
    new_branch = branch_choice(payload.new_branch_id, "new_branch_id")
    with renamed_fields({"new_owner": "new_owner_id", "branch": "new_branch_id"}):
        moved = services.customer_transfer(customers=customers, new_owner=new_owner,  # type: ignore[arg-type]
                                           actor=actor, reason=payload.reason, new_branch=new_branch)
    return {"transferred": moved}


@router.get("/{customer_id}", response={200: CustomerOut, **COMMON_ERRORS}, url_name="customer_detail",
            summary="Read one customer")
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    return visible_customer(request_actor(request), customer_id)


@router.patch("/{customer_id}", response={200: CustomerOut, 409: ConflictOut, **COMMON_ERRORS},
              url_name="customer_update", summary="Change a customer (optimistic concurrency with version; 409 for a "
                                                  "likely duplicate)")
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerUpdateIn) -> Any:
    actor = request_actor(request)
    customer = visible_customer(actor, customer_id)
    data = payload.model_dump(exclude_unset=True)
    _check_profile_kind(customer.kind, data)
    version = data.pop("version")
    reason = data.pop("reason", "")
    transfer_reason = data.pop("transfer_reason", "") or reason or _("Changed through the API")
    if "branch_id" in data:
        data["branch"] = branch_choice(data.pop("branch_id"), "branch_id")
    if "owner_id" in data:
        data["owner"] = staff_choice(actor, data.pop("owner_id"), "owner_id")
    if "custom_attributes" in data:
        data["custom_attributes"] = {**customer.custom_attributes, **data["custom_attributes"]}
    check_duplicates = not data.pop("allow_duplicate", False)
    try:
        with transaction.atomic(), renamed_fields(CUSTOMER_FIELD_NAMES, prefixes=PROFILE_PREFIXES):
            tags = _tags_by_name(data.pop("tags")) if "tags" in data else None
            services.customer_update(customer=customer, actor=actor, expected_version=version, reason=reason,
                                     tags=tags, check_duplicates=check_duplicates,
                                     transfer_reason=transfer_reason, **data)
    except services.DuplicateCustomerError as error:
        return _duplicate_conflict(error)
    return visible_customer(actor, customer_id)


@router.post("/{customer_id}/reveal", response={200: RevealOut, **COMMON_ERRORS}, url_name="customer_reveal",
             summary="Reveal unmasked personal data (needs a reason; logged)")
def reveal_personal_data(request: HttpRequest, customer_id: int, payload: RevealIn) -> dict[str, Any]:
    actor = request_actor(request)
    customer = visible_customer(actor, customer_id)
    values = services.personal_data_reveal(customer=customer, actor=actor, fields=payload.fields,
                                           reason=payload.reason, ip_address=client_ip(request))
    return {"customer_id": customer.pk, "values": values}
