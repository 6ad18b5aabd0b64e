"""Every write of the import pipeline: creating and running import jobs, saving mappings, writing error reports.

An import job reads its file as a stream in chunks (:data:`CHUNK_SIZE` rows). Two modes:

- **skip-bad**: each chunk is validated and written in one database transaction together with its row errors, the
  job's counters and the checkpoint (the last row number of the chunk). An interrupted job (crash, killed worker)
  resumes after its checkpoint; the rows of the chunk that was being written when it stopped are written again, and
  since the import is an upsert by a natural key they are stored once.
- **all-or-nothing**: a first pass validates the whole file against the database without writing (row errors and
  progress are committed as it goes, so a user can watch); if any row is bad the job is rejected and nothing is
  stored. Otherwise a second pass writes everything in one transaction, so the file is stored completely or not at
  all even if the process dies half-way (a rerun starts again from the beginning).

Duplicated keys inside a file are detected across chunks: the keys of rows already stored are remembered (and
rebuilt from the file when a job resumes).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.org.models import User

from .models import ImportJob, ImportMapping, ImportMode, ImportRowError, ImportTarget
from .readers import TableReader, UnreadableFile, cell_text, file_fingerprint, open_table
from .targets.base import ChunkOutcome, RowOutcome, Target

CHUNK_SIZE = 5000
Progress = Callable[[ImportJob, int], None]


def target_class(target: str) -> type[Target]:
    """The import target implementation for a target name."""
    from .targets.contacts import ContactTarget
    from .targets.customers import CustomerTarget
    from .targets.transactions import TransactionTarget

    classes: dict[str, type[Target]] = {
        ImportTarget.CUSTOMERS: CustomerTarget,
        ImportTarget.TRANSACTIONS: TransactionTarget,
        ImportTarget.CONTACTS: ContactTarget,
    }
    try:
        return classes[target]
    except KeyError:
        raise ValidationError({"target": [_("Unknown import target “%(target)s”.") % {"target": target}]}) from None


def default_key(target: str, columns: list[str]) -> str:
    """The natural key used when none is chosen: the first of the target's keys that the file has a column for."""
    keys = target_class(target).keys
    for key in keys:
        if key in columns:
            return key
    return keys[0]


def _target(job: ImportJob, *, user: User | None = None) -> Target:
    return target_class(job.target)(
        headers=list(job.headers), columns=list(job.column_map), key=job.key, actor=user or job.user,
        options=dict(job.options or {}), job_id=job.pk,
    )


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


@transaction.atomic
def import_job_create(
    *, target: str, file_path: str | os.PathLike[str], user: User | None = None, original_name: str = "",
    key: str = "", mode: str = ImportMode.ALL_OR_NOTHING, encoding: str = "auto", sheet: str = "",
    mapping: ImportMapping | None = None, columns: dict[str, str] | None = None,
    options: dict[str, Any] | None = None, language: str = "",
) -> ImportJob:
    """Open the file, map its columns (saved mapping, then explicit choices, then automatic) and create the job.

    Raises ``ValidationError`` (``file`` for an unreadable file, ``columns``/``key`` for an unusable mapping).
    """
    cls = target_class(target)
    if mode not in ImportMode.values:
        raise ValidationError({"mode": [_("Choose all-or-nothing or skip-bad.")]})
    path = Path(file_path).resolve()
    try:
        reader = open_table(path, encoding=encoding, sheet=sheet)
    except UnreadableFile as error:
        raise _file_error(str(error)) from None
    explicit = dict(mapping.columns) if mapping else {}
    explicit.update(columns or {})
    probe = cls(headers=reader.headers, columns=[""] * len(reader.headers), key=key or cls.keys[0], actor=user,
                options=options)
    mapped = probe.map_columns(reader.headers, explicit)
    unknown = sorted({field for field in mapped if field and field not in probe.specs})
    if unknown:
        raise ValidationError({"columns": [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}]})
    chosen_key = key or (mapping.key if mapping and mapping.key else "") or default_key(target, mapped)
    instance = cls(headers=reader.headers, columns=mapped, key=chosen_key, actor=user, options=options)
    problems = instance.mapping_problems()
    if problems:
        raise ValidationError({"columns": problems})
    job = ImportJob.objects.create(
        target=target, file_path=str(path), original_name=original_name or path.name, file_size=path.stat().st_size,
        file_fingerprint=file_fingerprint(path), encoding=encoding or "auto",
        detected_encoding=reader.encoding, sheet=reader.sheet, mapping=mapping, headers=reader.headers,
        column_map=mapped, key=chosen_key, mode=mode, options=options or {}, user=user,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        rows_total=max((reader.estimated_rows or 0) - reader.header_row, 0) or None,
    )
    return job


