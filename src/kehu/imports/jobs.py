"""The life of an import job before and around its run: creating it from a file (mapping its columns), the wizard's
steps (mapping, value mapping, options, preview), queueing it for the background worker, cancelling it, and the
periodic clean-up of what ended and abandoned jobs leave behind. Running it is :mod:`kehu.imports.pipeline`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.org.models import User

from .files import import_job_release_files, open_job_file, uploads_root
from .models import ImportJob, ImportMapping, ImportMode
from .readers import UnreadableFile, cell_text, file_fingerprint, open_table
from .targets.base import RowOutcome, Target


def target_class(target: str) -> type[Target]:
    """The import target implementation for a target name, as the app owning the entity registered it
    (``kehu.core.registry.import_targets``)."""
    from kehu.core.registry import import_targets

    entry = import_targets.get(target)
    if entry is None:
        raise ValidationError({"target": [_("Unknown import target “%(target)s”.") % {"target": target}]})
    return entry.target_class()  # type: ignore[no-any-return]


def default_key(target: str, columns: list[str]) -> str:
    """The natural key used when none is chosen: the first of the target's keys that the file has a column for."""
    cls = target_class(target)
    for key in cls.keys:
        if cls.key_fields.get(key, key) in columns:
            return key
    return cls.keys[0]


