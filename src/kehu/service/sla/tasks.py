"""The SLA check as a Celery task (beat: ``sla-check`` every 5 minutes)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.service.sla.tasks.sla_check_task")
def sla_check_task() -> str:
    from .services import sla_check, summary_line

    return summary_line(sla_check())
