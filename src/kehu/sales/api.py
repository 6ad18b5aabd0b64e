"""The leads API: list, create (with the duplicate contract), read, change, status, contacts, claim, assign."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import BranchRef, PastDateTime, RowId, StaffRef
from kehu.core.masking import mask_email, mask_phone
from kehu.org.models import Branch, User
from kehu.org.selectors import branch_list, staff_list

from . import selectors, services
from .models import Answer, DisqualifyReason, Lead, LeadContact, LeadKind, LeadSource, LeadStatus, Timing

router = Router(tags=["leads"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class LeadProductRef(Schema):
    id: int
    sku: str
    name: str


class LeadOut(Schema):
    id: int
    kind: LeadKind
    name: str
    mobile: str = Field(description="E.164 (+8613800138000); masked (138****8000) unless you work the lead.")
    email: str
    company: str
    credit_code: str
    source: LeadSource
    campaign: str
    products: list[LeadProductRef]
    money: Answer
    authority: Answer
    need: Answer
    man_notes: str
    timing: Timing
    notes: str
    status: LeadStatus
    disqualify_reason: str
    owner: StaffRef | None = Field(description="None: in the branch's shared pool.")
    branch: BranchRef
    last_contact_at: dt.datetime | None
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_products(obj: Lead) -> list[Any]:
        return list(obj.products.all())

    @staticmethod
    def resolve_mobile(obj: Lead, context: Any) -> str:
        return obj.mobile if selectors.lead_works(user=context["request"].auth, lead=obj) else mask_phone(obj.mobile)

    @staticmethod
    def resolve_email(obj: Lead, context: Any) -> str:
        return obj.email if selectors.lead_works(user=context["request"].auth, lead=obj) else mask_email(obj.email)


class LeadPage(Schema):
    count: int
    items: list[LeadOut]


class LeadMatchOut(Schema):
    kind: Literal["customer", "lead"]
    id: int


class LeadDuplicateBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}
    matches: list[LeadMatchOut]


class LeadDuplicateOut(Schema):
    error: LeadDuplicateBody


class LeadAttachTo(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["customer", "lead"]
    id: RowId


class LeadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    mobile: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    kind: LeadKind = LeadKind.PERSON
    company: str = Field("", max_length=200)
    credit_code: str = Field("", max_length=40)
    source: LeadSource = LeadSource.PHONE
    campaign: str = Field("", max_length=100)
    product_ids: list[RowId] = Field(default_factory=list, max_length=50)
    money: Answer = Answer.UNKNOWN
    authority: Answer = Answer.UNKNOWN
    need: Answer = Answer.UNKNOWN
    man_notes: str = Field("", max_length=2000)
    timing: Timing = Timing.UNKNOWN
    notes: str = Field("", max_length=5000)
    province: str = Field("", max_length=40, description="Province by name (广东 or 广东省) or code: routes match it.")
    city: str = Field("", max_length=40, description="City by name or code: assignment routes match it.")
    owner_id: RowId | None = Field(None, description="Managers: assign to this member of staff.")
    branch_id: RowId | None = Field(None, description="Default: your first branch.")
    assign: Literal["", "auto"] = Field("", description='"auto": the branch\'s round-robin, even for a seller.')
    attach_to: LeadAttachTo | None = Field(None, description="Attach to this match (from a 409) instead of creating.")


class LeadAttachedOut(Schema):
    attached_to: LeadMatchOut
    lead: LeadOut | None


class LeadPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="The version you read (409 if it changed since).")
    name: str | None = Field(None, min_length=1, max_length=200)
    mobile: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    kind: LeadKind | None = None
    company: str | None = Field(None, max_length=200)
    credit_code: str | None = Field(None, max_length=40)
    source: LeadSource | None = None
    campaign: str | None = Field(None, max_length=100)
    product_ids: list[RowId] | None = Field(None, max_length=50)
    money: Answer | None = None
    authority: Answer | None = None
    need: Answer | None = None
    man_notes: str | None = Field(None, max_length=2000)
    timing: Timing | None = None
    notes: str | None = Field(None, max_length=5000)


class LeadStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: LeadStatus
    reason: DisqualifyReason | Literal[""] = ""
    note: str = Field("", max_length=1000)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class LeadContactIn(Schema):
    model_config = ConfigDict(extra="forbid")

    channel: LeadContact.Channel
    summary: str = Field(min_length=1, max_length=5000)
    occurred_at: PastDateTime | None = None
    next_step: str = Field("", max_length=200)
    next_step_due: dt.date | None = None


class LeadContactOut(Schema):
    id: int
    channel: str
    summary: str
    occurred_at: dt.datetime
    staff: StaffRef | None


class LeadAssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    owner_id: RowId | None = Field(description="None: back to the pool.")
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class LeadConflictBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class LeadConflictOut(Schema):
    error: LeadConflictBody


class LeadListParams(PageParams):
    q: str = Field("", max_length=100, description="Name or company (prefix), mobile digits, e-mail.")
    status: LeadStatus | None = None
    source: LeadSource | None = None
    owner_id: RowId | None = None
    pool: bool = Field(False, description="Only leads in the shared pool.")


def _duplicate(matches: list[selectors.LeadMatch]) -> Status[dict[str, Any]]:
    return Status(409, {"error": {
        "code": "duplicate", "fields": {},
        "message": _("This prospect is already known: attach to the match instead of creating a lead."),
        "matches": [{"kind": match.kind, "id": match.id} for match in matches]}})


def _conflict(error: services.LeadConflictError) -> Status[dict[str, Any]]:
    return Status(409, {"error": {"code": error.code, "message": str(error), "fields": {}}})


def _staff(actor: User, pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    from django.core.exceptions import ValidationError

    found = staff_list(user=actor).filter(pk=pk).first() or (actor if actor.pk == pk else None)
    if found is None:
        raise ValidationError({field: [_("Choose an active member of staff in your branches.")]})
    return found


def _lead(actor: User, pk: int) -> Lead:
    return selectors.lead_get(user=actor, pk=pk)


@router.get("", response={200: LeadPage, **COMMON_ERRORS}, url_name="lead_list",
            summary="List the leads you may see, newest first")
def list_leads(request: HttpRequest, params: Query[LeadListParams]) -> dict[str, Any]:
    leads = selectors.lead_list(user=_actor(request), q=params.q, status=params.status or "",
                                source=params.source or "", owner_id=params.owner_id, pool=params.pool)
    return paginate(leads.prefetch_related("products"), params)


@router.post("", response={201: LeadOut, 200: LeadAttachedOut, 409: LeadDuplicateOut | LeadConflictOut,
                           **COMMON_ERRORS},
             url_name="lead_create",
             summary="Create a lead (409 duplicate when the mobile, e-mail or credit code is known; attach_to then)")
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[Any]:
    from django.core.exceptions import ValidationError

    actor = _actor(request)
    matches = selectors.lead_matches(user=actor, name=payload.name, mobile=payload.mobile, email=payload.email,
                                     credit_code=payload.credit_code, company=payload.company)
    hard = [match for match in matches if match.hard]
    if payload.attach_to is not None:
        with renamed_fields({"products": "product_ids"}):
            try:
                target = services.lead_attach(
                    actor=actor, kind=payload.attach_to.kind, pk=payload.attach_to.id, matches=matches,
                    source=payload.source, campaign=payload.campaign, products=payload.product_ids,
                    notes=payload.notes, email=payload.email, company=payload.company, name=payload.name)
            except services.LeadConflictError as error:  # a pooled lead claimed meanwhile, or the claim cap
                return _conflict(error)
        lead = selectors.lead_get(user=actor, pk=target.pk) if isinstance(target, Lead) else None
        return Status(200, {"attached_to": {"kind": payload.attach_to.kind, "id": target.pk}, "lead": lead})
    if hard:
        return _duplicate(hard)
    branch: Branch | None = None
    if payload.branch_id is not None:
        branch = branch_list(user=actor).filter(pk=payload.branch_id).first()
        if branch is None:
            raise ValidationError({"branch_id": [_("Choose one of your branches.")]})
    owner = _staff(actor, payload.owner_id, "owner_id")
    try:
        with renamed_fields({"products": "product_ids", "owner": "owner_id", "branch": "branch_id"}):
            lead = services.lead_create(
                actor=actor, name=payload.name, mobile=payload.mobile, email=payload.email, kind=payload.kind,
                company=payload.company, credit_code=payload.credit_code, source=payload.source,
                campaign=payload.campaign, products=payload.product_ids, money=payload.money,
                authority=payload.authority, need=payload.need, man_notes=payload.man_notes, timing=payload.timing,
                notes=payload.notes, owner=owner, branch=branch, assign=payload.assign,
                duplicates="identifiers",  # a name and company alone warn in the form only
                province=payload.province, city=payload.city)
    except services.DuplicateLeadError as error:
        return _duplicate(error.matches)
    return Status(201, selectors.lead_get(user=actor, pk=lead.pk) if Lead.objects.visible_to(actor).filter(
        pk=lead.pk).exists() else lead)


@router.get("/{int:lead_id}", response={200: LeadOut, **COMMON_ERRORS}, url_name="lead_detail",
            summary="A lead (404 outside your scope)")
def get_lead(request: HttpRequest, lead_id: int) -> Lead:
    return _lead(_actor(request), lead_id)


@router.patch("/{int:lead_id}", response={200: LeadOut, 409: ErrorOut, **COMMON_ERRORS}, url_name="lead_update",
              summary="Change a lead (send the version you read: 409 version_conflict if it changed)")
def update_lead(request: HttpRequest, lead_id: int, payload: LeadPatch) -> Lead:
    actor = _actor(request)
    lead = _lead(actor, lead_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "product_ids"})
    changes = {name: value for name, value in changes.items() if value is not None}
    with renamed_fields({"products": "product_ids"}):
        services.lead_update(actor=actor, lead=lead, expected_version=payload.version,
                             products=payload.product_ids, **changes)
    return _lead(actor, lead_id)


@router.post("/{int:lead_id}/status", response={200: LeadOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="lead_status", summary="Move a lead: contacted, qualified, converted, disqualified (reason)")
def change_status(request: HttpRequest, lead_id: int, payload: LeadStatusIn) -> Lead:
    actor = _actor(request)
    services.lead_transition(actor=actor, lead=_lead(actor, lead_id), status=payload.status, reason=payload.reason,
                             note=payload.note, expected_version=payload.version)
    return _lead(actor, lead_id)


@router.post("/{int:lead_id}/contacts", response={201: LeadContactOut, **COMMON_ERRORS}, url_name="lead_contact",
             summary="Log a contact with a lead (a next step with a date: a follow-up task)")
def log_contact(request: HttpRequest, lead_id: int, payload: LeadContactIn) -> Status[LeadContact]:
    actor = _actor(request)
    contact = services.lead_contact_log(actor=actor, lead=_lead(actor, lead_id), channel=payload.channel,
                                        summary=payload.summary, occurred_at=payload.occurred_at,
                                        next_step=payload.next_step, next_step_due=payload.next_step_due)
    return Status(201, contact)


@router.post("/{int:lead_id}/claim", response={200: LeadOut, 409: LeadConflictOut, **COMMON_ERRORS},
             url_name="lead_claim", summary="Claim a lead from the pool (409 already_claimed or claim_cap)")
def claim_lead(request: HttpRequest, lead_id: int) -> Any:
    actor = _actor(request)
    try:
        services.lead_claim(actor=actor, lead=_lead(actor, lead_id))
    except services.LeadConflictError as error:
        return _conflict(error)
    return _lead(actor, lead_id)


@router.post("/{int:lead_id}/assign", response={200: LeadOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="lead_assign", summary="Managers: give a lead to someone, or back to the pool")
def assign_lead(request: HttpRequest, lead_id: int, payload: LeadAssignIn) -> Lead:
    actor = _actor(request)
    owner = _staff(actor, payload.owner_id, "owner_id")
    with renamed_fields({"owner": "owner_id"}):
        services.lead_assign(actor=actor, lead=_lead(actor, lead_id), owner=owner,
                             expected_version=payload.version)
    return _lead(actor, lead_id)


