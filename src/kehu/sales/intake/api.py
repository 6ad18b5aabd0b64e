"""The web intake API: ``GET /api/intake/form`` (what to show: title, fields' products, the consent text and its
version) and ``POST /api/intake/leads`` (a visitor's submission). Public: no staff token; the form's public key in
the ``X-Intake-Key`` header identifies the site. A call from a browser (``Origin`` sent) must come from one of the
form's allowed origins (else 403 ``origin_not_allowed``), and gets ``Access-Control-Allow-Origin`` for it; server
to server calls send no Origin. An unknown or inactive key answers 401 ``invalid_key``. Submissions count against
``KEHU_INTAKE_RATE`` per client address with the public page (429 ``throttled``).

The answer to a valid submission is always 202 ``{"received": true}``: whether the prospect was already known is
never told (it is filed for the owner to see)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kehu.api.errors import ErrorOut, fields_from_django
from kehu.core.net import client_address

from ..models import IntakeForm, IntakeSubmission, consent_version
from . import services
from .views import throttle

router = Router(tags=["intake"])


class IntakeProductOut(Schema):
    id: int
    name: str


class IntakeFormOut(Schema):
    title: str
    intro: str
    consent_text: str = Field(description="Show it as it is beside the consent box; send it back with the lead.")
    consent_version: str
    products: list[IntakeProductOut]


class IntakeLeadIn(Schema):
    name: str = Field(max_length=200)
    mobile: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    company: str = Field("", max_length=200)
    province: str = Field("", max_length=40)
    city: str = Field("", max_length=40)
    message: str = Field("", max_length=2000)
    products: list[int] = Field(default_factory=list, max_length=50)
    consent: bool = Field(description="The visitor ticked the consent box.")
    consent_text: str = Field(max_length=4000, description="The consent text shown (the form's current one).")
    language: str = Field("", max_length=10)


class ReceivedOut(Schema):
    received: bool


def _error(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> Status:
    return Status(status, {"error": {"code": code, "message": message, "fields": fields or {}}})


def _form(request: HttpRequest) -> tuple[IntakeForm | None, Status | None]:
    intake = services.form_for_key(request.headers.get("X-Intake-Key"))
    if intake is None:
        return None, _error(401, "invalid_key", _("The intake key is missing or unknown."))
    origin = request.headers.get("Origin")
    if origin and not services.origin_allowed(intake, origin):
        return None, _error(403, "origin_not_allowed", _("This site may not send leads to this form."))
    return intake, None


def _cors(request: HttpRequest, response: HttpResponse) -> None:
    """An allowed browser origin may read the answer (checked by ``_form`` before)."""
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin.rstrip("/")
        response.headers["Vary"] = "Origin"


@router.get("/form", auth=None, url_name="intake_form_read",
            response={200: IntakeFormOut, 401: ErrorOut, 403: ErrorOut})
def form_read(request: HttpRequest, response: HttpResponse) -> Any:
    """The form to show: its title, introduction, products offered and the consent text with its version."""
    intake, problem = _form(request)
    if problem is not None:
        return problem
    assert intake is not None
    _cors(request, response)
    return {"title": intake.title or intake.name, "intro": intake.intro, "consent_text": intake.consent_text,
            "consent_version": consent_version(intake.consent_text),
            "products": list(intake.products.filter(is_active=True).order_by("name"))}


@router.post("/leads", auth=None, url_name="intake_leads",
             response={202: ReceivedOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut})
def lead_submit(request: HttpRequest, response: HttpResponse, payload: IntakeLeadIn) -> Any:
    """A visitor's details from the site's own form: filed as a new lead (source ``web_form``, assigned by the
    rules) or added to the lead or customer it matches. 202 either way; 422 with the fields' problems."""
    intake, problem = _form(request)
    if problem is not None:
        return problem
    assert intake is not None
    _cors(request, response)
    if not throttle.allow_request(request):
        response.headers["Retry-After"] = str(int(throttle.wait_seconds()))
        return _error(429, "throttled", _("Too many attempts. Please try again in a minute."))
    prospect = services.Prospect(**payload.dict())
    try:
        services.intake_submit(form=intake, prospect=prospect, channel=IntakeSubmission.Channel.API,
                               address=client_address(request))
    except ValidationError as error:
        fields = fields_from_django(error)
        return _error(422, "validation_error", " ".join(message for messages in fields.values()
                                                          for message in messages), fields)
    return Status(202, {"received": True})
