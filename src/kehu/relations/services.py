"""Writes of relationship maintenance: logging contacts (with their next step as a task and their attachments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import User
from kehu.org.selectors import staff_list
from kehu.work.models import Task
from kehu.work.services import task_create

from . import attachments
from .models import ContactAttachment, ContactChannel, ContactRecord, Direction
from .selectors import may_log_contact

ATTACHMENTS_PER_RECORD = 10


def contact_activity_data(record: ContactRecord) -> dict[str, Any]:
    """What the timeline shows of a contact."""
    return {"channel": record.channel, "direction": record.direction, "summary": record.summary[:200],
            "satisfaction": record.satisfaction, "staff": str(record.staff) if record.staff_id else ""}


@transaction.atomic
def contact_log(*, actor: User, customer: Customer, channel: str, summary: str, occurred_at: dt.datetime | None = None,
                direction: str = Direction.OUTBOUND, staff: User | None = None, duration_minutes: int | None = None,
                feedback: str = "", satisfaction: int | None = None, next_step: str = "",
                next_step_due: dt.date | None = None, files: list[Any] | None = None, task: Task | None = None,
                external_ref: str | None = None) -> ContactRecord:
    """Log a contact with a customer the actor may log contacts for. ``staff`` (default the actor) must be staff in
    the actor's scope. A next step with a due date becomes a task of the staff member (its source: this record).
    Attachments are checked (size, type from the content) and stored under random names. Goes on the timeline."""
    if not may_log_contact(user=actor, customer=customer):
        if Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
            raise PermissionDenied(_("You may not log contacts for this customer."))
        raise Customer.DoesNotExist
    staff = staff or actor
    errors: dict[str, list[str]] = {}
    if staff.pk != actor.pk and not staff_list(user=actor).filter(pk=staff.pk).exists():
        errors["staff"] = [_("Choose an active member of staff in your branches.")]
    if next_step_due is not None and not next_step.strip():
        errors["next_step"] = [_("Say what the next step is.")]
    files = list(files or [])
    if len(files) > ATTACHMENTS_PER_RECORD:
        errors["attachments"] = [_("At most %(count)d files.") % {"count": ATTACHMENTS_PER_RECORD}]
    checked: list[tuple[Any, str]] = []
    for upload in files:
        try:
            checked.append((upload, attachments.sniff(upload)))
        except ValidationError as error:
            errors.setdefault("attachments", []).append(f"{attachments.clean_name(str(upload.name))}: "
                                                  f"{' '.join(error.messages)}")
    record = ContactRecord(
        customer=customer, branch_id=customer.branch_id, staff=staff, channel=channel, direction=direction,
        occurred_at=occurred_at or timezone.now(), duration_minutes=duration_minutes, summary=(summary or "").strip(),
        feedback=(feedback or "").strip(), satisfaction=satisfaction, next_step=(next_step or "").strip(),
        next_step_due=next_step_due, task=task, external_ref=external_ref or None, created_by=actor,
    )
    try:
        record.full_clean(exclude=["customer", "staff", "task", "next_task", "branch", "created_by"],
                          validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if record.occurred_at > timezone.now() + dt.timedelta(hours=1):
        errors.setdefault("occurred_at", []).append(_("A contact cannot be in the future."))
    if errors:
        raise ValidationError(errors)
    if external_ref and ContactRecord.objects.filter(external_ref=external_ref).exists():
        raise ValidationError({"external_ref": [_("A contact with this reference is already logged.")]})
    record.save()
    stored: list[ContactAttachment] = []
    try:
        for upload, content_type in checked:
            stored.append(_attach(record=record, upload=upload, content_type=content_type, actor=actor))
        if record.next_step and record.next_step_due:
            next_task = task_create(actor=actor, customer=customer, owner=staff, title=record.next_step,
                                    due_date=record.next_step_due, kind=_next_kind(channel), source=record)
            record.next_task = next_task
            record.save(update_fields=["next_task"])
    except Exception:
        for attachment in stored:  # the rows roll back with the transaction; the files would stay on disk
            attachment.file.delete(save=False)
        raise
    activity_record(customer=customer, kind="contact", occurred_at=record.occurred_at, actor=actor,
                    subject=record, data=contact_activity_data(record))
    return record


def _next_kind(channel: str) -> str:
    return {"phone": "call", "visit": "visit", "sms": "message", "email": "email", "meeting": "meeting"}.get(
        channel, "follow_up")


def _attach(*, record: ContactRecord, upload: Any, content_type: str, actor: User) -> ContactAttachment:
    attachment = ContactAttachment(record=record, name=attachments.clean_name(str(upload.name)),
                                   content_type=content_type, size=upload.size, uploaded_by=actor)
    upload.seek(0)
    attachment.file.save("upload", upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_add(*, actor: User, record: ContactRecord, upload: Any) -> ContactAttachment:
    if not may_log_contact(user=actor, customer=record.customer):
        raise PermissionDenied(_("You may not change this customer's contacts."))
    if record.attachments.count() >= ATTACHMENTS_PER_RECORD:
        raise ValidationError({"attachments": [_("At most %(count)d files.") % {"count": ATTACHMENTS_PER_RECORD}]})
    try:
        content_type = attachments.sniff(upload)
    except ValidationError as error:
        raise ValidationError({"attachments": error.messages}) from None
    return _attach(record=record, upload=upload, content_type=content_type, actor=actor)


def contact_bulk_create(*, records: list[ContactRecord], batch_size: int = 2000) -> int:
    """Insert many contacts (already checked: demo, import) with their timeline rows, in bulk."""
    with transaction.atomic():
        ContactRecord.objects.bulk_create(records, batch_size=batch_size)
        activity_record_bulk(
            ({"customer_id": record.customer_id, "kind": "contact", "occurred_at": record.occurred_at,
              "actor_id": record.created_by_id, "branch_id": record.branch_id,
              "subject_type": "relations.contactrecord", "subject_id": record.pk,
              "data": contact_activity_data(record)} for record in records), batch_size=batch_size)
    return len(records)


# --- completing a task writes a contact (registered as a work.CompletionRecorder) ---------------------------------


def channel_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ContactChannel.choices]


def record_task_completion(*, task: Task, actor: User, outcome: str, channel: str = "",
                           satisfaction: int | None = None) -> ContactRecord | None:
    """A task of a customer completed with an outcome is a contact: logged with the outcome as its summary, by the
    channel given (else the task kind's, else a phone call), by the person completing it. Runs in the completion's
    transaction; the actor's right to complete the task is enough (the task is theirs or their branch's)."""
    if task.customer_id is None:
        return None
    from kehu.work.registry import task_kinds

    kind = task_kinds.get(task.kind)
    if not channel and task.kind == "cadence" and task.source_id is not None:  # the cadence rule's channel
        from .models import CadenceRule

        channel = CadenceRule.objects.filter(pk=task.source_id).values_list("channel", flat=True).first() or ""
    channel = channel or (kind.contact_channel if kind else "") or ContactChannel.PHONE
    if channel not in ContactChannel.values:
        raise ValidationError({"channel": [_("Select a valid choice. That choice is not one of the available "
                                             "choices.")]})
    customer = Customer.objects.get(pk=task.customer_id)
    record = ContactRecord.objects.create(
        customer=customer, branch_id=customer.branch_id, staff=actor, channel=channel,
        direction=Direction.OUTBOUND, occurred_at=task.completed_at or timezone.now(), summary=outcome,
        satisfaction=satisfaction, task=task, created_by=actor,
    )
    activity_record(customer=customer, kind="contact", occurred_at=record.occurred_at, actor=actor, subject=record,
                    data=contact_activity_data(record))
    return record
