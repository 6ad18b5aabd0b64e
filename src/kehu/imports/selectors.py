"""Reads of the import pipeline: jobs, their row errors, saved mappings; customer rows for exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import translation

from kehu.core import industries
from kehu.customers.merge import customer_field_label
from kehu.customers.models import (
    BrandAttitude,
    CustomAttribute,
    Customer,
    CustomerKind,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    MarketingType,
    OrganisationProfile,
    PersonProfile,
    RelationshipStage,
)
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.org.models import User

from .aliases import CUSTOMER_HEADERS
from .models import ImportJob, ImportMapping, ImportRowError


def import_job_interrupted(job: ImportJob) -> bool:
    """Whether a job checking or importing was left by a worker that died: no heartbeat for
    ``KEHU_JOB_HEARTBEAT_TIMEOUT`` seconds and nobody holds its run lock (a worker in a long all-or-nothing
    transaction cannot commit heartbeats, but holds the lock). Such a job can be resumed from its checkpoint."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from kehu.core.queue import run_lock_held

    if not job.is_active:
        return False
    beat = job.heartbeat_at or job.started_at or job.created_at
    if beat is not None and timezone.now() - beat < dt.timedelta(seconds=settings.KEHU_JOB_HEARTBEAT_TIMEOUT):
        return False
    return not run_lock_held("import", job.pk)


def import_job_list(*, user: User) -> QuerySet[ImportJob]:
    """Import jobs the user may follow: their own; administrators see every job."""
    from kehu.org.roles import Role
    from kehu.org.selectors import user_roles

    jobs = ImportJob.objects.select_related("user").order_by("-created_at", "-id")
    if Role.ADMINISTRATOR in user_roles(user):
        return jobs
    return jobs.filter(user=user)


def import_job_get(*, user: User, pk: int) -> ImportJob:
    """One job of :func:`import_job_list`; raises ``ImportJob.DoesNotExist`` otherwise."""
    return import_job_list(user=user).get(pk=pk)


def import_row_errors(*, job: ImportJob) -> QuerySet[ImportRowError]:
    """The problems of the rows that were not stored."""
    return ImportRowError.objects.filter(job=job, is_warning=False).order_by("row", "id")


def import_row_warnings(*, job: ImportJob) -> QuerySet[ImportRowError]:
    """Warnings about stored rows (possible duplicates of customers already stored)."""
    return ImportRowError.objects.filter(job=job, is_warning=True).order_by("row", "id")


def import_mapping_list(*, target: str = "") -> QuerySet[ImportMapping]:
    mappings = ImportMapping.objects.order_by("target", "name")
    return mappings.filter(target=target) if target else mappings


def import_unmatched_values(*, job: ImportJob) -> dict[str, list[tuple[str, int]]]:
    """Values a finished job stored without (field → [(value, rows)]): account managers and industries it did not
    know, from the job's warnings in those columns."""
    from django.db.models import Count

    found: dict[str, list[tuple[str, int]]] = {}
    for field in ("owner", "industry"):
        if field not in job.column_map:
            continue
        header = job.headers[job.column_map.index(field)]
        rows = (job.row_errors.filter(is_warning=True, column=header).values("value").annotate(rows=Count("id"))
                .order_by("-rows", "value"))
        values = [(row["value"], row["rows"]) for row in rows]
        if values:
            found[field] = values
    return found


# ------------------------------------------------------------------------------------------------------ exports

EXPORT_CUSTOMER_FIELDS = [
    "code", "kind", "name", "mobile", "phone", "email", "province", "city", "district", "address", "branch", "owner",
    "lifecycle_status", "lifecycle_stage", "management_class", "marketing_type", "brand_attitude", "share_of_wallet",
    "relationship_stage", "tags", "notes", "industry", "source", "customer_since",
]
EXPORT_PERSON_FIELDS = ["gender", "birth_date", "id_type", "id_number", "employer", "position", "income_band",
                        "household", "education", "preferences"]
EXPORT_ORGANISATION_FIELDS = ["credit_code", "ownership_type", "main_business", "staff_count",
                              "annual_revenue", "legal_representative", "founded_on", "other_banks_suppliers",
                              "business_status"]
_VALUE_COLUMNS = {
    "branch": "branch__code", "owner": "owner__username", "tags": None,
    **{name: f"person__{name}" for name in EXPORT_PERSON_FIELDS},
    **{name: f"organisation__{name}" for name in EXPORT_ORGANISATION_FIELDS},
}
_CHOICES: dict[str, Any] = {
    "kind": CustomerKind, "lifecycle_status": LifecycleStatus, "lifecycle_stage": LifecycleStage,
    "management_class": ManagementClass, "marketing_type": MarketingType, "brand_attitude": BrandAttitude,
    "relationship_stage": RelationshipStage, "gender": PersonProfile.Gender, "id_type": PersonProfile.IdType,
    "income_band": PersonProfile.IncomeBand, "education": PersonProfile.Education,
    "ownership_type": OrganisationProfile.Ownership, "business_status": OrganisationProfile.BusinessStatus,
}
PERSONAL_DATA_FIELDS = ("mobile", "phone", "id_number", "email")