def import_job_update_mapping(*, job: ImportJob, columns: list[str], key: str, mode: str | None = None,
                              options: dict[str, Any] | None = None) -> ImportJob:
    """Change the mapping of a job that has not started (the wizard's mapping step)."""
    if job.status != ImportJob.Status.PENDING:
        raise ValidationError(_("This import has already started."))
    if len(columns) != len(job.headers):
        raise ValidationError({"columns": [_("Map every column of the file (or leave it out).")]})
    taken = [field for field in columns if field]
    if len(taken) != len(set(taken)):
        raise ValidationError({"columns": [_("Each field can be mapped from one column only.")]})
    instance = target_class(job.target)(headers=list(job.headers), columns=columns, key=key, actor=job.user,
                                        options=options if options is not None else job.options)
    unknown = sorted({field for field in columns if field and field not in instance.specs})
    if unknown:
        raise ValidationError({"columns": [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}]})
    problems = instance.mapping_problems()
    if problems:
        raise ValidationError({"columns": problems})
    job.column_map = columns
    job.key = key
    if mode:
        if mode not in ImportMode.values:
            raise ValidationError({"mode": [_("Choose all-or-nothing or skip-bad.")]})
        job.mode = mode
    if options is not None:
        job.options = options
    job.save(update_fields=["column_map", "key", "mode", "options"])
    return job


