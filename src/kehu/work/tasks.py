"""Background jobs of the work machinery (thin: they call services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.work.tasks.send_notification_emails_task", acks_late=True, max_retries=3)
def send_notification_emails_task(ids: list[int]) -> int:
    from .services import notification_emails_send

    return notification_emails_send(ids=ids)


@shared_task(name="kehu.work.tasks.tasks_due_notify_task")
def tasks_due_notify_task() -> int:
    from .services import tasks_due_notify

    return tasks_due_notify()
