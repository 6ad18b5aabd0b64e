"""Celery tasks of the loyalty module (scheduled in ``CELERY_BEAT_SCHEDULE``); they call the services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="kehu.loyalty.tasks.loyalty_accrue_task")
def loyalty_accrue_task(days: int = 7) -> int:
    """Catch up the earnings of purchases recorded in the last ``days`` days without an entry (imports' bulk path)."""
    from .services import accrue

    return accrue(since=timezone.now() - dt.timedelta(days=days))


@shared_task(name="kehu.loyalty.tasks.loyalty_levels_task")
def loyalty_levels_task() -> int:
    """Evaluate every membership's level as of yesterday."""
    from .services import levels_evaluate

    return levels_evaluate(as_of=timezone.localdate() - dt.timedelta(days=1))


@shared_task(name="kehu.loyalty.tasks.loyalty_expire_task")
def loyalty_expire_task() -> tuple[int, int]:
    """Expire old points (first in first out) and tell the owners of customers whose points expire soon."""
    from .services import points_expire

    return points_expire()
