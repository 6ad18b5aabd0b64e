"""The conversion page: a lead's customer matches and the choice (link to one of them, or create a new customer),
confirmed by a POST. Thin: reads through ``selectors``, writes through ``services``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.org.models import User

from .. import selectors as lead_selectors
from ..models import Lead
from . import selectors, services


class AuthenticatedRequest(HttpRequest):
    user: User


class ConvertForm(forms.Form):
    target = forms.CharField(max_length=40, label=gettext_lazy("Customer"))
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    create_anyway = forms.BooleanField(required=False, label=gettext_lazy("Create a new customer even though "
                                                                          "customers share its mobile, e-mail or "
                                                                          "credit code"))

    def clean_target(self) -> str:
        value = self.cleaned_data["target"].strip()
        if value != "new" and not (value.isdigit() and 0 < int(value) < 2**63):
            raise ValidationError(_("Choose a customer or a new one."))
        return value


@login_required
def lead_convert(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page (matches, the choice); POST: convert, then to the customer's 360 page."""
    user = request.user
    try:
        lead = lead_selectors.lead_get(user=user, pk=pk)
    except Lead.DoesNotExist:
        raise Http404(_("No such lead.")) from None
    conversion = selectors.lead_conversion(lead=lead)
    form = ConvertForm(request.POST or None, initial={"version": lead.version, "target": "new"})
    if request.method == "POST" and conversion is None and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            done = services.lead_convert(
                actor=user, lead=lead, expected_version=form.cleaned_data["version"],
                customer=None if target == "new" else int(target), create=target == "new",
                create_anyway=form.cleaned_data["create_anyway"])
        except services.ConversionRefused as error:
            messages.error(request, str(error))
        except ConcurrentUpdateError:
            messages.error(request, _("Someone changed this lead meanwhile; look again and confirm."))
            return redirect("sales:lead_convert", pk=lead.pk)
        except PermissionDenied as error:
            messages.error(request, str(error) or _("You may not do this."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The lead is converted: %(customer)s.")
                             % {"customer": done.customer.name})
            return redirect("customers:detail", pk=done.customer_id)
    matches = selectors.customer_matches(user=user, lead=lead)
    return render(request, "sales/conversion/convert.html", {
        "lead": lead, "form": form, "conversion": conversion, "may_change": lead_selectors.lead_may_change(
            user=user, lead=lead),
        "visible_matches": [match for match in matches if match.visible],
        "hidden_matches": [match for match in matches if not match.visible],
        "hard": any(match.hard for match in matches),
    })
