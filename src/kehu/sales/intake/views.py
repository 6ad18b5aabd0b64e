"""Web intake pages: the public lead form ``/sales/intake/<key>/`` (no login; embeddable by the form's allowed
origins; CSRF-protected; rate-limited per client address; a honeypot) and the staff overview ``/sales/intake/``.

Framing: the site refuses to be framed (``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``); this page
alone is exempt from X-Frame-Options and sends ``frame-ancestors`` with the form's allowed origins (none: still
``'none'``). CSRF: Django's middleware checks the token as everywhere. Inside a cross-site iframe the browser does
not send a ``SameSite=Lax`` cookie, so on this page, over HTTPS and for a form with allowed origins, the CSRF cookie
is set ``SameSite=None; Secure``; the token in the form is still required and unknown to other sites. A browser that
blocks third-party cookies altogether answers 403 inside the iframe: the page then has to be linked, not framed
(docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from kehu.api.throttling import AddressRateThrottle
from kehu.core.net import client_address
from kehu.org.selectors import branch_ids_in_scope

from ..models import IntakeForm, IntakeSubmission, consent_version
from . import services
from .forms import PublicLeadForm


class IntakeRateThrottle(AddressRateThrottle):
    """Submissions per client address (``KEHU_INTAKE_RATE``), the page's and the API's together."""

    scope = "intake"
    setting_name = "KEHU_INTAKE_RATE"


throttle = IntakeRateThrottle()


def _language(request: HttpRequest) -> str:
    wanted = (request.GET.get("lang") or "").lower()[:10]
    if wanted in {code.lower() for code, _name in settings.LANGUAGES}:
        return wanted
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def frame_headers(response: HttpResponse, intake: IntakeForm) -> None:
    """Let the form's allowed origins (only) frame this response."""
    origins = intake.origins
    response._csp_replace = {"frame-ancestors": origins or ["'none'"]}  # type: ignore[attr-defined]
    if origins:
        response.xframe_options_exempt = True  # type: ignore[attr-defined]


def _cross_site_csrf_cookie(request: HttpRequest, response: HttpResponse, intake: IntakeForm) -> None:
    if not (intake.origins and request.is_secure() and request.META.get("CSRF_COOKIE_NEEDS_UPDATE")):
        return
    response.set_cookie(settings.CSRF_COOKIE_NAME, request.META["CSRF_COOKIE"], max_age=settings.CSRF_COOKIE_AGE,
                        domain=settings.CSRF_COOKIE_DOMAIN, path=settings.CSRF_COOKIE_PATH, secure=True,
                        httponly=settings.CSRF_COOKIE_HTTPONLY, samesite="None")
    patch_vary_headers(response, ("Cookie",))
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False  # the middleware would set it again as SameSite=Lax


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def intake_page(request: HttpRequest, key: str) -> HttpResponse:
    intake = services.form_for_key(key)
    if intake is None:
        raise Http404(_("No such form."))
    with translation.override(_language(request)):
        response = _page(request, intake)
        response.headers["Content-Language"] = translation.get_language() or ""
    response.headers["Cache-Control"] = "no-store"
    if not intake.origins:
        response.headers["X-Frame-Options"] = "DENY"
    frame_headers(response, intake)
    _cross_site_csrf_cookie(request, response, intake)
    return response


def _page(request: HttpRequest, intake: IntakeForm) -> HttpResponse:
    context: dict[str, Any] = {"intake": intake, "lang": translation.get_language(),
                               "version": consent_version(intake.consent_text)}
    if request.method != "POST":
        context["form"] = PublicLeadForm(intake=intake, initial={"consent_version": context["version"]})
        return render(request, "sales/intake/public_form.html", context)
    if not throttle.allow_request(request):
        response = render(request, "sales/intake/public_message.html",
                          {**context, "message": _("Too many attempts. Please try again in a minute.")}, status=429)
        response.headers["Retry-After"] = str(int(throttle.wait_seconds()))
        return response
    form = PublicLeadForm(request.POST, intake=intake)
    context["form"] = form
    if form.is_valid():
        data = form.cleaned_data
        if data.get("website"):  # the honeypot: thanked, nothing filed
            return render(request, "sales/intake/public_message.html", {**context, "thanks": True})
        shown = intake.consent_text if data.get("consent_version") == context["version"] else ""
        prospect = services.Prospect(
            name=data["name"], mobile=data["mobile"], email=data["email"], company=data["company"],
            province=data["province"], city=data["city"], message=data["message"],
            products=list(data.get("products") or []), consent=data["consent"], consent_text=shown,
            language=translation.get_language() or "")
        try:
            services.intake_submit(form=intake, prospect=prospect, address=client_address(request))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return render(request, "sales/intake/public_message.html", {**context, "thanks": True})
    data = request.POST.copy()
    data["consent_version"] = context["version"]  # the text now shown is the one to agree to
    form.data = data
    return render(request, "sales/intake/public_form.html", context, status=400)


@login_required
def intake_overview(request: HttpRequest) -> HttpResponse:
    """The forms of the user's branches with their embed code and latest submissions (managers and auditors)."""
    user = request.user
    if not user.has_perm("sales.view_intakesubmission"):
        raise PermissionDenied
    ids = branch_ids_in_scope(user)  # type: ignore[arg-type]
    forms = IntakeForm.objects.select_related("branch").order_by("name")
    if ids is not None:
        forms = forms.filter(branch_id__in=ids)
    rows = []
    for intake in forms[:50]:
        submissions = list(IntakeSubmission.objects.filter(form=intake).select_related("lead", "customer")
                           .order_by("-created_at")[:20])
        rows.append({"intake": intake, "submissions": submissions,
                     "url": request.build_absolute_uri(f"/sales/intake/{intake.public_key}/")})
    return render(request, "sales/intake/overview.html", {"rows": rows})
