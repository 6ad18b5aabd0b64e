"""The agent's screen page (agents keep it open): a number box, ``?phone=`` for a telephony system, and an HTMX swap
of one server round trip; "log this call" in one click. Thin: reads through ``selectors``, writes through
``services``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import user_access_load

from . import selectors, services

PHONE_MAX = 40


def access_loaded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The signed-in user's roles, permissions and branch scope read in one statement before the view (and its
    permission check) runs, rather than in five as they are first used (the agent keeps this screen busy)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user_access_load(request.user)  # type: ignore[arg-type]
        return view(request, *args, **kwargs)

    return wrapper


class AuthenticatedRequest(HttpRequest):
    user: User


def _phone(request: HttpRequest) -> str:
    return (request.GET.get("phone") or "").replace("\x00", "").strip()[:PHONE_MAX]


@login_required
@access_loaded
@permission_required("service.view_ticket", raise_exception=True)
def agent_screen(request: AuthenticatedRequest) -> HttpResponse:
    """The screen: with ``?phone=`` the caller's cards (the lookup is logged in the personal-data access log); an
    HTMX request gets the result alone."""
    phone = _phone(request)
    screen: selectors.AgentScreen | None = None
    error = ""
    if phone:
        try:
            screen = selectors.agent_screen(user=request.user, phone=phone)
        except ValidationError:
            error = _("Enter a valid phone number.")
        else:
            services.agent_lookup_log(actor=request.user, customers=[card.customer for card in screen.cards],
                                      ip_address=request.META.get("REMOTE_ADDR") or None)
    context = {"phone": phone, "screen": screen, "error": error}
    partial = request.headers.get("HX-Request") == "true"
    status = 422 if error and not partial else 200
    template = "service/agent/_result.html" if partial else "service/agent/screen.html"
    return render(request, template, context, status=status)


@login_required
@access_loaded
@require_POST
def agent_call_log(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """"Log this call" for a customer on the screen: an inbound phone contact, now."""
    try:
        customer = customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    try:
        record = services.agent_call_log(actor=request.user, customer=customer,
                                         summary=request.POST.get("summary", ""))
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    except PermissionDenied:
        raise
    except ValidationError as error:
        if request.headers.get("HX-Request") == "true":
            return render(request, "service/agent/_call_logged.html", {"errors": error.messages}, status=200)
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("service:agent_screen"))
    if request.headers.get("HX-Request") == "true":
        return render(request, "service/agent/_call_logged.html", {"record": record, "customer": customer})
    messages.success(request, _("The call has been logged."))
    phone = _phone(request)
    url = reverse("service:agent_screen")
    return redirect(f"{url}?{urlencode({'phone': phone})}" if phone else url)
