"""Celery tasks of customer value: the scoring run (monthly by celery beat, or on demand)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=2, default_retry_delay=300, acks_late=True)
def scoring_run_task(self, as_of: str | None = None, scheme_names: list[str] | None = None,  # type: ignore[no-untyped-def]
                     run_id: int | None = None, scheduled: bool = False) -> dict:
    """Run a scoring run (see ``services.scoring_run_execute``) and return its id, status and counts.

    ``as_of`` is an ISO date; without it a scheduled run scores as of yesterday (the last complete day) and a
    manual one as of today. ``run_id`` is the queued run created by ``scoring_run_request``. A run refused before
    starting (bad date, another run in progress) is not retried; a failed run is retried at most twice.
    """
    from django.utils import timezone

    from .models import ScoringRun
    from .services import ScoringRunError, scoring_run_execute

    if as_of:
        day = dt.date.fromisoformat(as_of)
    else:
        day = timezone.localdate() - dt.timedelta(days=1) if scheduled else timezone.localdate()
    run = ScoringRun.objects.filter(pk=run_id).first() if run_id else None
    trigger = ScoringRun.Trigger.SCHEDULE if scheduled else ScoringRun.Trigger.MANUAL
    try:
        result = scoring_run_execute(as_of=day, scheme_names=scheme_names, run=run, trigger=trigger)
    except ValidationError as error:
        logger.warning("scoring run as of %s refused: %s", day, error)
        if run is not None:
            ScoringRun.objects.filter(pk=run.pk, status=ScoringRun.Status.QUEUED).update(
                status=ScoringRun.Status.FAILED, error="; ".join(error.messages), finished_at=timezone.now())
        return {"run": run_id, "status": "refused", "error": "; ".join(error.messages)}
    except ScoringRunError as error:
        if self.request.called_directly or self.request.is_eager:
            raise
        raise self.retry(exc=error, kwargs={"as_of": day.isoformat(), "scheme_names": scheme_names,
                                            "run_id": None, "scheduled": scheduled}) from error
    return {"run": result.pk, "status": result.status, "as_of": result.as_of.isoformat(),
            "customers": result.customers, "changes": result.changes, "alerts": result.alerts,
            "duration_seconds": result.duration_seconds}
