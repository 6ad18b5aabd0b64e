"""Background jobs of relationship maintenance (thin: they call services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.relations.tasks.evaluation_run_task")
def evaluation_run_task(as_of: str | None = None) -> dict[str, int]:
    """The monthly evaluation of key customers (beat: ``monthly-key-customer-evaluation``), as of ``as_of`` or today;
    idempotent per customer, template and day."""
    import datetime as dt

    from .evaluations.services import evaluation_run

    created, skipped = evaluation_run(as_of=dt.date.fromisoformat(as_of) if as_of else None)
    return {"created": created, "skipped": skipped}
@shared_task(name="kehu.relations.tasks.cadence_run_task")
def cadence_run_task(as_of: str | None = None) -> dict[str, int]:
    """The daily cadence run (beat): the due tasks of today and the overdue ones."""
    import datetime as dt

    from .cadences.services import cadence_run

    result = cadence_run(as_of=dt.date.fromisoformat(as_of) if as_of else None)
    return {"created": result.created, "overdue": result.overdue}
