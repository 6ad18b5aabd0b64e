"""The files of an import job: the uploaded file while the job runs, and the rows it did not store after it ended.

The upload holds personal data, so it is deleted when its job ends (:func:`import_job_release_files`); the rows that
were not stored are first copied, as they are in the file, to an error file the error report is made from
(:mod:`kehu.imports.reports`), kept ``KEHU_IMPORT_ERROR_FILE_DAYS`` days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import ImportJob, ImportRowError
from .readers import TableReader, UnreadableFile, cell_text, file_fingerprint, open_table

logger = logging.getLogger(__name__)


def open_job_file(job: ImportJob) -> TableReader:
    """The job's file, opened as it was when the job was created (``UnreadableFile`` when it is gone or changed)."""
    path = Path(job.file_path)
    if not path.is_file():
        raise UnreadableFile(_("The file %(path)s does not exist.") % {"path": job.file_path})
    if job.file_fingerprint and file_fingerprint(path) != job.file_fingerprint:
        raise UnreadableFile(_("The file changed since the import was started; start a new import."))
    reader = open_table(path, encoding=job.detected_encoding or job.encoding, sheet=job.sheet)
    if reader.headers != list(job.headers):
        raise UnreadableFile(_("The file's columns changed since the import was started; start a new import."))
    return reader


def uploads_root() -> Path:
    """Where uploaded import files are kept while their job runs (MEDIA_ROOT/imports)."""
    return (Path(settings.MEDIA_ROOT) / "imports").resolve()


def _owned_upload(path: Path) -> bool:
    """Whether the job's file is an upload Kehu keeps (an operator's own file given to ``kehu import`` is not)."""
    root = uploads_root()
    resolved = path.resolve()
    return resolved.is_relative_to(root) and not resolved.is_relative_to(root / "errors")


def _cell_to_json(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return cell_text(value)


def cell_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
    return value


def _write_error_file(job: ImportJob) -> Path | None:
    """The rows of the job's file that were not stored, as they are in the file (JSON lines of ``[row, values]``)."""
    failed = set(ImportRowError.objects.filter(job=job, is_warning=False).values_list("row", flat=True))
    if not failed:
        return None
    folder = uploads_root() / "errors" / f"{timezone.now():%Y%m}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"job-{job.pk}-{uuid.uuid4().hex}.jsonl"
    last = max(failed)
    reader = open_job_file(job)
    try:
        with path.open("w", encoding="utf-8") as out:
            for row, values in reader.rows():
                if row in failed:
                    out.write(json.dumps([row, [_cell_to_json(value) for value in values]], ensure_ascii=False))
                    out.write("\n")
                if row >= last:
                    break
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    return path


def import_job_release_files(*, job: ImportJob) -> ImportJob:
    """After a job ended: keep the rows that were not stored in an error file (the error report is made from it, for
    ``KEHU_IMPORT_ERROR_FILE_DAYS`` days), then delete the uploaded file, which holds personal data.

    An operator's own file given to ``kehu import`` is left where it is. An interrupted job keeps its file (it is not
    finished), so it can be resumed."""
    if not job.is_finished or job.file_deleted_at is not None:
        return job
    path = Path(job.file_path)
    updates = []
    if not job.error_file_path and path.is_file():
        try:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                error_file = _write_error_file(job)
        except (UnreadableFile, OSError) as error:
            logger.warning("import job %s: the rows with problems could not be kept: %s", job.pk, error)
        else:
            if error_file is not None:
                job.error_file_path = str(error_file)
                updates.append("error_file_path")
    if _owned_upload(path):
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the upload's own folder, empty now
        job.file_deleted_at = timezone.now()
        updates.append("file_deleted_at")
    if updates:
        job.save(update_fields=updates)
    return job
