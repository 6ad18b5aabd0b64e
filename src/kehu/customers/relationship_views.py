"""Pages of customer links: add one from the 360 page (the other customer found by code) and remove one after a
confirmation page. Thin: ``relationships`` reads and writes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.org.models import User

from . import relationships
from .models import Customer, CustomerRelationship
from .selectors import customer_get


class AuthenticatedRequest(HttpRequest):
    user: User


class RelationshipForm(forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("This customer"), choices=[
        (relationships.OUTGOING, gettext_lazy("is the first party (referred / works for the other)")),
        (relationships.INCOMING, gettext_lazy("is the second party (referred by / employs the other)"))])
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CustomerRelationship.Kind.choices)
    other_code = forms.CharField(label=gettext_lazy("Other customer's code"), max_length=32)
    notes = forms.CharField(label=gettext_lazy("Notes"), max_length=255, required=False)


def _customer(user: User, pk: int) -> Customer:
    try:
        customer = customer_get(user=user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not relationships.customers_for_relationships(user=user).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer's relationships."))
    return customer


def _back(pk: int) -> str:
    return reverse("customers:detail", args=[pk]) + "#relationships"


@login_required
def relationship_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _customer(request.user, pk)
    form = RelationshipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        other = Customer.objects.visible_to(request.user).filter(code=form.cleaned_data["other_code"].strip()).first()
        if other is None:
            form.add_error("other_code", _("No customer you may see has this code."))
        else:
            try:
                relationships.relationship_add(actor=request.user, customer=customer, other=other,
                                               kind=form.cleaned_data["kind"],
                                               direction=form.cleaned_data["direction"],
                                               notes=form.cleaned_data["notes"])
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error("other_code" if name == "other_customer_id" else
                                   name if name in form.fields else None, problems)
            else:
                messages.success(request, _("The link has been added."))
                return redirect(_back(customer.pk))
    status = 422 if form.errors else 200
    return render(request, "customers/relationship_form.html", {"form": form, "customer": customer}, status=status)


@login_required
def relationship_delete(request: AuthenticatedRequest, pk: int, rel_pk: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the link."""
    customer = _customer(request.user, pk)
    try:
        link = relationships.relationship_get(user=request.user, customer=customer, pk=rel_pk)
    except CustomerRelationship.DoesNotExist:
        raise Http404(_("No such link.")) from None
    if request.method == "POST":
        relationships.relationship_remove(actor=request.user, customer=customer, link=link)
        messages.success(request, _("The link has been removed."))
        return redirect(_back(customer.pk))
    other = link.to_customer if link.from_customer_id == customer.pk else link.from_customer
    direction = relationships.OUTGOING if link.from_customer_id == customer.pk else relationships.INCOMING
    return render(request, "customers/relationship_confirm_delete.html",
                  {"customer": customer, "other": other, "link": link,
                   "label": relationships.relationship_label(link.kind, direction)})
