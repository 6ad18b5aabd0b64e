"""Pages of the strengthening table: add, edit (with the version read: a stale save is refused) and remove (after a
confirmation page) a row of an organisation. The table itself is a panel of the 360 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from ..models import StrengtheningRow
from . import selectors, services
from .forms import StrengtheningForm


class AuthenticatedRequest(HttpRequest):
    user: User


def _back(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id]) + "#strengthening"


def _editable_customer(user: User, pk: int) -> Customer:
    try:
        customer = customer_get(user=user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not selectors.customers_for_strengthening(user=user).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer's strengthening table."))
    return customer


def _row(user: User, pk: int) -> StrengtheningRow:
    try:
        return selectors.strengthening_get(user=user, pk=pk)
    except StrengtheningRow.DoesNotExist:
        raise Http404(_("No such row.")) from None


def _save(request: AuthenticatedRequest, customer: Customer, row: StrengtheningRow | None) -> HttpResponse:
    user = request.user
    form = StrengtheningForm(request.POST or None, instance=row, staff=staff_list(user=user),
                             our_staff=User.objects.filter(is_active=True).order_by("username"),
                             contacts=Contact.objects.filter(customer=customer).order_by("name"),
                             initial={"version": row.version if row else None})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in StrengtheningForm.Meta.fields}
        try:
            if row is None:
                services.strengthening_add(actor=user, customer=customer, **data)
            else:
                services.strengthening_update(actor=user, row=row, expected_version=form.cleaned_data["version"] or 0,
                                              **data)
        except ConcurrentUpdateError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The strengthening table has been saved."))
            return redirect(_back(customer.pk))
    status = 422 if form.errors else 200
    return render(request, "relations/strengthening/form.html", {"form": form, "customer": customer, "row": row},
                  status=status)


@login_required
def row_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _editable_customer(request.user, pk)
    return _save(request, customer, None)


@login_required
def row_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = _row(request.user, pk)
    customer = _editable_customer(request.user, row.customer_id)
    return _save(request, customer, row)


@login_required
def row_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the row."""
    row = _row(request.user, pk)
    customer = _editable_customer(request.user, row.customer_id)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = 0
        try:
            services.strengthening_remove(actor=request.user, row=row, expected_version=version)
        except ConcurrentUpdateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The row has been removed."))
        return redirect(_back(customer.pk))
    return render(request, "relations/strengthening/confirm_delete.html", {"row": row, "customer": customer})
