"""The customer pages: list and search, the 360 page, create/edit, transfers, contacts, consent, status records.

Views are thin: they parse a form, call a selector or a service and render. Customers outside the user's scope answer
404 (never 403, which would reveal that they exist); a customer the user sees but may not change answers 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from kehu.core.pagination import CappedPaginator, capped_page
from kehu.org.models import User

from .forms import (
    ConsentForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    RevealForm,
    StaffLeavesForm,
    StatusRecordForm,
    TransferForm,
    add_service_errors,
)
from .models import ConsentChannel, Contact, Customer, CustomerKind, PersonalDataAccess
from .selectors import (
    custom_attribute_list,
    customer_can_change,
    customer_changeable_list,
    customer_contacts,
    customer_current_consents,
    customer_get,
    customer_history,
    customer_lifecycle_changes,
    customer_list,
    customer_list_few,
    customer_panels,
    customer_status_records,
    customer_transfers,
    restricted_field_maskers,
    searched_identifier,
)
from .services import (
    REVEALABLE_FIELDS,
    ConcurrentUpdateError,
    DuplicateCustomerError,
    consent_record,
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_transfer,
    customer_transfer_all_from,
    customer_update,
    personal_data_lookup_log,
    personal_data_reveal,
    status_record_create,
    tag_get_or_create,
)


class AuthenticatedRequest(HttpRequest):
    """The request of a signed-in user (views are behind ``login_required``), with django-htmx's details."""

    user: User
    htmx: HtmxDetails


HISTORY_LIMIT = 50
LIST_LIMIT = 20


def _customer_or_404(user: User, pk: int, action: str = "view") -> Customer:
    try:
        return customer_get(user=user, pk=pk, action=action)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None


def _changeable_customer(user: User, pk: int) -> Customer:
    """A customer the user may change: 404 when out of sight, 403 when visible but read-only for them."""
    customer = _customer_or_404(user, pk)
    if not customer_can_change(user=user, customer=customer):
        raise PermissionDenied(_("You may not change this customer."))
    return customer


def _client_ip(request: AuthenticatedRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- list -------------------------------------------------------------------------------------------------------


@login_required
def customer_list_view(request: AuthenticatedRequest) -> HttpResponse:
    """The customer list: one search box, filters and pagination; HTMX requests get only the results partial."""
    form = CustomerFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    sort = form.chosen_sort()
    customers = customer_list(user=request.user, filters=filters, sort=sort).prefetch_related("tags")
    # counted exactly where that is cheap (kehu.core.pagination.list_count); a search matching few customers in a
    # huge table is read through its indexes in the default order (customer_list_few)
    paginator = CappedPaginator(customers, form.chosen_per_page(), page_hint=request.GET.get("page"),
                                few_rows_order=None if sort else customer_list_few)
    page = paginator.get_page(request.GET.get("page"))
    identifier = searched_identifier(filters.query)
    if identifier:  # a find by a full phone or ID number is written to the access log (README: personal data)
        page.object_list = list(page.object_list)
        personal_data_lookup_log(actor=request.user, customers=page.object_list, fields=identifier,
                                 reason=gettext_noop("Search"), ip_address=_client_ip(request),
                                 action=PersonalDataAccess.Action.SEARCH)
    context = {
        "form": form,
        "page": page,
        "is_filtered": form.is_filtered(),
        "sort": sort,
        "can_transfer": request.user.has_perm("customers.transfer_customer"),
        "can_add": request.user.has_perm("customers.add_customer"),
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "customers/_results.html" if partial else "customers/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- 360 page ---------------------------------------------------------------------------------------------------


PERSON_PROFILE_ROWS = ["gender", "birth_date", "id_type", "employer", "position", "income_band", "education",
                       "household", "preferences"]
ORGANISATION_PROFILE_ROWS = ["credit_code", "legal_representative", "ownership_type", "main_business",
                             "business_status", "staff_count", "annual_revenue", "founded_on", "other_banks_suppliers"]
ADDRESS_ROWS = ["province", "city", "district", "address"]
CLASSIFICATION_ROWS = ["industry", "source", "customer_since"]


def _rows(obj: Any, names: list[str], maskers: dict[str, Any] | None = None) -> list[tuple[str, Any, str]]:
    """(label, display value, field name) for a definition list, choice fields shown by their label; the fields in
    ``maskers`` masked (street address and birth date for roles without the personal-data permission)."""
    if obj is None:
        return []
    rows = []
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, f"get_{name}_display")() if field.choices else getattr(obj, name)
        if maskers and name in maskers and value:
            value = maskers[name](value)
        rows.append((capfirst(field.verbose_name), value, name))
    return rows


def _detail_context(request: AuthenticatedRequest, customer: Customer, **forms: Any) -> dict[str, Any]:
    user = request.user
    profile = getattr(customer, "person", None) if customer.is_person else getattr(customer, "organisation", None)
    can_change = customer_can_change(user=user, customer=customer)
    attributes = [
        (attribute, (customer.custom_attributes or {}).get(attribute.key))
        for attribute in custom_attribute_list(kind=customer.kind)
    ]
    consents = customer_current_consents(customer=customer)
    context: dict[str, Any] = {
        "customer": customer,
        "profile": profile,
        "profile_rows": _rows(profile, PERSON_PROFILE_ROWS if customer.is_person else ORGANISATION_PROFILE_ROWS,
                              restricted_field_maskers(user)),
        "address_rows": _rows(customer, ADDRESS_ROWS, restricted_field_maskers(user)),
        "classification_rows": _rows(customer, CLASSIFICATION_ROWS),
        "tags": list(customer.tags.all()),
        "can_change": can_change,
        "can_transfer": can_change and user.has_perm("customers.transfer_customer"),
        "can_reveal": user.has_perm("customers.view_personal_data"),
        "can_consent": user.has_perm("customers.add_consent"),
        "can_contacts": can_change and user.has_perm("customers.change_contact"),
        "attributes": attributes,
        "panels": customer_panels(user=user, customer_ids=[customer.pk], full=True)[customer.pk],
        "consents": [(label, consents.get(value)) for value, label in ConsentChannel.choices],
        "contacts": list(customer_contacts(customer=customer)),
        "status_records": list(customer_status_records(customer=customer, limit=3)),
        "lifecycle_changes": [
            (change, change.label(change.old_value) if change.old_value else "", change.label(change.new_value))
            for change in customer_lifecycle_changes(customer=customer)[:LIST_LIMIT]
        ],
        "transfers": list(customer_transfers(customer=customer)[:LIST_LIMIT]),
        "history": customer_history(customer=customer, limit=HISTORY_LIMIT, user=user),
        "reveal_form": forms.get("reveal_form") or RevealForm(),
        "consent_form": forms.get("consent_form") or ConsentForm(),
        "status_form": forms.get("status_form") or StatusRecordForm(),
        "transfer_form": forms.get("transfer_form") or TransferForm(user=user),
        "open_panel": forms.get("open_panel", ""),
    }
    return context


@login_required
def customer_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request.user, pk)
    return render(request, "customers/detail.html", _detail_context(request, customer))


