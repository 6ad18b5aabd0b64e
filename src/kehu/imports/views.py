"""Pages of the import wizard (upload → mapping → preview → run → progress → result) and the export of the customer
list. Thin: parse a form, call a service or selector, render. (The duplicates list and the merge are customers' pages:
:mod:`kehu.customers.merge_views`.)
"""

from __future__ import annotations

import contextlib
import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.pagination import CappedPaginator, capped_page
from kehu.core.registry import import_targets
from kehu.customers.merge import customer_may_merge
from kehu.org.models import User
from kehu.org.services import default_branch_for

from . import selectors, services
from .forms import ExportForm, MappingForm, StartForm, UploadForm, ValuesForm
from .models import ImportJob, ImportTarget

PREVIEW_ROWS = 20
ERRORS_PER_PAGE = 50


class AuthenticatedRequest(HttpRequest):
    user: User


def _may_import(user: User) -> bool:
    from kehu.org.selectors import user_is_read_only

    return not user_is_read_only(user) and any(
        user.has_perm(permission) for entry in import_targets.values() for permission in entry.permissions
    )


def _job_or_404(request: AuthenticatedRequest, pk: int) -> ImportJob:
    try:
        return selectors.import_job_get(user=request.user, pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404(_("No such import.")) from None


def _require_import(request: AuthenticatedRequest) -> None:
    if not _may_import(request.user):
        raise PermissionDenied(_("You may not import data."))


# ----------------------------------------------------------------------------------------------------- the wizard


@login_required
def job_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's imports, newest first."""
    page = capped_page(selectors.import_job_list(user=request.user), request.GET.get("page"))
    return render(request, "imports/job_list.html", {"page": page, "may_import": _may_import(request.user)})


def _store_upload(upload: Any) -> Path:
    """Keep the uploaded file under MEDIA_ROOT/imports/<random>/ (jobs read it again when resumed or reported)."""
    name = re.sub(r"[^\w.\-]+", "_", Path(upload.name).name)[-120:] or "upload"
    folder = Path(settings.MEDIA_ROOT) / "imports" / f"{timezone.now():%Y%m}" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedRequest) -> HttpResponse:
    """Step 1: upload a file; its columns are matched to fields and the mapping step opens."""
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None, mappings=selectors.import_mapping_list(),
                      initial={"target": request.GET.get("target", ImportTarget.CUSTOMERS)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        path = _store_upload(data["file"])
        try:
            job = services.import_job_create(
                target=data["target"], file_path=path, user=request.user, original_name=data["file"].name,
                encoding=data["encoding"], sheet=data["sheet"], mapping=data["mapping"],
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                for message in field_messages:
                    form.add_error("file" if field in {"file", "columns", "__all__"} else None, message)
            path.unlink(missing_ok=True)  # a refused upload is not kept (it may hold personal data)
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        else:
            return redirect("imports:mapping", pk=job.pk)
    return render(request, "imports/upload.html", {"form": form})


def _mapping_form(request: AuthenticatedRequest, job: ImportJob, data: Any = None) -> MappingForm:
    from kehu.org.selectors import branch_list

    target = services.target_class(job.target)(headers=list(job.headers), columns=list(job.column_map), key=job.key,
                                               actor=request.user, options=job.options)
    field_choices = [(name, str(spec.label)) for name, spec in target.specs.items()]
    key_labels = {name: str(target.specs[name].label) if name in target.specs else name for name in target.keys}
    if job.target != ImportTarget.CUSTOMERS:
        key_labels = {"code": _("Customer code"), "mobile": _("Mobile"), "credit_code": _("Credit code")}
    key_choices = [(key, key_labels.get(key, key)) for key in target.keys]
    return MappingForm(data, job=job, field_choices=field_choices, key_choices=key_choices,
                       branches=branch_list(user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def mapping(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Step 2: check or change which field each column goes to, the key and the mode."""
    job = _job_or_404(request, pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("imports:job", pk=job.pk)
    form = _mapping_form(request, job, request.POST or None)
    if request.method == "POST" and form.is_valid():
        options = dict(job.options or {})
        branch = form.cleaned_data.get("default_branch")
        if branch is None and job.target == ImportTarget.CUSTOMERS:
            # nothing chosen: the user's only branch, else the head office (made on a fresh installation)
            branch = default_branch_for(request.user)
        if branch is not None:
            options["default_branch"] = branch.pk
        else:
            options.pop("default_branch", None)
        options["clear_empty"] = bool(form.cleaned_data.get("clear_empty"))
        if job.target == ImportTarget.CUSTOMERS:
            options["kind"] = form.cleaned_data.get("kind") or "auto"
        if form.cleaned_data.get("save_as"):
            options["mapping_name"] = form.cleaned_data["save_as"]
        try:
            services.import_job_update_mapping(job=job, columns=form.columns(), key=form.cleaned_data["key"],
                                               mode=form.cleaned_data["mode"], options=options)
            if form.cleaned_data.get("save_as"):
                services.import_mapping_save(name=form.cleaned_data["save_as"], target=job.target,
                                             headers=list(job.headers), columns=form.columns(), key=job.key,
                                             user=request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            try:
                has_values = bool(services.import_value_fields(job=job))
            except ValidationError:
                has_values = False
            return redirect("imports:values" if has_values else "imports:preview", pk=job.pk)
    samples: list[list[Any]] = []
    try:
        samples = [values for _row, values in services.import_sample_rows(job=job, limit=3)]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    columns = []
    for index, name in enumerate(form.column_fields):
        columns.append((form[name], [row[index] if index < len(row) else "" for row in samples]))
    return render(request, "imports/mapping.html", {"job": job, "form": form, "columns": columns})


@login_required
@require_http_methods(["GET", "POST"])
def values(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Step 2b: confirm what each value of the choice columns becomes (levels → management class, deal statuses →
    lifecycle status, industries, account managers named in the file); optionally saved with the column mapping."""
    job = _job_or_404(request, pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("imports:job", pk=job.pk)
    try:
        value_fields = services.import_value_fields(job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:mapping", pk=job.pk)
    if not value_fields:
        return redirect("imports:preview", pk=job.pk)
    initial = {"save_as": (job.options or {}).get("mapping_name") or (job.mapping.name if job.mapping else "")}
    form = ValuesForm(request.POST or None, value_fields=value_fields, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_set_values(job=job, actor=request.user, values=form.values(),
                                           save_as=form.cleaned_data.get("save_as") or "")
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect("imports:preview", pk=job.pk)
    return render(request, "imports/values.html", {"job": job, "form": form, "groups": form.rows(),
                                                   "sample_rows": services.VALUE_SAMPLE_ROWS})


@login_required
@require_http_methods(["GET", "POST"])
def preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Step 3: the first rows as they will be stored, with their problems; then start the import."""
    job = _job_or_404(request, pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("imports:job", pk=job.pk)
    start_form = StartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and start_form.is_valid():
        if job.target == ImportTarget.CUSTOMERS:
            services.import_job_set_options(
                job=job, actor=request.user,
                options={"accept_name_changes": bool(start_form.cleaned_data.get("accept_name_changes"))})
        services.import_job_start(job=job, actor=request.user)
        return redirect("imports:job", pk=job.pk)
    try:
        rows = services.import_preview(job=job, limit=PREVIEW_ROWS)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:mapping", pk=job.pk)
    columns = services.import_mapped_labels(job=job)
    cells = [(row, [row.values.get(column, "") for column in columns]) for row in rows]
    return render(request, "imports/preview.html", {
        "job": job, "rows": cells, "columns": columns, "start_form": start_form,
        "renamed": [row for row in rows if row.renamed], "clear_empty": bool((job.options or {}).get("clear_empty")),
        "unused": services.import_unused_columns(job=job),
        "has_values": bool((job.options or {}).get("values")),
        "counts": {action: sum(1 for row in rows if row.action == action)
                   for action in ("created", "updated", "unchanged", "failed")},
    })


@login_required
def job_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Progress while the import runs (polled with HTMX), then the result with the rows that were not stored."""
    job = _job_or_404(request, pk)
    errors = CappedPaginator(selectors.import_row_errors(job=job), ERRORS_PER_PAGE,
                             page_hint=request.GET.get("page")).get_page(request.GET.get("page"))
    warnings = list(selectors.import_row_warnings(job=job)[:ERRORS_PER_PAGE]) if job.is_finished else []
    context = {"job": job, "errors": errors, "warnings": warnings,
               "unused": services.import_unused_columns(job=job),
               "unmatched": selectors.import_unmatched_values(job=job) if job.is_finished else {},
               "may_merge": customer_may_merge(user=request.user),
               "interrupted": selectors.import_job_interrupted(job)}
    if request.headers.get("HX-Request"):
        return render(request, "imports/_progress.html", context)
    return render(request, "imports/job.html", context)


@login_required
def error_report(request: AuthenticatedRequest, pk: int, file_format: str) -> HttpResponseBase:
    """The rows that were not stored, in the file's own columns plus row and error: fix and import again."""
    import tempfile

    job = _job_or_404(request, pk)
    if file_format not in {"csv", "xlsx"}:
        raise Http404
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        services.import_error_report(job=job, out=handle, file_format=file_format,
                                     language=translation.get_language())
    except ValidationError as error:
        handle.close()
        messages.error(request, " ".join(error.messages))
        return redirect("imports:job", pk=job.pk)
    handle.seek(0)
    stem = Path(job.original_name or "import").stem
    return FileResponse(handle, as_attachment=True, filename=f"{stem}-{_('errors')}.{file_format}")


# ---------------------------------------------------------------------------------------------------------- export


@login_required
@require_http_methods(["GET", "POST"])
def export(request: AuthenticatedRequest) -> HttpResponseBase:
    """Export the customer list with the filters it was showing (the same query string) to XLSX or CSV."""
    from kehu.customers.forms import CustomerFilterForm

    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not export customers."))
    filter_form = CustomerFilterForm(request.GET or None, user=request.user)
    filters = filter_form.filters()
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        import tempfile

        file_format = form.cleaned_data["file_format"]
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        try:
            count = services.customer_export(
                user=request.user, out=handle, file_format=file_format, filters=filters,
                include_personal_data=bool(form.cleaned_data.get("include_personal_data")),
                reason=form.cleaned_data.get("reason") or _("Export of the customer list"),
                ip_address=request.META.get("REMOTE_ADDR") or None,
            )
        except ValidationError as error:
            handle.close()
            for message in error.messages:
                form.add_error(None, message)
        else:
            handle.seek(0)
            response = FileResponse(handle, as_attachment=True,
                                    filename=f"{_('customers')}-{timezone.localdate():%Y%m%d}.{file_format}")
            response["X-Kehu-Exported"] = str(count)
            return response
    count = selectors.customer_export_queryset(user=request.user, filters=filters).count()
    return render(request, "imports/export.html", {"form": form, "count": count,
                                                   "query": request.GET.urlencode()})


@require_POST
@login_required
def job_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Start a waiting job, or resume one whose worker died (from its checkpoint), in the background worker."""
    job = _job_or_404(request, pk)
    services.import_job_start(job=job, actor=request.user)
    return redirect("imports:job", pk=job.pk)


@require_POST
@login_required
def job_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Cancel a job that is not running; its uploaded file is deleted."""
    job = _job_or_404(request, pk)
    try:
        services.import_job_cancel(job=job, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:job", pk=job.pk)
