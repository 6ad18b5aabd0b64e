"""The daily won-back check (thin: calls the service)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.service.lost.tasks.lost_won_back_task")
def lost_won_back_task() -> dict[str, int]:
    """Lost customers that bought again or are current again are won back (beat: ``lost-won-back``)."""
    from .services import lost_won_back_check

    return lost_won_back_check()
