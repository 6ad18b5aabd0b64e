"""Celery tasks of the import pipeline: thin, they load the job and call the service."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def import_run_task(job_id: int) -> dict[str, int | str]:
    """Run or resume import job ``job_id``; safe to run again (the job resumes from its checkpoint)."""
    from .models import ImportJob
    from .services import import_run

    job = ImportJob.objects.select_related("user").get(pk=job_id)
    job = import_run(job=job)
    return {"status": job.status, "created": job.created, "updated": job.updated, "unchanged": job.unchanged,
            "failed": job.failed}



@shared_task
def purge_import_files_task() -> str:
    """Hourly (celery beat; the background worker does the same without a broker): ``kehu purge_import_files``."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("purge_import_files", stdout=out)
    return out.getvalue().strip()
