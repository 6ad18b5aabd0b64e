"""Writes of the work machinery: tasks, approvals and notifications. Every module calls these; see
docs/architecture.md ("The work machinery")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core import validators
from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import User
from kehu.org.selectors import branch_ids_in_scope, staff_list, user_is_read_only, user_roles

from .exceptions import RecordChangedError
from .models import Approval, ApprovalAuthority, ApprovalDecision, Notification, NotificationSetting, Task
from .registry import approval_kinds, completion_recorders, notification_kinds, task_kinds

TITLE_MAX = 200
TEXT_MAX = 5000


def _check_text(errors: dict[str, list[str]], name: str, value: str, limit: int, *, required: bool = False) -> None:
    if required and not (value or "").strip():
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(value or "") > limit:
        errors.setdefault(name, []).append(_("At most %(limit)d characters.") % {"limit": limit})


def _check_due(errors: dict[str, list[str]], due_date: dt.date | None) -> None:
    if due_date is None:
        errors.setdefault("due_date", []).append(_("This field is required."))
        return
    try:
        validators.validate_business_date(due_date)
    except ValidationError as error:
        errors.setdefault("due_date", []).extend(error.messages)


def _owner_allowed(actor: User | None, owner: User) -> bool:
    """An owner must be active staff in the actor's scope (or the actor); the system (no actor) may pick anyone."""
    if not owner.is_active:
        return False
    if actor is None or owner.pk == actor.pk:
        return True
    return staff_list(user=actor).filter(pk=owner.pk).exists()


# --- tasks -----------------------------------------------------------------------------------------------------------


def task_activity_data(task: Task, action: str, **extra: Any) -> dict[str, Any]:
    """What the timeline shows of a task event."""
    return {"action": action, "title": task.title, "task_kind": task.kind, "due_date": task.due_date.isoformat(),
            "owner": str(task.owner) if task.owner_id else "", **extra}


def _may_create_tasks(actor: User) -> bool:
    return actor.has_perm("work.add_task") and not user_is_read_only(actor)


