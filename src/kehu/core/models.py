"""The database task queue: where tasks wait for the background worker when no Celery broker is configured."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QueuedTask(models.Model):
    """One call of a Celery task (by its registered name) waiting for, or taken by, ``kehu worker``.

    Only used without ``KEHU_REDIS_URL``; see :mod:`kehu.core.queue`. A worker takes the oldest queued row
    atomically (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional ``UPDATE`` on SQLite), so two
    workers never run the same task.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    worker = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "id"], name="queued_task_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} {self.status}"