def export_headers(*, language: str) -> tuple[list[str], list[str], list[CustomAttribute]]:
    """(field names, headers in the language, custom attributes) of a customer export.

    Chinese headers are the first header alias of each field, English ones the field label: both map back to the
    field when the file is imported again.
    """
    attributes = list(CustomAttribute.objects.filter(is_active=True).order_by("position", "id"))
    fields = [*EXPORT_CUSTOMER_FIELDS, *EXPORT_PERSON_FIELDS, *EXPORT_ORGANISATION_FIELDS]
    with translation.override(language):
        if language.lower().startswith("zh"):
            headers = [CUSTOMER_HEADERS[field][0] for field in fields]
        else:
            headers = [str(customer_field_label(field)).capitalize() for field in fields]
    return fields, [*headers, *(attribute.label for attribute in attributes)], attributes


def customer_export_queryset(*, user: User | None, filters: CustomerFilters) -> QuerySet[Customer]:
    """The customers an export contains: :func:`customer_list` for a user; every customer for the operator."""
    if user is not None:
        return customer_list(user=user, filters=filters)
    from kehu.org.models import Branch
    from kehu.org.selectors import branch_subtree_q

    customers = Customer.objects.all()
    if filters.query:
        from kehu.customers.selectors import customer_search_q

        condition = customer_search_q(filters.query)
        customers = customers.filter(condition)
        if "contacts__" in str(condition):
            customers = customers.distinct()
    for name in ("kind", "lifecycle_status", "management_class", "relationship_stage"):
        if getattr(filters, name):
            customers = customers.filter(**{name: getattr(filters, name)})
    if filters.branch:
        branch = Branch.objects.filter(pk=filters.branch).first()
        customers = customers.filter(branch__in=Branch.objects.filter(branch_subtree_q([branch]))) if branch \
            else customers.none()
    if filters.owner:
        customers = customers.filter(owner_id=filters.owner)
    if filters.tag:
        customers = customers.filter(tags__id=filters.tag)
    return customers.order_by("-id")


def customer_export_rows(*, customers: QuerySet[Customer], fields: list[str], attributes: list[CustomAttribute],
                         language: str, masked: bool, withheld: frozenset[str] = frozenset(),
                         batch: int = 2000) -> Iterator[tuple[int, list[Any]]]:
    """``(customer id, cells)`` per customer, streamed in batches (a fixed number of queries per batch). The fields
    in ``withheld`` are left empty (street address and birth date for roles without the personal-data permission: a
    masked value imported again would overwrite the stored one)."""
    from kehu.core.masking import mask_email, mask_id_number, mask_phone

    maskers = {"mobile": mask_phone, "phone": mask_phone, "id_number": mask_id_number, "email": mask_email}
    columns: list[str] = ["id", "custom_attributes"]
    for field in fields:
        column = _VALUE_COLUMNS.get(field, field)
        if column:
            columns.append(column)
    labels: dict[str, dict[str, str]] = {}
    with translation.override(language):
        for name, choices in _CHOICES.items():
            labels[name] = {value: str(label) for value, label in choices.choices}
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[tuple[int, list[Any]]]:
        tags: dict[int, list[str]] = {}
        for customer_id, name in Customer.tags.through.objects.filter(
            customer_id__in=[record["id"] for record in pending]
        ).values_list("customer_id", "tag__name").order_by("tag__name"):
            tags.setdefault(customer_id, []).append(name)
        for record in pending:
            cells: list[Any] = []
            for field in fields:
                if field == "tags":
                    cells.append("、".join(tags.get(record["id"], [])))
                    continue
                value = record[_VALUE_COLUMNS.get(field) or field]
                if value is None or field in withheld:
                    value = ""
                elif field in labels:
                    value = labels[field].get(value, value) if value else ""
                elif field == "industry" and value:
                    with translation.override(language):
                        value = industries.name(value)
                if masked and field in maskers and value:
                    value = maskers[field](str(value))
                cells.append(value)
            custom = record["custom_attributes"] or {}
            cells.extend(custom.get(attribute.key, "") for attribute in attributes)
            yield record["id"], cells
        pending.clear()

    for record in customers.values(*columns).iterator(chunk_size=batch):
        pending.append(record)
        if len(pending) >= batch:
            yield from flush()
    if pending:
        yield from flush()