@transaction.atomic
def task_create(*, actor: User | None, title: str, due_date: dt.date, owner: User | None = None,
                kind: str = "follow_up", customer: Customer | None = None, priority: int = Task.Priority.NORMAL,
                notes: str = "", source: Any = None) -> Task:
    """Create a task (``actor`` None: the system, e.g. a cadence run). The owner defaults to the actor, else the
    customer's account manager; it must be staff in the actor's scope. A customer must be one the actor may see. A
    task of a customer goes on its timeline; an owner other than the actor is notified."""
    if actor is not None:
        if not _may_create_tasks(actor):
            raise PermissionDenied(_("You do not have permission to create tasks."))
        if customer is not None and not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
            raise PermissionDenied(_("You may not see this customer."))
    owner = owner or actor or (customer.owner if customer is not None else None)
    errors: dict[str, list[str]] = {}
    if owner is None:
        errors["owner"] = [_("Say who is to do this task.")]
    elif not _owner_allowed(actor, owner):
        errors["owner"] = [_("Choose an active member of staff in your branches.")]
    if kind not in task_kinds:
        errors["kind"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if priority not in Task.Priority.values:
        errors["priority"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    _check_text(errors, "title", title, TITLE_MAX, required=True)
    _check_text(errors, "notes", notes, TEXT_MAX)
    _check_due(errors, due_date)
    if errors:
        raise ValidationError(errors)
    assert owner is not None
    branch_id = customer.branch_id if customer is not None else owner.branches.values_list("pk", flat=True).first()
    task = Task.objects.create(
        kind=kind, title=title.strip(), notes=notes, customer=customer, branch_id=branch_id, owner=owner,
        created_by=actor, due_date=due_date, priority=priority,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=getattr(source, "pk", None),
    )
    if customer is not None:
        activity_record(customer=customer, kind="task", actor=actor, subject=task,
                        data=task_activity_data(task, "created"))
    if actor is None or owner.pk != actor.pk:
        notification_send(recipients=[owner], kind="task_assigned",
                          title=_task_message(gettext_lazy("New task: %(title)s"), task),
                          body=_task_body(task), url=task_url(task))
    return task


def task_bulk_create(*, tasks: list[Task], batch_size: int = 2000) -> int:
    """Insert many tasks (already checked; demo and cadence runs), each with its timeline row, in bulk."""
    now = timezone.now()
    # when each task was made (the demo and imports give past times; bulk_create sets created_at to now)
    made = [task.created_at or now for task in tasks]
    with transaction.atomic():
        Task.objects.bulk_create(tasks, batch_size=batch_size)
        activity_record_bulk(
            ({"customer_id": task.customer_id, "kind": "task", "occurred_at": when,
              "actor_id": task.created_by_id, "branch_id": task.branch_id, "subject_type": "work.task",
              "subject_id": task.pk, "data": {"action": "created", "title": task.title, "task_kind": task.kind,
                                              "due_date": task.due_date.isoformat()}}
             for task, when in zip(tasks, made, strict=True) if task.customer_id is not None), batch_size=batch_size)
    return len(tasks)


def task_url(task: Task) -> str:
    from django.urls import reverse

    return reverse("work:task", args=[task.pk])


def _task_message(template: Any, task: Task) -> str:
    return str(template) % {"title": task.title}


def _task_body(task: Task) -> str:
    parts = [_("Due %(date)s") % {"date": task.due_date.isoformat()}]
    if task.customer_id is not None:
        parts.append(_("Customer: %(name)s") % {"name": task.customer.name if task.customer else ""})
    return " · ".join(parts)


def _locked_task(*, actor: User, task: Task, expected_version: int | None) -> Task:
    """The task, locked, if the actor may change it (else 404 for a task out of scope, 403 for read-only)."""
    if user_is_read_only(actor) or not actor.has_perm("work.change_task"):
        raise PermissionDenied(_("You do not have permission to change tasks."))
    current = Task.objects.visible_to(actor, "change").select_for_update().filter(pk=task.pk).first()
    if current is None:
        if Task.objects.visible_to(actor).filter(pk=task.pk).exists():
            raise PermissionDenied(_("You may not change this task."))
        raise Task.DoesNotExist
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    return current


@transaction.atomic
def task_update(*, actor: User, task: Task, expected_version: int | None = None, **changes: Any) -> Task:
    """Change a task's title, notes, due date, priority or kind (``expected_version``: refuse a stale write)."""
    current = _locked_task(actor=actor, task=task, expected_version=expected_version)
    allowed = {"title", "notes", "due_date", "priority", "kind"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"task_update: unknown fields {sorted(unknown)}")
    if "due_date" in changes and changes["due_date"] != current.due_date:
        current.overdue_since = None  # a new due date: the next run judges it again
    for name, value in changes.items():
        setattr(current, name, value)
    errors: dict[str, list[str]] = {}
    _check_text(errors, "title", current.title, TITLE_MAX, required=True)
    _check_text(errors, "notes", current.notes, TEXT_MAX)
    _check_due(errors, current.due_date)
    if current.kind not in task_kinds:
        errors["kind"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if current.priority not in Task.Priority.values:
        errors["priority"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if errors:
        raise ValidationError(errors)
    current.version += 1
    current.save()
    return current


@transaction.atomic
def task_reassign(*, actor: User, task: Task, owner: User, expected_version: int | None = None) -> Task:
    """Give an open task to another member of staff in the actor's scope; the new owner is notified."""
    current = _locked_task(actor=actor, task=task, expected_version=expected_version)
    if not current.is_open:
        raise ValidationError({"owner": [_("Only open tasks can be reassigned.")]})
    if not _owner_allowed(actor, owner):
        raise ValidationError({"owner": [_("Choose an active member of staff in your branches.")]})
    if owner.pk == current.owner_id:
        return current
    previous = str(current.owner)
    current.owner = owner
    current.version += 1
    current.save()
    if current.customer_id is not None:
        activity_record(customer=current.customer_id, kind="task", actor=actor, branch_id=current.branch_id,
                        subject=current, data=task_activity_data(current, "reassigned", previous_owner=previous))
    if owner.pk != actor.pk:
        notification_send(recipients=[owner], kind="task_assigned",
                          title=_task_message(gettext_lazy("Task handed to you: %(title)s"), current),
                          body=_task_body(current), url=task_url(current))
    return current


@transaction.atomic
def task_complete(*, actor: User, task: Task, outcome: str, channel: str = "", satisfaction: int | None = None,
                  expected_version: int | None = None) -> tuple[Task, list[Any]]:
    """Complete an open task with its outcome. In the same transaction each registered completion recorder writes
    what it keeps of it (``relations``: a contact record with the outcome as summary, when the task has a customer).
    Returns the task and what the recorders wrote."""
    current = _locked_task(actor=actor, task=task, expected_version=expected_version)
    errors: dict[str, list[str]] = {}
    if not current.is_open:
        errors["status"] = [_("This task is already closed.")]
    _check_text(errors, "outcome", outcome, TEXT_MAX, required=True)
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Give a satisfaction from 1 to 5.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    current.status = Task.Status.DONE
    current.outcome = outcome.strip()
    current.completed_at = now
    current.completed_by = actor
    current.version += 1
    current.save()
    written = []
    for recorder in completion_recorders.values():
        record = recorder.record(task=current, actor=actor, outcome=current.outcome, channel=channel,
                                 satisfaction=satisfaction)
        if record is not None:
            written.append(record)
    if current.customer_id is not None:
        activity_record(customer=current.customer_id, kind="task", actor=actor, branch_id=current.branch_id,
                        subject=current, occurred_at=now, data=task_activity_data(current, "completed"))
    return current, written


@transaction.atomic
def task_cancel(*, actor: User, task: Task, expected_version: int | None = None) -> Task:
    current = _locked_task(actor=actor, task=task, expected_version=expected_version)
    if not current.is_open:
        raise ValidationError({"status": [_("This task is already closed.")]})
    current.status = Task.Status.CANCELLED
    current.completed_at = timezone.now()
    current.completed_by = actor
    current.version += 1
    current.save()
    if current.customer_id is not None:
        activity_record(customer=current.customer_id, kind="task", actor=actor, branch_id=current.branch_id,
                        subject=current, data=task_activity_data(current, "cancelled"))
    return current


def tasks_due_notify(*, as_of: dt.date | None = None) -> int:
    """One inbox message per owner with open tasks due on ``as_of`` or overdue ("You have N tasks due"), at most
    once per owner and day (a rerun sends nothing new). Counted in one grouped query."""
    day = as_of or timezone.localdate()
    counts = (Task.objects.filter(status=Task.Status.OPEN, due_date__lte=day, owner__is_active=True)
              .values("owner_id").annotate(due=Count("pk", filter=Q(due_date=day)),
                                           overdue=Count("pk", filter=Q(due_date__lt=day))))
    owners = {row["owner_id"]: row for row in counts}
    if not owners:
        return 0
    from django.urls import reverse

    with transaction.atomic():
        users = User.objects.in_bulk(list(owners))
        sent = 0
        for owner_id, row in owners.items():
            sent += notification_send(
                recipients=[users[owner_id]], kind="tasks_due", url=reverse("work:my_work"),
                title=_("Tasks due today: %(due)d, overdue: %(overdue)d") % row,
                dedupe_key=f"tasks-due:{day.isoformat()}")
    return sent


# --- approvals -------------------------------------------------------------------------------------------------------


def approval_authority(*, user: User, kind: str) -> tuple[bool, Decimal | None]:
    """Whether ``user`` may approve requests of ``kind`` at all, and up to which amount (None: no limit).

    ``work.ApprovalAuthority`` rows naming the user, else rows naming one of the user's roles, decide; without any,
    the kind's registered ``default_authority`` per role. Of several, the largest limit counts."""
    registered = approval_kinds.get(kind)
    if registered is None or not user.is_active or user_is_read_only(user):
        return False, None
    roles = user_roles(user)
    rows = list(ApprovalAuthority.objects.filter(Q(kind=kind) | Q(kind="")).filter(Q(user=user) | Q(role__in=roles))
                .values_list("user_id", "max_amount"))
    personal = [amount for user_id, amount in rows if user_id == user.pk]
    limits = personal or [amount for user_id, amount in rows if user_id is None]
    if not limits:
        limits = [registered.default_authority[role] for role in roles if role in registered.default_authority]
    if not limits:
        return False, None
    if any(limit is None for limit in limits):
        return True, None
    return True, max(limit for limit in limits if limit is not None)


def approval_may_decide(*, user: User, approval: Approval,
                        authorities: dict[str, tuple[bool, Decimal | None]] | None = None) -> bool:
    """Someone with authority for the kind and the amount, in the approval's branch scope, not its submitter.
    ``authorities`` caches the user's authority per kind when many approvals are checked."""
    if approval.status != Approval.Status.PENDING or approval.submitted_by_id == user.pk:
        return False
    ids = branch_ids_in_scope(user)
    if ids is not None and approval.branch_id not in ids:
        return False
    if authorities is None:
        authorities = {}
    if approval.kind not in authorities:
        authorities[approval.kind] = approval_authority(user=user, kind=approval.kind)
    allowed, limit = authorities[approval.kind]
    if not allowed:
        return False
    return limit is None or approval.amount is None or approval.amount <= limit


def approval_approvers(*, approval: Approval) -> list[User]:
    """The staff who may decide this approval (to be told it is waiting)."""
    from kehu.org.roles import GLOBAL_VIEW_ROLES

    candidates = User.objects.filter(is_active=True).exclude(pk=approval.submitted_by_id).prefetch_related("groups")
    if approval.branch_id is not None:
        path = approval.branch.path if approval.branch else ""
        prefixes = [path[: index + 1] for index, char in enumerate(path) if char == "/" and index > 0]
        candidates = candidates.filter(Q(branches__path__in=prefixes) | Q(is_superuser=True)
                                       | Q(groups__name__in=sorted(GLOBAL_VIEW_ROLES)))
    return [user for user in candidates.distinct() if approval_may_decide(user=user, approval=approval)]


def approval_activity_data(approval: Approval, action: str, actor: User | None) -> dict[str, Any]:
    return {"action": action, "title": approval.title, "approval_kind": approval.kind,
            "amount": str(approval.amount) if approval.amount is not None else None,
            "comment": approval.comment if action != "submitted" else "", "by": str(actor) if actor else ""}


def approval_url(approval: Approval) -> str:
    from django.urls import reverse

    return reverse("work:approval", args=[approval.pk])


@transaction.atomic
def approval_submit(*, actor: User, kind: str, subject: Any, title: str, amount: Decimal | None = None,
                    customer: Customer | None = None, branch: Any = None, comment: str = "") -> Approval:
    """Ask for a decision on ``subject`` (a module's record). The module has checked that the actor may submit it.
    A subject already waiting cannot be submitted again; a rejected or withdrawn one is submitted again on the same
    approval (its history continues). The staff who may decide it are notified."""
    if kind not in approval_kinds:
        raise ValidationError({"kind": [_("Select a valid choice. That choice is not one of the available choices.")]})
    if user_is_read_only(actor):
        raise PermissionDenied(_("You do not have permission to submit this."))
    errors: dict[str, list[str]] = {}
    _check_text(errors, "title", title, TITLE_MAX, required=True)
    _check_text(errors, "comment", comment, TEXT_MAX)
    if amount is not None and (amount < 0 or amount >= Decimal("1e12")):
        errors["amount"] = [_("Give an amount from 0 to 999,999,999,999.99.")]
    if errors:
        raise ValidationError(errors)
    content_type = ContentType.objects.get_for_model(subject)
    now = timezone.now()
    approval = (Approval.objects.select_for_update()
                .filter(subject_type=content_type, subject_id=subject.pk, kind=kind).first())
    if approval is not None and approval.status in (Approval.Status.PENDING, Approval.Status.APPROVED):
        raise ValidationError({"status": [_("This has already been submitted.")]})
    if approval is None:
        approval = Approval(kind=kind, subject_type=content_type, subject_id=subject.pk)
    else:
        approval.version += 1
    approval.title = title.strip()
    approval.amount = amount
    approval.customer = customer
    approval.branch = branch if branch is not None else (customer.branch if customer is not None else None)
    approval.status = Approval.Status.PENDING
    approval.submitted_by = actor
    approval.submitted_at = now
    approval.decided_by = None
    approval.decided_at = None
    approval.comment = ""
    approval.save()
    ApprovalDecision.objects.create(approval=approval, action=ApprovalDecision.Action.SUBMITTED, actor=actor,
                                    amount=amount, comment=comment, occurred_at=now)
    if customer is not None:
        activity_record(customer=customer, kind="approval", actor=actor, occurred_at=now, subject=approval,
                        data=approval_activity_data(approval, "submitted", actor))
    notification_send(recipients=approval_approvers(approval=approval), kind="approval_waiting",
                      title=_("Waiting for your approval: %(title)s") % {"title": approval.title},
                      body=_("Submitted by %(user)s") % {"user": actor}, url=approval_url(approval))
    return approval


@transaction.atomic
def approval_decide(*, actor: User, approval: Approval, approve: bool, comment: str = "",
                    expected_version: int | None = None) -> Approval:
    """Approve or reject a waiting request, by someone with authority for its kind and amount in its branch (not the
    submitter). A rejection needs a comment. The module's ``on_decided`` runs in this transaction; the submitter is
    notified."""
    current = Approval.objects.visible_to(actor).select_for_update().filter(pk=approval.pk).first()
    if current is None:
        raise Approval.DoesNotExist
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    if current.status != Approval.Status.PENDING:
        raise ValidationError({"status": [_("This request has already been decided.")]})
    if not approval_may_decide(user=actor, approval=current):
        raise PermissionDenied(_("You may not decide this request (authority, amount or your own request)."))
    errors: dict[str, list[str]] = {}
    _check_text(errors, "comment", comment, TEXT_MAX, required=not approve)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    action = ApprovalDecision.Action.APPROVED if approve else ApprovalDecision.Action.REJECTED
    current.status = Approval.Status.APPROVED if approve else Approval.Status.REJECTED
    current.decided_by = actor
    current.decided_at = now
    current.comment = comment.strip()
    current.version += 1
    current.save()
    ApprovalDecision.objects.create(approval=current, action=action, actor=actor, amount=current.amount,
                                    comment=current.comment, occurred_at=now)
    kind = approval_kinds[current.kind]
    if kind.on_decided is not None:
        kind.on_decided(approval=current, action=str(action))
    if current.customer_id is not None:
        activity_record(customer=current.customer_id, kind="approval", actor=actor, occurred_at=now,
                        branch_id=current.branch_id, subject=current,
                        data=approval_activity_data(current, str(action), actor))
    title = (_("Approved: %(title)s") if approve else _("Rejected: %(title)s")) % {"title": current.title}
    notification_send(recipients=[current.submitted_by], kind="approval_decided", title=title,
                      body=current.comment, url=approval_url(current))
    return current


@transaction.atomic
def approval_withdraw(*, actor: User, approval: Approval, comment: str = "") -> Approval:
    current = Approval.objects.select_for_update().get(pk=approval.pk)
    if current.submitted_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who submitted it may withdraw it."))
    if current.status != Approval.Status.PENDING:
        raise ValidationError({"status": [_("This request has already been decided.")]})
    now = timezone.now()
    current.status = Approval.Status.WITHDRAWN
    current.version += 1
    current.save()
    ApprovalDecision.objects.create(approval=current, action=ApprovalDecision.Action.WITHDRAWN, actor=actor,
                                    amount=current.amount, comment=comment, occurred_at=now)
    kind = approval_kinds[current.kind]
    if kind.on_decided is not None:
        kind.on_decided(approval=current, action=str(ApprovalDecision.Action.WITHDRAWN))
    return current


# --- notifications ---------------------------------------------------------------------------------------------------


def notification_send(*, recipients: Iterable[User], kind: str, title: str, body: str = "", url: str = "",
                      dedupe_key: str | None = None) -> int:
    """Put a message in each recipient's inbox (one INSERT) and e-mail it to those who chose this kind by e-mail
    (after the commit, outside the request: ``kehu.core.queue``). With ``dedupe_key`` a recipient who already has a
    message with that key gets nothing new. Returns the number of messages written."""
    if kind not in notification_kinds:
        raise ValueError(f"notification kind {kind!r} is not registered")
    people = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not people:
        return 0
    if dedupe_key:
        already = set(Notification.objects.filter(recipient_id__in=list(people), dedupe_key=dedupe_key)
                      .values_list("recipient_id", flat=True))
        people = {pk: user for pk, user in people.items() if pk not in already}
    title = str(title)[:TITLE_MAX]
    rows = [Notification(recipient_id=pk, kind=kind, title=title, body=str(body)[:TEXT_MAX], url=url[:300],
                         dedupe_key=dedupe_key, created_at=timezone.now()) for pk in people]
    Notification.objects.bulk_create(rows)
    by_email = notification_email_recipients(kind=kind, user_ids=list(people))
    ids = [row.pk for row in rows if row.recipient_id in by_email and row.pk is not None]
    if not ids and by_email:  # a backend that does not return ids from a bulk insert
        ids = list(Notification.objects.filter(recipient_id__in=by_email, kind=kind, title=title, emailed_at=None)
                   .values_list("pk", flat=True))
    if ids:
        from kehu.core.queue import dispatch

        from .tasks import send_notification_emails_task

        dispatch(send_notification_emails_task, ids)
    return len(rows)


def notification_email_recipients(*, kind: str, user_ids: list[int]) -> set[int]:
    """Of these users, those who receive ``kind`` by e-mail (their setting, else the kind's default) and have an
    address."""
    registered = notification_kinds[kind]
    settings_ = dict(NotificationSetting.objects.filter(user_id__in=user_ids, kind=kind)
                     .values_list("user_id", "by_email"))
    with_address = set(User.objects.filter(pk__in=user_ids).exclude(email="").values_list("pk", flat=True))
    return {pk for pk in user_ids if pk in with_address and settings_.get(pk, registered.email_by_default)}


def notification_emails_send(*, ids: list[int]) -> int:
    """E-mail these notifications (not yet e-mailed) through Django's mail backend; marks each one sent."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import translation

    sent = 0
    for notification in Notification.objects.filter(pk__in=ids, emailed_at=None).select_related("recipient"):
        recipient = notification.recipient
        with translation.override(settings.LANGUAGE_CODE):
            link = f"\n\n{settings.KEHU_SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
            send_mail(subject=f"[{_('Kehu CRM')}] {notification.title}", message=f"{notification.body}{link}",
                      from_email=None, recipient_list=[recipient.email], fail_silently=False)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones without ``ids``); others' ids are ignored."""
    unread = Notification.objects.filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_settings_save(*, user: User, by_email: Iterable[str]) -> None:
    """Which kinds the user receives by e-mail (every registered kind not named: inbox only)."""
    chosen = set(by_email)
    for key, _kind in notification_kinds.items():
        NotificationSetting.objects.update_or_create(user=user, kind=key, defaults={"by_email": key in chosen})
