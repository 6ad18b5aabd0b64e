"""Import jobs, their row errors and saved column mappings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportTarget(models.TextChoices):
    """The targets known when the job table was made (the column's choices); the engine finds a job's target through
    ``kehu.core.registry.import_targets``, which the app owning the entity fills."""

    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    TRANSACTIONS = "transactions", _("Transactions")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all-or-nothing", _("All or nothing: one bad row and nothing is stored")
    SKIP_BAD = "skip-bad", _("Skip bad rows: store the good rows, report the bad ones")


class ImportMapping(models.Model):
    """A saved column mapping: which file column (by header) goes to which field, reusable for the next file.

    ``columns`` maps a header as it appears in the file to a field name of the target (``""`` ignores the column);
    custom attributes are ``custom:<key>``. ``values`` maps cell values of choice fields (a level, a deal status, an
    owner's name) onto Kehu's values, as the user confirmed them.
    """

    name = models.CharField(_("name"), max_length=100)
    target = models.CharField(_("what is imported"), max_length=16, choices=ImportTarget.choices)
    columns = models.JSONField(_("columns"), default=dict)
    key = models.CharField(_("key"), max_length=20, blank=True, default="")
    # confirmed value mappings: {field: {value as written in the file: stored value}} (levels, statuses, owners…)
    values = models.JSONField(_("values"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["target", "name"]
        constraints = [models.UniqueConstraint(fields=["target", "name"], name="unique_import_mapping_name")]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One import of one file, run in chunks by :func:`kehu.imports.pipeline.import_run`.

    ``checkpoint_row`` is the file row number up to which everything is committed (skip-bad mode commits per chunk
    together with the counters and row errors), so an interrupted job resumes after it without storing a row twice.
    The import is audited through this record: who imported which file, when, and what it created/updated; the
    history records written for each customer carry the job number as their change reason.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected: nothing stored")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    target = models.CharField(_("what is imported"), max_length=16, choices=ImportTarget.choices)
    file_path = models.CharField(_("file"), max_length=500)
    original_name = models.CharField(_("file name"), max_length=255, blank=True, default="")
    file_size = models.BigIntegerField(default=0)
    file_fingerprint = models.CharField(max_length=64, blank=True, default="")
    encoding = models.CharField(_("encoding"), max_length=16, default="auto")
    detected_encoding = models.CharField(max_length=32, blank=True, default="")
    sheet = models.CharField(_("sheet"), max_length=100, blank=True, default="")
    mapping = models.ForeignKey(ImportMapping, verbose_name=_("import mapping"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="jobs")
    headers = models.JSONField(default=list, blank=True)
    column_map = models.JSONField(default=list, blank=True)
    key = models.CharField(_("key"), max_length=20)
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    options = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=16, blank=True, default="")

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    checkpoint_row = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True, default="")  # in the language the job ran in
    # why the job failed as codes with parameters (kehu.core.messages), shown in the reader's language
    error_codes = models.JSONField(null=True, blank=True)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="import_jobs")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # written as chunks are committed: a job checking or importing whose heartbeat is older than
    # KEHU_JOB_HEARTBEAT_TIMEOUT and whose run lock nobody holds was left by a worker that died
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # the uploaded file (personal data) is deleted when the job ends; the rows that were not stored are kept in an
    # error file for KEHU_IMPORT_ERROR_FILE_DAYS days
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    error_file_path = models.CharField(max_length=500, blank=True, default="")
    error_file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.target} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.REJECTED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def is_active(self) -> bool:
        """Checking or importing (perhaps by a worker that died: see ``selectors.import_job_interrupted``)."""
        return self.status in {self.Status.VALIDATING, self.Status.RUNNING}

    @property
    def error_file_expires_at(self) -> Any:
        """When the error file will be deleted (None when there is none)."""
        if not self.error_file_path or self.error_file_deleted_at or self.finished_at is None:
            return None
        return self.finished_at + dt.timedelta(days=settings.KEHU_IMPORT_ERROR_FILE_DAYS)

    @property
    def error_text(self) -> str:
        """Why the job failed, in the active language (as written when it was not stored as codes)."""
        from kehu.core.messages import render

        if self.error_codes:
            return " ".join(render(code) for code in self.error_codes)
        return self.error_message

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    def summary_line(self) -> str:
        """The last line the command prints; a contract with scripts, so not translated."""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, failed {self.failed}"


class ImportRowError(models.Model):
    """One problem with one row of an import file: row number as the user sees it, column, value and reason."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True, default="")
    value = models.TextField(_("value"), blank=True, default="")
    # the reason as written in the importer's language (shown as it is for rows stored before ``message``)
    reason = models.TextField(_("reason"))
    # the reason as a code with parameters (kehu.core.messages), shown in the reader's language
    message = models.JSONField(_("reason code"), null=True, blank=True)
    is_warning = models.BooleanField(
        _("warning"), default=False,
        help_text=_("A warning (the row was stored, e.g. it looks like a customer already stored), not an error."),
    )

    class Meta:
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="import_error_job_row_idx")]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.text}"

    @property
    def text(self) -> str:
        """The reason in the active language (the stored text when the row has no code)."""
        from kehu.core.messages import render

        return render(self.message, self.reason)
