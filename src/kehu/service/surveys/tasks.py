"""Background jobs of the survey part (thin: they call services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.service.surveys.tasks.survey_send_task", acks_late=True, max_retries=3)
def survey_send_task(ids: list[int]) -> int:
    from .services import invitations_send

    return invitations_send(ids=ids)


@shared_task(name="kehu.service.surveys.tasks.nps_wave_task")
def nps_wave_task() -> int:
    from .services import nps_wave

    return nps_wave().created