@login_required
@require_POST
def customer_reveal(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Show the unmasked phone, e-mail and ID numbers after asking for a reason; the service logs the access."""
    customer = _customer_or_404(request.user, pk)
    if not request.user.has_perm("customers.view_personal_data"):
        raise PermissionDenied(_("You may not see personal data."))
    form = RevealForm(request.POST)
    revealed: dict[str, str] | None = None
    if form.is_valid():
        fields = REVEALABLE_FIELDS if customer.is_person else tuple(f for f in REVEALABLE_FIELDS if f != "id_number")
        try:
            revealed = personal_data_reveal(customer=customer, actor=request.user, fields=fields,
                                            reason=form.cleaned_data["reason"], ip_address=_client_ip(request))
        except ValidationError as error:
            add_service_errors(form, error)
    context = {"customer": customer, "profile": getattr(customer, "person", None), "revealed": revealed,
               "reveal_form": form, "can_reveal": True}
    status = 200 if revealed is not None else 422
    if request.htmx:
        # htmx swaps only 2xx responses by default; the form with its error is a normal answer for the user
        return render(request, "customers/_personal_data.html", context)
    return render(request, "customers/reveal.html", context, status=status)


# --- create and edit --------------------------------------------------------------------------------------------


def _duplicate_warning(request: AuthenticatedRequest, error: DuplicateCustomerError, *, kind: str,
                       instance: Customer | None) -> tuple[CustomerForm, list[Any]]:
    """The form as the user filled it in, now acknowledging the matches shown (saving again saves anyway), and the
    matches for the warning. Only customers the user can see are ever matches (``customers.duplicates``)."""
    data = request.POST.copy()
    data["acknowledged_duplicates"] = ",".join(sorted(set().union(*(match.keys for match in error.matches))))
    form = CustomerForm(data, user=request.user, kind=kind, instance=instance)
    form.is_valid()
    return form, error.matches


def _tags_with_new(form: CustomerForm) -> list:
    tags = list(form.cleaned_data.get("tags") or [])
    tags.extend(tag_get_or_create(name=name) for name in form.new_tag_names())
    return tags


@login_required
@require_http_methods(["GET", "POST"])
def customer_create_view(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    if kind not in CustomerKind.values:
        raise Http404
    if not request.user.has_perm("customers.add_customer"):
        raise PermissionDenied(_("You may not create customers."))
    form = CustomerForm(request.POST or None, user=request.user, kind=kind)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        try:
            customer = customer_create(actor=request.user, kind=kind, tags=_tags_with_new(form),
                                       check_duplicates=True,
                                       acknowledged_duplicates=form.acknowledged_duplicate_keys(), **kwargs)
        except DuplicateCustomerError as error:
            form, duplicates = _duplicate_warning(request, error, kind=kind, instance=None)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Customer %(name)s (%(code)s) was created.")
                             % {"name": customer.name, "code": customer.code})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "kind": kind, "kind_label": CustomerKind(kind).label,
                                                   "duplicates": duplicates})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _changeable_customer(request.user, pk)
    form = CustomerForm(request.POST or None, user=request.user, kind=customer.kind, instance=customer)
    conflict = False
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        reason = form.cleaned_data.get("reason") or ""
        try:
            customer_update(customer=customer, actor=request.user, reason=reason,
                            expected_version=form.cleaned_data.get("expected_version"), tags=_tags_with_new(form),
                            check_duplicates=True, acknowledged_duplicates=form.acknowledged_duplicate_keys(),
                            **kwargs)
        except DuplicateCustomerError as error:
            customer = _customer_or_404(request.user, pk)
            form, duplicates = _duplicate_warning(request, error, kind=customer.kind, instance=customer)
        except ConcurrentUpdateError as error:
            # keep what the user typed; saving again (now against the current version) is a deliberate overwrite
            data = request.POST.copy()
            data["expected_version"] = str(error.current_version)
            customer = _customer_or_404(request.user, pk)
            form = CustomerForm(data, user=request.user, kind=customer.kind, instance=customer)
            form.is_valid()
            form.add_error(None, str(error))
            conflict = True
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The changes to %(name)s were saved.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    context = {"form": form, "customer": customer, "kind": customer.kind,
               "kind_label": CustomerKind(customer.kind).label, "conflict": conflict, "duplicates": duplicates}
    return render(request, "customers/form.html", context, status=409 if conflict else 200)


# --- transfers --------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def customer_transfer_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Give one customer to another account manager."""
    customer = _changeable_customer(request.user, pk)
    if not request.user.has_perm("customers.transfer_customer"):
        raise PermissionDenied(_("You may not transfer customers."))
    form = TransferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer_transfer(customers=[customer], new_owner=form.cleaned_data["new_owner"], actor=request.user,
                              reason=form.cleaned_data["reason"], new_branch=form.cleaned_data["new_branch"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s now belongs to %(owner)s.")
                             % {"name": customer.name, "owner": form.cleaned_data["new_owner"]})
            if customer_list(user=request.user).filter(pk=customer.pk).exists():
                return redirect("customers:detail", pk=customer.pk)
            return redirect("customers:list")
    return render(request, "customers/transfer.html", {"customer": customer, "form": form})


def _selected_ids(request: AuthenticatedRequest) -> list[int]:
    return sorted({int(value) for value in request.POST.getlist("ids") if value.isdigit()})


@login_required
@require_POST
def customer_bulk_transfer(request: AuthenticatedRequest) -> HttpResponse:
    """Transfer the customers ticked on the list: first a confirmation page, then (``confirm``) the transfer."""
    if not request.user.has_perm("customers.transfer_customer"):
        raise PermissionDenied(_("You may not transfer customers."))
    ids = _selected_ids(request)
    if not ids:
        messages.warning(request, _("Select the customers to transfer first."))
        return redirect("customers:list")
    selected = customer_changeable_list(user=request.user, ids=ids)
    selected_list = list(selected[: settings.KEHU_PAGE_SIZE * 4])
    left_out = len(ids) - selected.count()
    form = TransferForm(request.POST if "confirm" in request.POST else None, user=request.user)
    if "confirm" in request.POST and form.is_valid():
        try:
            moved = customer_transfer(customers=list(selected), new_owner=form.cleaned_data["new_owner"],
                                      actor=request.user, reason=form.cleaned_data["reason"],
                                      new_branch=form.cleaned_data["new_branch"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, ngettext("%(count)s customer was transferred to %(owner)s.",
                                               "%(count)s customers were transferred to %(owner)s.", moved)
                             % {"count": moved, "owner": form.cleaned_data["new_owner"]})
            return redirect("customers:list")
    context = {"form": form, "ids": ids, "selected": selected_list, "left_out": left_out,
               "total": len(ids) - left_out}
    return render(request, "customers/bulk_transfer.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def staff_leaves(request: AuthenticatedRequest) -> HttpResponse:
    """Move all customers of a staff member to another one, after a confirmation step showing how many move."""
    if not request.user.has_perm("customers.transfer_customer"):
        raise PermissionDenied(_("You may not transfer customers."))
    form = StaffLeavesForm(request.POST or None, user=request.user)
    count = None
    if request.method == "POST" and form.is_valid():
        from_owner = form.cleaned_data["from_owner"]
        if "confirm" in request.POST:
            try:
                moved = customer_transfer_all_from(from_owner=from_owner, new_owner=form.cleaned_data["new_owner"],
                                                   actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, ngettext("%(count)s customer of %(old)s was transferred to %(new)s.",
                                                   "%(count)s customers of %(old)s were transferred to %(new)s.",
                                                   moved)
                                 % {"count": moved, "old": from_owner, "new": form.cleaned_data["new_owner"]})
                return redirect("customers:list")
        else:
            count = customer_changeable_list(user=request.user, owner=from_owner).count()
    return render(request, "customers/staff_leaves.html", {"form": form, "count": count})


# --- contacts, consent, status records --------------------------------------------------------------------------


def _contact_or_404(customer: Customer, contact_pk: int) -> Contact:
    try:
        return customer_contacts(customer=customer).get(pk=contact_pk)
    except Contact.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedRequest, pk: int, contact_pk: int | None = None) -> HttpResponse:
    """Add (no ``contact_pk``) or edit a contact of a customer: an organisation's contact person, or a person's
    spouse, assistant or guardian."""
    customer = _changeable_customer(request.user, pk)
    contact = _contact_or_404(customer, contact_pk) if contact_pk else None
    form = ContactForm(request.POST or None, instance=contact, kind=customer.kind)
    if request.method == "POST" and form.is_valid():
        try:
            if contact is None:
                contact = contact_create(customer=customer, actor=request.user, **form.service_kwargs())
                messages.success(request, _("The contact %(name)s was added.") % {"name": contact.name})
            else:
                contact = contact_update(contact=contact, actor=request.user, **form.service_kwargs())
                messages.success(request, _("The contact %(name)s was saved.") % {"name": contact.name})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
    return render(request, "customers/contact_form.html", {"customer": customer, "contact": contact, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete_view(request: AuthenticatedRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Delete a contact after a confirmation page."""
    customer = _changeable_customer(request.user, pk)
    contact = _contact_or_404(customer, contact_pk)
    if request.method == "POST":
        contact_delete(contact=contact, actor=request.user)
        messages.success(request, _("The contact %(name)s was deleted.") % {"name": contact.name})
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
    return render(request, "customers/contact_confirm_delete.html", {"customer": customer, "contact": contact})


@login_required
@require_POST
def consent_record_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request.user, pk)
    if not request.user.has_perm("customers.add_consent"):
        raise PermissionDenied(_("You may not record consent."))
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            consent_record(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#consent")
    context = _detail_context(request, customer, consent_form=form, open_panel="consent")
    return render(request, "customers/detail.html", context, status=422)


@login_required
@require_POST
def status_record_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _changeable_customer(request.user, pk)
    form = StatusRecordForm(request.POST)
    if form.is_valid():
        try:
            status_record_create(customer=customer, actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The status record was saved."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#status")
    context = _detail_context(request, customer, status_form=form, open_panel="status")
    return render(request, "customers/detail.html", context, status=422)


# --- timeline ---------------------------------------------------------------------------------------------------


@login_required
def customer_timeline_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The whole timeline of a customer, newest first, a page at a time (the 360 page shows the newest 20)."""
    from .timeline import customer_activities, timeline_items

    customer = _customer_or_404(request.user, pk)
    page = capped_page(customer_activities(customer=customer, user=request.user),
                        request.GET.get("page"))
    context = {"customer": customer, "page": page, "items": timeline_items(page.object_list)}
    return render(request, "customers/timeline.html", context)


@login_required
def division_options(request: AuthenticatedRequest) -> JsonResponse:
    """The children of an administrative division (``?parent=CODE``; the provinces without it) as
    ``{"options": [[code, name], ...]}``: the customer form's province → city → district picker."""
    from kehu.core import divisions

    parent = request.GET.get("parent", "")[:12]
    if parent and divisions.get(parent) is None:
        return JsonResponse({"options": [], "error": _("Unknown administrative division code.")}, status=404)
    return JsonResponse({"options": [[division.code, division.name] for division in divisions.children(parent)]})
