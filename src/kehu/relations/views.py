"""Relationship pages: log a contact from the 360 page, a contact record, and its attachments (served through the
customer's scope, never from a public URL). Thin: reads through ``selectors``, writes through ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import selectors, services
from .forms import ContactForm
from .models import ContactAttachment, ContactRecord


class AuthenticatedRequest(HttpRequest):
    user: User


@login_required
def contact_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The contact form of a customer (the 360 page's "Log a contact"); saving it is the second click."""
    user = request.user
    try:
        customer = customer_get(user=user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not selectors.may_log_contact(user=user, customer=customer):
        raise PermissionDenied(_("You may not log contacts for this customer."))
    staff = staff_list(user=user)
    form = ContactForm(request.POST or None, request.FILES or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_log(
                actor=user, customer=customer, channel=data["channel"], direction=data["direction"],
                occurred_at=data["occurred_at"], duration_minutes=data["duration_minutes"], summary=data["summary"],
                feedback=data["feedback"], satisfaction=data["satisfaction"], next_step=data["next_step"],
                next_step_due=data["next_step_due"], staff=data["staff"], files=data["attachments"],
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The contact has been logged."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts_log")
    status = 422 if form.errors else 200
    return render(request, "relations/contact_form.html", {"form": form, "customer": customer}, status=status)


@login_required
def contact_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        record = selectors.contact_get(user=request.user, pk=pk)
    except ContactRecord.DoesNotExist:
        raise Http404(_("No such contact.")) from None
    return render(request, "relations/contact_detail.html", {"record": record})


@login_required
def attachment_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """An attachment, to users who may see the customer (another branch's: 404), as a download with the type
    found when it was uploaded."""
    try:
        attachment = selectors.attachment_get(user=request.user, pk=pk)
    except ContactAttachment.DoesNotExist:
        raise Http404(_("No such file.")) from None
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("No such file.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