def import_mapping_save(*, name: str, target: str, headers: list[str], columns: list[str], key: str,
                        user: User | None = None) -> ImportMapping:
    """Save (or replace) a named mapping from a file's headers and the field chosen for each column."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the mapping a name.")]})
    target_class(target)
    mapping, _created = ImportMapping.objects.update_or_create(
        target=target, name=name[:100],
        defaults={"columns": dict(zip(headers, columns, strict=False)), "key": key, "created_by": user},
    )
    return mapping


# ------------------------------------------------------------------------------------------------------- running


def _reader(job: ImportJob) -> TableReader:
    path = Path(job.file_path)
    if not path.is_file():
        raise UnreadableFile(_("The file %(path)s does not exist.") % {"path": job.file_path})
    if job.file_fingerprint and file_fingerprint(path) != job.file_fingerprint:
        raise UnreadableFile(_("The file changed since the import was started; start a new import."))
    reader = open_table(path, encoding=job.detected_encoding or job.encoding, sheet=job.sheet)
    if reader.headers != list(job.headers):
        raise UnreadableFile(_("The file's columns changed since the import was started; start a new import."))
    return reader


def _chunks(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    chunk: list[tuple[int, list[Any]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _save_errors(job: ImportJob, errors: list[tuple[int, str, str, str]]) -> None:
    if errors:
        ImportRowError.objects.bulk_create(
            [ImportRowError(job=job, row=row, column=column[:200], value=value[:2000], reason=reason)
             for row, column, value, reason in errors],
            batch_size=2000,
        )


def chunk_committed(job: ImportJob) -> None:
    """Called after each chunk is committed (skip-bad mode); a seam for tests that simulate a crash."""


_COUNTERS = ["created", "updated", "unchanged", "failed", "rows_done", "checkpoint_row"]


def _add(job: ImportJob, outcome: ChunkOutcome, rows: int) -> None:
    job.created += outcome.created
    job.updated += outcome.updated
    job.unchanged += outcome.unchanged
    job.failed += outcome.failed
    job.rows_done += rows


def _finish(job: ImportJob, status: str, message: str = "") -> ImportJob:
    job.status = status
    job.finished_at = timezone.now()
    if message:
        job.error_message = message
    if status in {ImportJob.Status.DONE, ImportJob.Status.REJECTED}:
        job.rows_total = job.rows_done
    job.save()
    return job


def import_run(*, job: ImportJob, progress: Progress | None = None, chunk_size: int = CHUNK_SIZE) -> ImportJob:
    """Run (or resume) an import job to its end. Returns the job with its final status and counts.

    An unreadable file or an unusable mapping ends the job as ``failed`` with ``error_message``; bad rows in
    all-or-nothing mode end it as ``rejected``. Unexpected errors leave the job as it was at its last checkpoint and
    propagate, so it can be resumed.
    """
    if job.is_finished:
        return job
    with translation.override(job.language or settings.LANGUAGE_CODE):
        if job.user is not None and not job.user.is_active:
            return _finish(job, ImportJob.Status.FAILED, _("The user who started this import is no longer active."))
        try:
            reader = _reader(job)
        except UnreadableFile as error:
            return _finish(job, ImportJob.Status.FAILED, str(error))
        target = _target(job)
        problems = target.mapping_problems()
        if problems:
            return _finish(job, ImportJob.Status.FAILED, " ".join(problems))
        job.started_at = job.started_at or timezone.now()
        job.finished_at = None
        if job.mode == ImportMode.ALL_OR_NOTHING:
            return _run_all_or_nothing(job, reader, progress, chunk_size)
        return _run_skip_bad(job, reader, target, progress, chunk_size)


def _rebuild_seen(job: ImportJob, reader: TableReader, target: Target) -> None:
    """After an interruption: remember the keys of the rows stored before the checkpoint (duplicates detection)."""
    failed = set(ImportRowError.objects.filter(job=job, row__lte=job.checkpoint_row).values_list("row", flat=True))
    for row, values in reader.rows():
        if row > job.checkpoint_row:
            break
        if row not in failed:
            target.remember_row(values, row)


def _run_skip_bad(job: ImportJob, reader: TableReader, target: Target, progress: Progress | None,
                  chunk_size: int) -> ImportJob:
    if job.checkpoint_row:
        _rebuild_seen(job, reader, target)
    ImportRowError.objects.filter(job=job, row__gt=job.checkpoint_row).delete()
    job.status = ImportJob.Status.RUNNING
    job.save()
    for chunk in _chunks(reader.rows(start_after=job.checkpoint_row), chunk_size):
        with transaction.atomic():
            outcome = target.process(chunk, write=True)
            _save_errors(job, outcome.errors)
            _add(job, outcome, len(chunk))
            job.checkpoint_row = chunk[-1][0]
            job.save(update_fields=_COUNTERS)
        chunk_committed(job)
        if progress:
            progress(job, len(chunk))
    return _finish(job, ImportJob.Status.DONE)


class _Rejected(Exception):
    pass


def _run_all_or_nothing(job: ImportJob, reader: TableReader, progress: Progress | None,
                        chunk_size: int) -> ImportJob:
    ImportRowError.objects.filter(job=job).delete()
    for counter in _COUNTERS:
        setattr(job, counter, 0)
    job.status = ImportJob.Status.VALIDATING
    job.save()
    checker = _target(job)
    for chunk in _chunks(reader.rows(), chunk_size):
        outcome = checker.process(chunk, write=False)
        with transaction.atomic():
            _save_errors(job, outcome.errors)
            job.failed += outcome.failed
            job.rows_done += len(chunk)
            job.save(update_fields=["failed", "rows_done"])
        if progress:
            progress(job, len(chunk))
    if job.failed:
        return _finish(job, ImportJob.Status.REJECTED)
    validated_rows = job.rows_done
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    writer = _target(job)
    errors: list[tuple[int, str, str, str]] = []
    try:
        with transaction.atomic():
            job.rows_done = 0
            for chunk in _chunks(reader.rows(), chunk_size):
                outcome = writer.process(chunk, write=True)
                if outcome.failed:
                    # the database changed since the check (another user, another import): keep the promise
                    errors = outcome.errors
                    raise _Rejected
                _add(job, outcome, len(chunk))
                job.checkpoint_row = chunk[-1][0]
            _finish(job, ImportJob.Status.DONE)
    except _Rejected:
        job.refresh_from_db()
        _save_errors(job, errors)
        job.created = job.updated = job.unchanged = 0
        job.failed = len({row for row, *_rest in errors})
        job.rows_done = validated_rows
        return _finish(job, ImportJob.Status.REJECTED)
    return job


def import_preview(*, job: ImportJob, limit: int = 20) -> list[RowOutcome]:
    """The first ``limit`` rows as they would be stored, with their problems; nothing is written."""
    reader = _reader(job)
    rows = []
    for row in reader.rows():
        rows.append(row)
        if len(rows) >= limit:
            break
    with translation.override(job.language or settings.LANGUAGE_CODE):
        outcome = _target(job).process(rows, write=False, preview=True)
    return sorted(outcome.rows, key=lambda outcome_row: outcome_row.row)


def import_job_start(*, job: ImportJob, actor: User) -> ImportJob:
    """Queue a pending job on the task queue (run eagerly in process when no broker is configured)."""
    if job.user_id is not None and job.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied(_("This is someone else's import."))
    if job.status != ImportJob.Status.PENDING:
        return job
    from .tasks import import_run_task

    transaction.on_commit(lambda: import_run_task.delay(job.pk))
    return job


# -------------------------------------------------------------------------------------------------- error report


def import_error_report(*, job: ImportJob, out: IO[bytes] | str | os.PathLike[str], file_format: str = "csv") -> int:
    """Write the rows that were not stored, in the file's own column layout plus a row and an error column.

    The report can be fixed and imported again as it is: the two extra columns are ignored by the mapping. Returns
    the number of rows written. ``file_format`` is ``csv`` (UTF-8 with BOM, for Excel) or ``xlsx``.
    """
    reasons: dict[int, list[str]] = defaultdict(list)
    for row, column, reason in ImportRowError.objects.filter(job=job).order_by("row", "id").values_list(
        "row", "column", "reason"
    ):
        reasons[row].append(f"{column}: {reason}" if column else reason)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        headers = [*job.headers, _("row"), _("error")]
    rows = _failed_rows(job, reasons) if reasons else iter(())
    if file_format == "xlsx":
        return _write_xlsx(out, headers, rows)
    return _write_csv(out, headers, rows)


def _failed_rows(job: ImportJob, reasons: dict[int, list[str]]) -> Iterator[list[Any]]:
    reader = _reader(job)
    width = len(job.headers)
    last = max(reasons)
    for row, values in reader.rows():
        if row in reasons:
            yield [*values[:width], *([""] * (width - len(values))), row, "；".join(reasons[row])]
        if row >= last:
            break


def _open_binary(out: IO[bytes] | str | os.PathLike[str]) -> tuple[IO[bytes], bool]:
    if isinstance(out, (str, os.PathLike)):
        return open(out, "wb"), True  # noqa: SIM115 - closed by the caller below
    return out, False


def _write_csv(out: IO[bytes] | str | os.PathLike[str], headers: list[str], rows: Iterator[list[Any]]) -> int:
    import io

    handle, owned = _open_binary(out)
    count = 0
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(headers)
        for values in rows:
            writer.writerow([cell_text(value) for value in values])
            count += 1
        text.flush()
        text.detach()
    finally:
        if owned:
            handle.close()
    return count


def _write_xlsx(out: IO[bytes] | str | os.PathLike[str], headers: list[str], rows: Iterator[list[Any]]) -> int:
    import xlsxwriter

    handle, owned = _open_binary(out)
    count = 0
    try:
        workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "in_memory": False,
                                                "strings_to_numbers": False, "strings_to_formulas": False})
        sheet = workbook.add_worksheet()
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, headers)
        for index, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(index, column, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(index, column, value)
                elif value is None:
                    continue
                else:
                    sheet.write(index, column, value)
            count += 1
        workbook.close()
    finally:
        if owned:
            handle.close()
    return count
