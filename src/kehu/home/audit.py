"""The personal-data access log pages (for auditors and administrators): the filtered, searchable list and its CSV
export. Kept apart from the home page's view (``views.py``)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.pagination import CappedPaginator
from kehu.core.spreadsheet import csv_safe
from kehu.customers.forms import PAGE_SIZES
from kehu.customers.models import PersonalDataAccess
from kehu.customers.selectors import AccessLogFilters, access_log_field_words, personal_data_access_list
from kehu.customers.services import personal_data_access_log
from kehu.org.models import User

# dates outside these are refused by the filter (and then ignored) rather than overflowing a datetime
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(9998, 12, 31)


class AuthenticatedRequest(HttpRequest):
    user: User


class AccessLogFilterForm(forms.Form):
    """The access log's filters. Invalid values are ignored rather than reported (as on the customer list)."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    user = forms.ModelChoiceField(label=gettext_lazy("Staff member"), required=False, queryset=User.objects.none(),
                                  empty_label=gettext_lazy("All staff"))
    customer = forms.CharField(label=gettext_lazy("Customer"), required=False, max_length=100)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False,
                               choices=[("", gettext_lazy("All actions")), *PersonalDataAccess.Action.choices])
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                validators=[MinValueValidator(DATE_MIN), MaxValueValidator(DATE_MAX)],
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              validators=[MinValueValidator(DATE_MIN), MaxValueValidator(DATE_MAX)],
                              widget=forms.DateInput(attrs={"type": "date"}))
    per_page = forms.TypedChoiceField(label=gettext_lazy("Rows per page"), required=False, coerce=int,
                                      empty_value=None, choices=[("", "—"), *[(str(n), str(n)) for n in PAGE_SIZES]])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = User.objects.order_by("username")
        self.fields["q"].widget.attrs.update({"placeholder": _("Reason, staff member or customer"), "type": "search"})
        self.fields["customer"].widget.attrs.update({"placeholder": _("Customer code, name or id")})

    def _valid(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}

    def filters(self) -> AccessLogFilters:
        data = self._valid()
        return AccessLogFilters(
            user=data["user"].pk if data.get("user") else None,
            customer=(data.get("customer") or "").strip(),
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            query=(data.get("q") or "").strip(),
        )

    def chosen_per_page(self, default: int) -> int:
        size = self._valid().get("per_page")
        return int(size) if size in PAGE_SIZES else default


def _readable(request: AuthenticatedRequest) -> None:
    if not request.user.has_perm("customers.view_personaldataaccess"):
        raise PermissionDenied


@login_required
def access_log(request: AuthenticatedRequest) -> HttpResponse:
    """The personal-data access log (who revealed, exported or looked up whose data, when and why): filters by staff
    member, customer, action and dates, a search, pagination and a CSV export of what is shown."""
    from django.conf import settings

    _readable(request)
    form = AccessLogFilterForm(request.GET or None)
    entries = personal_data_access_list(user=request.user, filters=form.filters())
    paginator = CappedPaginator(entries, form.chosen_per_page(settings.KEHU_PAGE_SIZE),
                                page_hint=request.GET.get("page"))
    page = paginator.get_page(request.GET.get("page"))
    rows = [(entry, access_log_field_words(entry.fields)) for entry in page.object_list]
    return render(request, "home/access_log.html", {"form": form, "page": page, "rows": rows})


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def access_log_export(request: AuthenticatedRequest) -> StreamingHttpResponse:
    """The filtered access log as CSV (cells neutralised against formulas); the export is itself logged."""
    _readable(request)
    form = AccessLogFilterForm(request.GET or None)
    filters = form.filters()
    entries = personal_data_access_list(user=request.user, filters=filters)
    personal_data_access_log(actor=request.user, action=PersonalDataAccess.Action.EXPORT, fields="access_log",
                             reason=_("Access log export"), ip_address=request.META.get("REMOTE_ADDR") or None)
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([_("When"), _("Staff member"), _("Customer code"), _("Customer"),
                                          _("Action"), _("Fields"), _("Reason"), _("IP address")])
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow([csv_safe(value) for value in (
                entry.accessed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                str(entry.user) if entry.user else "",
                entry.customer.code if entry.customer else "",
                entry.customer.name if entry.customer else "",
                str(entry.get_action_display()),
                access_log_field_words(entry.fields),
                entry.reason,
                entry.ip_address or "",
            )])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    return response
