"""The public answer page ``/s/<token>/``: no login, mobile-first, in the customer's language (``?lang=``, else the
browser's Accept-Language), rate-limited per client address (``KEHU_SURVEY_RATE``), a CSRF-protected form.

Answers: 200 the form (and the thanks after a POST), 400 a score out of range, 404 an altered or unknown token,
410 an expired or already used one, 429 too many requests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from kehu.api.throttling import AddressRateThrottle
from kehu.service.models import SCORE_RANGE, SurveyKind

from . import services


class SurveyRateThrottle(AddressRateThrottle):
    scope = "survey"
    setting_name = "KEHU_SURVEY_RATE"


_throttle = SurveyRateThrottle()

STATUS = {"invalid": 404, "expired": 410, "used": 410}


def _language(request: HttpRequest) -> str:
    wanted = (request.GET.get("lang") or "").lower()[:10]
    codes = {code.lower() for code, _name in settings.LANGUAGES}
    if wanted in codes:
        return wanted
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def _error(request: HttpRequest, code: str) -> HttpResponse:
    messages = {
        "invalid": gettext("This survey link is not valid. Please use the link from your message as it was sent."),
        "expired": gettext("This survey link has expired. Thank you all the same."),
        "used": gettext("This survey has already been answered. Thank you!"),
        "throttled": gettext("Too many attempts. Please try again in a minute."),
    }
    status = STATUS.get(code, 429)
    return render(request, "service/surveys/public_error.html", {"message": messages[code]}, status=status)


@require_http_methods(["GET", "POST"])
def survey_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    with translation.override(_language(request)):
        response = _answer(request, token)
        response.headers.setdefault("Content-Language", translation.get_language() or "")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def _answer(request: HttpRequest, token: str) -> HttpResponse:
    if not _throttle.allow_request(request):
        return _error(request, "throttled")
    try:
        invitation = services.invitation_for_token(token)
    except services.SurveyError as error:
        return _error(request, error.code)
    low, high = SCORE_RANGE[SurveyKind(invitation.kind)]
    context: dict[str, Any] = {"invitation": invitation, "scores": list(range(low, high + 1)),
                               "lang": translation.get_language(), "error": "", "comment": ""}
    if request.method == "POST":
        raw, comment = request.POST.get("score", ""), request.POST.get("comment", "")
        context["comment"] = comment[:2000]
        try:
            score = int(raw) if raw.strip().isdigit() and len(raw) < 4 else None
        except ValueError:
            score = None
        if score is None or not low <= score <= high:
            context["error"] = gettext("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
            return render(request, "service/surveys/public_form.html", context, status=400)
        try:
            services.survey_answer(token=token, score=score, comment=comment)
        except services.SurveyError as error:
            return _error(request, error.code)
        return render(request, "service/surveys/public_thanks.html", context)
    return render(request, "service/surveys/public_form.html", context)
