"""The conversion API: a lead's customer matches, converting a lead (``POST /api/leads/{id}/convert``) and a won
opportunity's onboarding (read, and retry: ``POST /api/opportunities/{id}/onboarding``, idempotent).

Two routers, mounted in ``kehu/api/api.py`` beside the leads and opportunities routers under the same prefixes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut
from kehu.api.schemas import RowId
from kehu.org.models import User

from .. import selectors as lead_selectors
from ..models import LeadConversion, Onboarding, OpportunityStatus
from ..opportunities import selectors as opportunity_selectors
from . import selectors, services

leads_router = Router(tags=["leads"])
opportunities_router = Router(tags=["opportunities"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class CustomerMatchOut(Schema):
    kind: Literal["customer"]
    id: int
    reasons: list[str] = Field(description="mobile, email, credit_code, name_company")
    visible: bool = Field(description="False: outside your scope (kind and id only).")
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.label


class ConvertIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="The lead's version you read (409 if it changed since).")
    customer_id: RowId | None = Field(None, description="Link the lead to this customer (one you can see).")
    create: bool = Field(False, description="Create a new customer from the lead instead.")
    create_anyway: bool = Field(False, description="Create even though customers share the lead's mobile, e-mail "
                                                   "or credit code (otherwise 409 duplicate).")


class ConversionOut(Schema):
    lead_id: int
    customer_id: int
    created: bool = Field(description="True: a new customer was created; false: linked to an existing one.")
    converted_at: dt.datetime
    contacts_copied: int
    tasks_moved: int
    opportunities_moved: int
    timeline_rows_copied: int

    @staticmethod
    def resolve_contacts_copied(obj: LeadConversion) -> int:
        return len(obj.contact_ids)

    @staticmethod
    def resolve_tasks_moved(obj: LeadConversion) -> int:
        return len(obj.task_ids)

    @staticmethod
    def resolve_opportunities_moved(obj: LeadConversion) -> int:
        return len(obj.opportunity_ids)

    @staticmethod
    def resolve_timeline_rows_copied(obj: LeadConversion) -> int:
        return obj.events_copied


class RefusalMatch(Schema):
    kind: Literal["customer", "lead"]
    id: int


class RefusalBody(Schema):
    code: str = Field(description="already_converted, disqualified, duplicate (409); not_yours, "
                                  "customer_not_yours (403).")
    message: str
    fields: dict[str, list[str]] = {}
    matches: list[RefusalMatch] = []


class RefusalOut(Schema):
    error: RefusalBody


class OnboardingOut(Schema):
    opportunity_id: int
    customer_id: int
    started_at: dt.datetime
    transaction_ids: list[int]
    task_ids: list[int]
    notified: int


def _refusal(error: services.ConversionRefused) -> Status[dict[str, Any]]:
    return Status(error.status, {"error": {
        "code": error.code, "message": str(error), "fields": {},
        "matches": [{"kind": match.kind, "id": match.id} for match in error.matches]}})


@leads_router.get("/{int:lead_id}/customer-matches", response={200: list[CustomerMatchOut], **COMMON_ERRORS},
                  url_name="lead_customer_matches",
                  summary="Customers the lead matches (mobile, e-mail, credit code, name and company)")
def customer_matches(request: HttpRequest, lead_id: int) -> list[Any]:
    lead = lead_selectors.lead_get(user=_actor(request), pk=lead_id)
    return selectors.customer_matches(user=_actor(request), lead=lead)


@leads_router.post("/{int:lead_id}/convert",
                   response={200: ConversionOut, 409: RefusalOut | ErrorOut, 403: RefusalOut | ErrorOut,
                             **{k: v for k, v in COMMON_ERRORS.items() if k != 403}},
                   url_name="lead_convert",
                   summary="Convert a lead: link it to a customer or create one; its contacts, tasks, opportunities "
                           "and history move (409 already_converted, disqualified, duplicate, version_conflict; "
                           "403 not_yours)")
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn) -> Any:
    try:
        return services.lead_convert(actor=_actor(request), lead=lead_id, expected_version=payload.version,
                                     customer=payload.customer_id, create=payload.create,
                                     create_anyway=payload.create_anyway)
    except services.ConversionRefused as error:
        return _refusal(error)


@opportunities_router.get("/{int:opportunity_id}/onboarding", response={200: OnboardingOut, **COMMON_ERRORS},
                          url_name="opportunity_onboarding",
                          summary="A won opportunity's onboarding: its transactions and tasks (404 when none)")
def get_onboarding(request: HttpRequest, opportunity_id: int) -> Onboarding:
    opportunity = opportunity_selectors.opportunity_get(user=_actor(request), pk=opportunity_id)
    onboarding = selectors.opportunity_onboarding(opportunity=opportunity)
    if onboarding is None:
        raise Onboarding.DoesNotExist
    return onboarding


@opportunities_router.post("/{int:opportunity_id}/onboarding",
                           response={200: OnboardingOut, 409: RefusalOut, **COMMON_ERRORS},
                           url_name="opportunity_onboard",
                           summary="Record the sale and start the onboarding of a won opportunity (idempotent: a "
                                   "retry returns what was done; 409 not_won, no_customer)")
def onboard(request: HttpRequest, opportunity_id: int) -> Any:
    actor = _actor(request)
    opportunity = opportunity_selectors.opportunity_get(user=actor, pk=opportunity_id)
    if not opportunity_selectors.may_change(user=actor, opportunity=opportunity):
        raise PermissionDenied(_("You may not change this opportunity."))
    if opportunity.status != OpportunityStatus.WON:
        return _refusal(services.ConversionRefused("not_won", _("Only a won opportunity is onboarded.")))
    if opportunity.customer_id is None:
        return _refusal(services.ConversionRefused(
            "no_customer", _("The opportunity belongs to a lead: convert the lead to record the sale.")))
    return services.opportunity_onboard(actor=actor, opportunity=opportunity.pk)
