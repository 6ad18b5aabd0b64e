"""Pages of the staff UI about the organisation: sign-in and API tokens (the home dashboard and the access log are in
``kehu.home``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from .models import User
from .selectors import api_token_list
from .services import api_token_create, api_token_revoke


class AuthenticatedRequest(HttpRequest):
    """The request of a signed-in user (views are behind ``login_required``), with django-htmx's details."""

    user: User
    htmx: HtmxDetails


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires since 5.0)."""


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """A signed-in user changes their own password: the current one, then the new one twice, checked by the password
    validators. The user stays signed in (the session's hash is updated); their other sessions end."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")
    success_message = _("Your password was changed.")


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """django-axes' answer to a sign-in from a locked user name and address (``AXES_LOCKOUT_CALLABLE``): 429."""
    context = {"failure_limit": settings.KEHU_LOGIN_FAILURE_LIMIT, "minutes": settings.KEHU_LOGIN_COOLOFF_MINUTES}
    return render(request, "registration/locked_out.html", context, status=429)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100,
                           help_text=_("What the token is for, e.g. “call-centre screen pop”."))


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    """List, create and revoke the user's own API tokens. A new key is shown once, right after it is created."""
    form = ApiTokenForm()
    new_key = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = get_object_or_404(api_token_list(user=request.user), pk=request.POST.get("token_id") or 0)
            api_token_revoke(token=token)
            messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
            return redirect("api_tokens")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
            messages.success(request, _("The token “%(name)s” was created.") % {"name": token.name})
            form = ApiTokenForm()
    context = {"form": form, "tokens": api_token_list(user=request.user), "new_key": new_key}
    response = render(request, "org/api_tokens.html", context)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response
