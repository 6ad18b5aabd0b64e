"""The export of the customer list to CSV or XLSX in the columns an import reads back (masked, logged).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.org.models import User

from .reports import write_csv, write_xlsx


def customer_export(
    *, user: User | None, out: IO[bytes] | str | os.PathLike[str], file_format: str = "xlsx",
    filters: Any = None, reason: str = "", include_personal_data: bool = True, ip_address: str | None = None,
) -> int:
    """Export the customers of a (filtered) list to CSV or XLSX in the columns an import reads back.

    Only customers the user may see are exported. Phones, ID numbers and e-mail are masked unless the user may see
    personal data (and asks for it, giving a reason); users who may not see it get no street address or birth
    date. Every export is written to the personal data access log: one
    entry per exported customer when personal data left unmasked, else one entry for the whole export. Without a user
    (an operator at the command line) every customer is exported, masked. Returns the number of customers written.
    """
    from kehu.customers.models import PersonalDataAccess
    from kehu.customers.selectors import CustomerFilters
    from kehu.customers.services import personal_data_access_log

    from .selectors import PERSONAL_DATA_FIELDS, customer_export_queryset, customer_export_rows, export_headers

    if user is not None and not user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not export customers."))
    masked = user is None or not include_personal_data or not user.has_perm("customers.view_personal_data")
    # roles without the personal-data permission get no street address or birth date (README: masking by role)
    withheld = frozenset() if user is None or user.has_perm("customers.view_personal_data") else frozenset(
        {"address", "birth_date"})
    reason = (reason or "").strip()
    if not masked and len(reason) < 2:
        raise ValidationError({"reason": [_("Give a reason for exporting personal data.")]})
    if file_format not in {"csv", "xlsx"}:
        raise ValidationError({"file_format": [_("Choose CSV or XLSX.")]})
    language = translation.get_language() or settings.LANGUAGE_CODE
    fields, headers, attributes = export_headers(language=language)
    customers = customer_export_queryset(user=user, filters=filters or CustomerFilters())
    exported = 0
    pending_log: list[int] = []
    fields_text = ",".join(PERSONAL_DATA_FIELDS)
    log_reason = (reason or _("Export")).strip()[:255]

    def log(ids: list[int]) -> None:
        PersonalDataAccess.objects.bulk_create([
            PersonalDataAccess(user=user, customer_id=customer_id, action=PersonalDataAccess.Action.EXPORT,
                               fields=fields_text, reason=log_reason, ip_address=ip_address)
            for customer_id in ids
        ])

    def cells() -> Iterator[list[Any]]:
        nonlocal exported
        for customer_id, values in customer_export_rows(customers=customers, fields=fields, attributes=attributes,
                                                        language=language, masked=masked, withheld=withheld):
            exported += 1
            if not masked:
                pending_log.append(customer_id)
                if len(pending_log) >= 2000:
                    log(pending_log)
                    pending_log.clear()
            yield values

    writer = write_xlsx if file_format == "xlsx" else write_csv
    writer(out, headers, cells())
    if pending_log:
        log(pending_log)
    if masked:
        summary = (_("%(reason)s (%(count)d customers, personal data masked)")
                   % {"reason": log_reason, "count": exported})[:255]
        if user is not None:
            personal_data_access_log(actor=user, action=PersonalDataAccess.Action.EXPORT, fields=_("masked"),
                                     reason=summary, ip_address=ip_address)
        else:  # an operator at the command line: no staff member to name
            PersonalDataAccess.objects.create(user=None, action=PersonalDataAccess.Action.EXPORT,
                                              fields=_("masked"), reason=summary, ip_address=ip_address)
    return exported
