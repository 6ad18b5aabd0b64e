"""The shared work machinery every module uses: tasks, approvals and notifications.

``kehu.work`` sits above ``customers`` and below the modules (relations, sales, service, loyalty, credit...): a module
creates tasks with ``work.services.task_create(source=...)``, asks for approvals with ``approval_submit`` on a kind it
registered (``work.registry``), and notifies users with ``notification_send``; ``work`` knows none of them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import Branch, User


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user: User, action: str = "view") -> TaskQuerySet:
        """Row-level scope of tasks. ``view``: administrators and auditors all; branch managers the tasks of their
        branches and below and their own; everyone else the tasks they own or created. ``change``: the same without
        auditors (read-only) and without the tasks one only created."""
        from kehu.org.roles import SCOPE_CHANGE_ROLES, Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        roles = user_roles(user)
        if action != "view" and user_is_read_only(user):
            return self.none()
        if Role.ADMINISTRATOR in roles or (action == "view" and Role.AUDITOR in roles):
            return self
        if roles & SCOPE_CHANGE_ROLES:
            ids = branch_ids_in_scope(user) or []
            return self.filter(Q(branch_id__in=ids) | Q(owner=user))
        if action == "view":
            return self.filter(Q(owner=user) | Q(created_by=user))
        return self.filter(owner=user)


class Task(models.Model):
    """One thing someone has to do, for every module: a follow-up call, a visit, a ticket action, a credit review,
    a line of a campaign's call list. ``kind`` is a registered task kind (``work.registry.task_kinds``); ``source``
    (content type and id) names the record that made the task (a contact's next step, a plan's action, a ticket),
    so a module finds its tasks without ``work`` knowing the module. ``branch`` decides who sees it (the customer's
    home branch, else the owner's first branch)."""

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        DONE = "done", pgettext_lazy("task status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("type"), max_length=32, default="follow_up")
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, default="", max_length=5000)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="tasks", db_index=False)  # task_customer_idx
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)  # task_branch_idx
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="tasks", db_index=False)  # task_owner_idx
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)  # task_created_by_idx
    due_date = models.DateField(_("due date"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    db_index=False)  # task_source_idx
    source_id = models.BigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    outcome = models.TextField(_("outcome"), blank=True, default="", max_length=5000)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+",
                                     db_index=False)  # task_completed_by_idx
    # the day a set-based run (cadences) marked this open task overdue; cleared when its due date moves
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    # a key naming what the task is for (a cadence rule and customer): at most one *open* task per key, so a
    # set-based writer inserts with ON CONFLICT DO NOTHING and a rerun creates nothing new
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="task_owner_idx"),
            models.Index(fields=["branch", "status", "due_date"], name="task_branch_idx"),
            models.Index(fields=["customer", "status"], name="task_customer_idx"),
            models.Index(fields=["source_type", "source_id"], name="task_source_idx"),
            # behind the users' foreign keys (a deleted user's SET NULL), partial: set-based writers (cadences)
            # insert tasks by the hundred thousand with neither set, and a full index took an entry for each
            models.Index(fields=["created_by"], name="task_created_by_idx", condition=Q(created_by__isnull=False)),
            models.Index(fields=["completed_by"], name="task_completed_by_idx",
                         condition=Q(completed_by__isnull=False)),
        ]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], condition=Q(status="open"),
                                               name="task_open_dedupe_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        from .registry import task_kind_label

        return task_kind_label(self.kind)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, today: Any = None) -> bool:
        from django.utils import timezone

        return self.is_open and self.due_date < (today or timezone.localdate())


class ApprovalAuthority(models.Model):
    """Who may approve what, up to which amount: a role (group name) or one user, for one approval kind (empty: every
    kind). ``max_amount`` empty means no limit. When no row names a user or their roles for a kind, the defaults the
    kind registered apply (``work.registry.ApprovalKind.default_authority``)."""

    kind = models.CharField(_("approval kind"), max_length=48, blank=True, default="")
    role = models.CharField(_("role"), max_length=32, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    max_amount = models.DecimalField(_("up to amount"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("approval authority")
        verbose_name_plural = _("approval authorities")
        constraints = [models.CheckConstraint(condition=~Q(role="") | Q(user__isnull=False),
                                              name="approval_authority_role_or_user")]

    def __str__(self) -> str:
        return f"{self.kind or '*'}: {self.user or self.role} ≤ {self.max_amount or '∞'}"


class ApprovalQuerySet(models.QuerySet["Approval"]):
    def visible_to(self, user: User) -> ApprovalQuerySet:
        """Administrators and auditors all; others the approvals of their branches and below, and their own."""
        from kehu.org.selectors import branch_ids_in_scope

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        ids = branch_ids_in_scope(user)
        return self if ids is None else self.filter(Q(branch_id__in=ids) | Q(submitted_by=user))


class Approval(models.Model):
    """A request for a decision on a record of some module (its ``subject``): a maintenance plan, a campaign, a credit
    line, a compensation. ``kind`` is a registered approval kind (who may decide it, up to which amount, what happens
    on the decision); ``amount`` is what is asked for (a budget, a credit limit) and is checked against the
    approver's authority. A rejected request may be submitted again: the same row, its ``decisions`` the history."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("approval kind"), max_length=48)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    subject_id = models.BigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)  # approval_branch_idx
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, default="", max_length=5000)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [models.Index(fields=["branch", "status"], name="approval_branch_idx"),
                   models.Index(fields=["subject_type", "subject_id"], name="approval_subject_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        from .registry import approval_kinds

        kind = approval_kinds.get(self.kind)
        return str(kind.label) if kind else self.kind

    @property
    def subject_url(self) -> str:
        """The page of the record waiting for the decision (a plan, a compensation's ticket, an article), from the
        kind's registered ``url``: a callable of the approval, or a pattern naming ``{subject_id}``,
        ``{customer_id}`` or ``{pk}``; empty when the kind has none or the record is gone."""
        from django.core.exceptions import ObjectDoesNotExist
        from django.urls import NoReverseMatch

        from .registry import approval_kinds

        kind = approval_kinds.get(self.kind)
        if kind is None or not kind.url:
            return ""
        if isinstance(kind.url, str):
            return kind.url.format(subject_id=self.subject_id, customer_id=self.customer_id or "", pk=self.pk)
        try:
            return kind.url(self) or ""
        except (ObjectDoesNotExist, NoReverseMatch):
            return ""


class ApprovalDecision(models.Model):
    """One step of an approval's history (submitted, approved, rejected, withdrawn), never changed."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.BigAutoField(primary_key=True)
    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, default="", max_length=5000)
    occurred_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.approval_id} {self.action}"


class Notification(models.Model):
    """One message in a user's inbox: an alert, a task due, an approval waiting, a decision. ``kind`` is a registered
    notification kind; ``url`` the page it is about. Sent by e-mail too when the user chose that kind
    (``NotificationSetting``)."""

    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  db_index=False)  # notification_inbox_idx
    kind = models.CharField(_("kind"), max_length=48)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, default="")
    url = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("time"), db_default=Now())
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # a key that makes a repeated notification (the daily "tasks due") a no-op: unique per recipient
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx")]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_dedupe_unique",
                                               condition=Q(dedupe_key__isnull=False))]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        from .registry import notification_kinds

        kind = notification_kinds.get(self.kind)
        return str(kind.label) if kind else self.kind


class NotificationSetting(models.Model):
    """A user's choice to receive one kind of notification by e-mail as well (the inbox always has them)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=48)
    by_email = models.BooleanField(_("by e-mail"), default=False)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.by_email}"
