"""Who may see personal data, what is masked for the others, and the access log of reveals and lookups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.core.masking import mask_address, mask_birth_date
from kehu.org.models import User

from ..models import PersonalDataAccess
from .lists import prefix_q

# masked also for roles without the personal-data permission (service agents, marketers, auditors)
RESTRICTED_FIELDS = {"address": mask_address, "birth_date": mask_birth_date}


def may_see_personal_data(user: User | None) -> bool:
    """Whether the user's role may see personal data: street address and birth date in full, phones, e-mail and ID
    numbers after a logged reveal (``customers.view_personal_data``)."""
    return user is not None and user.has_perm("customers.view_personal_data")


def restricted_field_maskers(user: User | None) -> dict[str, Any]:
    """The fields masked for this user on top of phones, e-mail and ID numbers (masked for everyone until revealed):
    street address and birth date for roles without the personal-data permission; none for the others."""
    return {} if may_see_personal_data(user) else dict(RESTRICTED_FIELDS)


# The words for the field names the access log stores raw ("mobile,phone,id_number,email"); a name not listed here
# (a field added later) is shown as stored.
ACCESS_LOG_FIELD_WORDS: dict[str, Any] = {
    "mobile": _("mobile"),
    "phone": _("other phone"),
    "id_number": _("ID number"),
    "email": _("email"),
    "address": _("address"),
    "birth_date": _("birth date"),
    "access_log": _("access log"),
}


def access_log_field_words(fields: str) -> str:
    """``"mobile,id_number"`` → ``"mobile, ID number"`` in the request's language."""
    from django.utils.translation import gettext

    names = [name.strip() for name in (fields or "").split(",") if name.strip()]
    return gettext(", ").join(str(ACCESS_LOG_FIELD_WORDS.get(name, name)) for name in names)


@dataclass
class AccessLogFilters:
    """The access log's filters (all optional): who, whose (a customer id, or a code or name prefix), what, when
    (dates in the user's time zone, both ends included) and a search over the reason, staff and customer."""

    user: int | None = None
    customer: str = ""
    action: str = ""
    date_from: Any = None
    date_to: Any = None
    query: str = ""


def _day_start(day: Any) -> Any:
    import datetime as dt

    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def personal_data_access_list(*, user: User, filters: AccessLogFilters | None = None
                              ) -> QuerySet[PersonalDataAccess]:
    """The access log, newest first, filtered; only for users with the permission to read it (auditors,
    administrators). Entries about customers since deleted stay (their customer is empty)."""
    import datetime as dt

    if not user.has_perm("customers.view_personaldataaccess"):
        return PersonalDataAccess.objects.none()
    entries = PersonalDataAccess.objects.select_related("user", "customer")
    filters = filters or AccessLogFilters()
    if filters.user:
        entries = entries.filter(user_id=filters.user)
    customer = filters.customer.strip()
    if customer:
        if customer.isascii() and customer.isdigit():
            entries = entries.filter(customer_id=int(customer)) if len(customer) <= 18 else entries.none()
        else:
            entries = entries.filter(Q(customer__code=customer.upper()) | prefix_q("customer__name", customer))
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.date_from:
        entries = entries.filter(accessed_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        entries = entries.filter(accessed_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    query = filters.query.strip()
    if query:
        entries = entries.filter(
            Q(reason__icontains=query) | Q(user__username__icontains=query) | Q(user__display_name__icontains=query)
            | Q(customer__code=query.upper()) | prefix_q("customer__name", query)
        )
    return entries.order_by("-accessed_at", "-id")