def job_target(job: ImportJob, *, user: User | None = None) -> Target:
    """The job's target, set up with its file's headers, its mapping, key and options (acting as ``user`` or the
    user who started the job)."""
    return target_class(job.target)(
        headers=list(job.headers), columns=list(job.column_map), key=job.key, actor=user or job.user,
        options=dict(job.options or {}), job_id=job.pk,
    )


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def import_job_create(
    *, target: str, file_path: str | os.PathLike[str], user: User | None = None, original_name: str = "",
    key: str = "", mode: str = ImportMode.ALL_OR_NOTHING, encoding: str = "auto", sheet: str = "",
    mapping: ImportMapping | None = None, columns: dict[str, str] | None = None,
    options: dict[str, Any] | None = None, language: str = "",
) -> ImportJob:
    """Open the file, map its columns (saved mapping, then explicit choices, then automatic) and create the job.

    Raises ``ValidationError`` (``file`` for an unreadable file, ``columns``/``key`` for an unusable mapping), in
    ``language`` (the job's language: its row errors are written in it too).
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language), transaction.atomic():
        return _import_job_create(target=target, file_path=file_path, user=user, original_name=original_name,
                                  key=key, mode=mode, encoding=encoding, sheet=sheet, mapping=mapping,
                                  columns=columns, options=options, language=language)


def _import_job_create(
    *, target: str, file_path: str | os.PathLike[str], user: User | None, original_name: str, key: str, mode: str,
    encoding: str, sheet: str, mapping: ImportMapping | None, columns: dict[str, str] | None,
    options: dict[str, Any] | None, language: str,
) -> ImportJob:
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
    if mapping is not None and mapping.values:
        # the saved value mapping, under the values given for this job
        saved = {field: dict(values) for field, values in mapping.values.items()}
        for field, values in ((options or {}).get("values") or {}).items():
            saved.setdefault(field, {}).update(values)
        options = {**(options or {}), "values": saved}
    probe = cls(headers=reader.headers, columns=[""] * len(reader.headers), key=key or cls.keys[0], actor=user,
                options=options)
    mapped = probe.map_columns(reader.headers, explicit)
    unknown = sorted({field for field in mapped if field and field not in probe.specs})
    if unknown:
        raise ValidationError({"columns": [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}]})
    chosen_key = key or (mapping.key if mapping and mapping.key else "") or default_key(target, mapped)
    if not key and "mobile" in cls.keys and cls.key_fields.get(chosen_key, chosen_key) not in mapped:
        # no key column: another system's export has a phone column (Phone, 联系电话) that keyed by mobile holds
        # the mobiles (``map_columns`` then maps it so)
        by_mobile = cls(headers=reader.headers, columns=[""] * len(reader.headers), key="mobile", actor=user,
                        options=options).map_columns(reader.headers, explicit)
        if "mobile" in by_mobile:
            mapped, chosen_key = by_mobile, "mobile"
    instance = cls(headers=reader.headers, columns=mapped, key=chosen_key, actor=user, options=options)
    if (options or {}).get("values"):
        options = {**(options or {}), "values": _clean_values(instance, options["values"])}  # type: ignore[index]
    problems = instance.mapping_problems()
    if problems:
        raise ValidationError({"columns": problems})
    job = ImportJob.objects.create(
        target=target, file_path=str(path), original_name=original_name or path.name, file_size=path.stat().st_size,
        file_fingerprint=file_fingerprint(path), encoding=encoding or "auto",
        detected_encoding=reader.encoding, sheet=reader.sheet, mapping=mapping, headers=reader.headers,
        column_map=mapped, key=chosen_key, mode=mode, options=options or {}, user=user,
        language=language, rows_total=max((reader.estimated_rows or 0) - reader.header_row, 0) or None,
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


def import_job_set_options(*, job: ImportJob, actor: User, options: dict[str, Any]) -> ImportJob:
    """Set options of a job that has not started (the preview step's confirmation of name changes)."""
    if job.user_id is not None and job.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied(_("This is someone else's import."))
    if job.status != ImportJob.Status.PENDING:
        raise ValidationError(_("This import has already started."))
    job.options = {**(job.options or {}), **options}
    job.save(update_fields=["options"])
    return job


def import_mapping_save(*, name: str, target: str, headers: list[str], columns: list[str], key: str,
                        user: User | None = None, values: dict[str, dict[str, str]] | None = None) -> ImportMapping:
    """Save (or replace) a named mapping from a file's headers and the field chosen for each column, and the value
    mapping confirmed for the file (kept as it was when ``values`` is None)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the mapping a name.")]})
    target_class(target)
    defaults: dict[str, Any] = {"columns": dict(zip(headers, columns, strict=False)), "key": key, "created_by": user}
    if values is not None:
        defaults["values"] = values
    mapping, _created = ImportMapping.objects.update_or_create(target=target, name=name[:100], defaults=defaults)
    return mapping


# ------------------------------------------------------------------------------------------------ the wizard's steps


def import_sample_rows(*, job: ImportJob, limit: int = 3) -> list[tuple[int, list[Any]]]:
    """The first data rows of the job's file as they are in the file (for the mapping step)."""
    try:
        reader = open_job_file(job)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from None
    rows = []
    try:
        for number, values in reader.rows():
            rows.append((number, [cell_text(value) for value in values]))
            if len(rows) >= limit:
                break
    except UnreadableFile as error:  # a field over the limit, a malformed line
        raise ValidationError(str(error)) from None
    finally:
        reader.close()
    return rows


def import_mapped_labels(*, job: ImportJob) -> list[str]:
    """Labels of the mapped fields in file order, in the job's language (the columns of the preview)."""
    with translation.override(job.language or settings.LANGUAGE_CODE):
        target = job_target(job)
        return [str(spec.label) for _index, spec in target.mapped] + [
            str(target.specs[name].label) for name in target.display_fields()]


def import_unused_columns(*, job: ImportJob) -> list[str]:
    """The headers of the file's columns that are not imported (the preview, the result page and ``kehu import``
    name them, so that nothing is left out silently)."""
    return [header or f"#{index + 1}" for index, (header, field) in
            enumerate(zip(job.headers, job.column_map, strict=False)) if not field]


VALUE_SAMPLE_ROWS = 2000
VALUES_PER_FIELD = 100


@dataclass
class ValueCandidate:
    """One value of a choice column as the file writes it, how often it occurs in the rows read, and the value Kehu
    reads it as (the user's mapping, else the automatic reading; "" when not recognised)."""

    text: str
    count: int
    value: str


@dataclass
class ValueField:
    field: str
    label: str
    header: str
    choices: list[tuple[str, Any]]
    values: list[ValueCandidate]


def import_value_fields(*, job: ImportJob, sample_rows: int = VALUE_SAMPLE_ROWS) -> list[ValueField]:
    """The mapped columns whose values are mapped onto Kehu's values (levels, statuses, account managers…), with the
    distinct values of the first ``sample_rows`` rows (at most 100 per column): the wizard's value step."""
    from collections import Counter

    with translation.override(job.language or settings.LANGUAGE_CODE):
        target = job_target(job)
        fields = [(index, spec) for index, spec in target.mapped if target.value_choices(spec.name)]
        if not fields:
            return []
        counters: dict[str, Counter[str]] = {spec.name: Counter() for _index, spec in fields}
        try:
            reader = open_job_file(job)
        except UnreadableFile as error:
            raise ValidationError(str(error)) from None
        try:
            for number, (_row, values) in enumerate(reader.rows()):
                if number >= sample_rows:
                    break
                for index, spec in fields:
                    text = cell_text(values[index]).strip() if index < len(values) else ""
                    counter = counters[spec.name]
                    if text and (text in counter or len(counter) < VALUES_PER_FIELD):
                        counter[text] += 1
        except UnreadableFile as error:
            raise ValidationError(str(error)) from None
        finally:
            reader.close()
        result = []
        for _index, spec in fields:
            values = [ValueCandidate(text, count, target.guess_value(spec.name, text))
                      for text, count in counters[spec.name].most_common()]
            if values:
                result.append(ValueField(spec.name, str(spec.label), target.header_of[spec.name],
                                         target.value_choices(spec.name), values))
        return result


def _clean_values(target: Target, values: Any) -> dict[str, dict[str, str]]:
    """A value mapping checked against what the target's fields may be mapped onto (``ValidationError`` naming the
    field or value that may not be)."""
    if not isinstance(values, dict):
        raise ValidationError({"values": [_("Unknown fields: %(fields)s.") % {"fields": values}]})
    clean: dict[str, dict[str, str]] = {}
    for field, mapping in values.items():
        allowed = {str(value) for value, _label in target.value_choices(str(field))}
        if not allowed or not isinstance(mapping, dict):
            raise ValidationError({"values": [_("Unknown fields: %(fields)s.") % {"fields": field}]})
        for text, value in mapping.items():
            if value and str(value) not in allowed:
                raise ValidationError({"values": [_("“%(value)s” is not a value of %(field)s.")
                                                  % {"value": value, "field": target.column_label(str(field))}]})
            clean.setdefault(str(field), {})[str(text)[:200]] = str(value or "")
    return clean


def import_job_set_values(*, job: ImportJob, actor: User, values: dict[str, dict[str, str]],
                          save_as: str = "") -> ImportJob:
    """Set the value mapping of a job that has not started ({field: {text in the file: value}}); with ``save_as``,
    keep it (with the job's column mapping) in the saved mapping of that name."""
    _check_job_owner(job, actor)
    if job.status != ImportJob.Status.PENDING:
        raise ValidationError(_("This import has already started."))
    clean = _clean_values(job_target(job), values)
    job.options = {**(job.options or {}), "values": clean}
    job.save(update_fields=["options"])
    if save_as.strip():
        import_mapping_save(name=save_as, target=job.target, headers=list(job.headers), columns=list(job.column_map),
                            key=job.key, user=actor, values=clean)
    return job


def import_preview(*, job: ImportJob, limit: int = 20) -> list[RowOutcome]:
    """The first ``limit`` rows as they would be stored, with their problems; nothing is written."""
    try:
        reader = open_job_file(job)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from None
    rows = []
    try:
        for row in reader.rows():
            rows.append(row)
            if len(rows) >= limit:
                break
    except UnreadableFile as error:  # a field over the limit, a malformed line
        raise ValidationError(str(error)) from None
    finally:
        reader.close()
    with translation.override(job.language or settings.LANGUAGE_CODE):
        outcome = job_target(job).process(rows, write=False, preview=True)
    return sorted(outcome.rows, key=lambda outcome_row: outcome_row.row)


# --------------------------------------------------------------------------------------------- queue and cancel


def import_job_start(*, job: ImportJob, actor: User) -> ImportJob:
    """Queue a job for the background worker (the Celery broker, or the database queue without one: never run in
    the web request).

    A pending job starts; a job left checking or importing by a worker that died (see
    :func:`kehu.imports.selectors.import_job_interrupted`) resumes from its checkpoint without storing a row twice;
    a queued, running or finished job is left alone.
    """
    from kehu.core.queue import dispatch

    from .selectors import import_job_interrupted
    from .tasks import import_run_task

    _check_job_owner(job, actor)
    if job.is_finished or job.status == ImportJob.Status.QUEUED:
        return job
    if job.is_active and not import_job_interrupted(job):
        return job
    with transaction.atomic():
        if job.status == ImportJob.Status.PENDING:
            job.status = ImportJob.Status.QUEUED
        # a resumed job counts as alive until the worker takes it (or, if none does, the heartbeat times out again)
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
        dispatch(import_run_task, job.pk)
    return job


def _check_job_owner(job: ImportJob, actor: User | None) -> None:
    if actor is not None and job.user_id is not None and job.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied(_("This is someone else's import."))


def import_job_cancel(*, job: ImportJob, actor: User | None) -> ImportJob:
    """Cancel a job that is not running (waiting, queued, or interrupted): it ends and its uploaded file is deleted.

    What an interrupted skip-bad job committed before it stopped stays stored."""
    from kehu.core.queue import RunLock

    _check_job_owner(job, actor)
    if job.is_finished:
        return job
    with RunLock("import", job.pk) as lock:
        job.refresh_from_db()
        if job.is_finished:
            return job
        if not lock.acquired:
            raise ValidationError(_("The import is running; it cannot be cancelled now."))
        job.status = ImportJob.Status.CANCELLED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
    return import_job_release_files(job=job)


def import_files_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what imports leave behind (the periodic task ``purge_import_files_task`` and ``kehu
    purge_import_files`` run this): error files older than ``KEHU_IMPORT_ERROR_FILE_DAYS`` days, the uploads of
    ended jobs still on disk (a worker stopped between ending a job and deleting its file), and jobs left at the
    mapping step for as long (cancelled, their upload deleted). Returns how many of each."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.KEHU_IMPORT_ERROR_FILE_DAYS)
    counts = {"error_files": 0, "uploads": 0, "abandoned": 0}
    expired = ImportJob.objects.filter(error_file_deleted_at__isnull=True, finished_at__lte=cutoff).exclude(
        error_file_path="")
    for job in expired.iterator():
        Path(job.error_file_path).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(error_file_deleted_at=now)
        counts["error_files"] += 1
    ended = [ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED]
    left = ImportJob.objects.filter(status__in=ended, file_deleted_at__isnull=True,
                                    file_path__startswith=str(uploads_root()))
    for job in left.iterator():
        if import_job_release_files(job=job).file_deleted_at is not None:
            counts["uploads"] += 1
    for job in ImportJob.objects.filter(status=ImportJob.Status.PENDING, created_at__lte=cutoff).iterator():
        with contextlib.suppress(ValidationError):
            import_job_cancel(job=job, actor=None)
            counts["abandoned"] += 1
    return counts
