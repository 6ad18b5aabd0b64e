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

import contextlib
import csv
import datetime as dt
import json
import logging
import os
import queue
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.messages import as_stored_text, message_json, problem
from kehu.core.messages import render as render_message
from kehu.core.spreadsheet import csv_safe
from kehu.org.models import User

from .models import ImportJob, ImportMapping, ImportMode, ImportRowError
from .readers import TableReader, UnreadableFile, cell_text, file_fingerprint, open_table
from .targets.base import ChunkOutcome, Prepared, RowOutcome, Target

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
# a page checking whether a job's lock is held takes it for an instant (SQLite's file lock): a worker tries a few times
RUN_LOCK_ATTEMPTS = 10
Progress = Callable[[ImportJob, int], None]


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


def _target(job: ImportJob, *, user: User | None = None) -> Target:
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


PARALLEL_MIN_ROWS = 20_000
_worker_target: Target | None = None


def _worker_start(target: Target, language: str) -> None:
    """In a forked worker process: the target to prepare rows with (inherited, not pickled) and the language."""
    global _worker_target
    _worker_target = target
    translation.activate(language or settings.LANGUAGE_CODE)


def _worker_prepare(chunk: list[tuple[int, list[Any]]]) -> tuple[int, int, list[Prepared]]:
    assert _worker_target is not None
    return len(chunk), chunk[-1][0], _worker_target.prepare(chunk)


def preparation_workers(job: ImportJob, reader: TableReader) -> int:
    """How many processes parse and check rows beside the one writing to the database.

    Parsing, validation and pinyin keys are pure Python: on a big file they run in forked worker processes (not
    threads: the interpreter lock would serialise them) while this process talks to the database. None for small
    files, inside a daemonic process (a Celery prefork worker may not have children), or without ``fork``. The job
    option ``workers`` overrides it.
    """
    import multiprocessing

    if "workers" in (job.options or {}):
        return max(int(job.options["workers"]), 0)
    if (reader.estimated_rows or 0) < PARALLEL_MIN_ROWS or multiprocessing.current_process().daemon:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    # measured on 2 cores (50,000 customers into PostgreSQL): one worker beside this process and the database
    # server takes 14.7 s against 18.1 s without; more workers than the cores left over only compete with them
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else max(1, min(3, cores - 2))


def _prepared_chunks(reader: TableReader, target: Target, *, size: int, start_after: int = 0, workers: int = 0,
                     language: str = "") -> Iterator[tuple[int, int, list[Prepared]]]:
    """``(rows, last row number, prepared rows)`` per chunk of the file, in file order.

    With ``workers``, chunks are prepared in that many forked processes, at most two chunks per worker ahead of the
    database work, so memory stays bounded whatever the size of the file. (A second thread instead was measured: no
    faster, as both compete for the interpreter lock.)
    """
    rows = _chunks(reader.rows(start_after=start_after), size)
    if workers <= 0:
        for chunk in rows:
            yield len(chunk), chunk[-1][0], target.prepare(chunk)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    target.prepare_search_keys = True
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start,
                             initargs=(target, language)) as pool:
        pending: deque[Any] = deque()
        try:
            for chunk in rows:
                pending.append(pool.submit(_worker_prepare, chunk))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _save_errors(job: ImportJob, errors: list[tuple[int, str, str, str]], *, warning: bool = False) -> None:
    if errors:
        ImportRowError.objects.bulk_create(
            # a NUL in the file's cell (refused by the field) is shown as ␀: PostgreSQL cannot store it
            [ImportRowError(job=job, row=row, column=column[:200].replace("\x00", "\u2400"),
                            value=value[:2000].replace("\x00", "\u2400"), reason=reason,
                            message=message_json(reason), is_warning=warning)
             for row, column, value, reason in errors],
            batch_size=2000,
        )


FULL_ANALYZE_MIN_ROWS = 50_000


def _refresh_statistics(target: Target, chunk_number: int, *, final: bool = False) -> None:
    """On PostgreSQL, ANALYZE the looked-up tables after chunks 1, 2, 4, 8…: a table that was empty when the import
    started would otherwise be planned as empty (sequential scans for every key lookup) until autovacuum catches up.

    Only the columns the import looks rows up by are analysed on the way (the search keys have statistics targets
    of 1,000: analysing them samples 300,000 rows each time); ``final`` analyses the whole tables once, after an
    import that wrote many rows, so searches are planned on the new rows at once.
    """
    if connection.vendor != "postgresql" or (not final and chunk_number & (chunk_number - 1)):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in target.lookup_tables:
            columns = () if final else target.lookup_columns.get(table, ())
            column_list = f" ({', '.join(quote(column) for column in columns)})" if columns else ""
            cursor.execute(f"ANALYZE {quote(table)}{column_list}")


def chunk_committed(job: ImportJob) -> None:
    """Called after each chunk is committed (skip-bad mode); a seam for tests that simulate a crash."""


_COUNTERS = ["created", "updated", "unchanged", "failed", "warnings", "rows_done", "checkpoint_row"]


def _add(job: ImportJob, outcome: ChunkOutcome, rows: int) -> None:
    job.created += outcome.created
    job.updated += outcome.updated
    job.unchanged += outcome.unchanged
    job.failed += outcome.failed
    job.warnings += len({row for row, *_rest in outcome.warnings})
    job.rows_done += rows


def _finish(job: ImportJob, status: str, message: str | list[str] = "") -> ImportJob:
    """End the job; ``message`` (or the list of messages) says why it failed: stored as written and, when every
    message is a :class:`kehu.core.messages.Message`, as codes shown in each reader's language."""
    job.status = status
    job.finished_at = job.heartbeat_at = timezone.now()
    messages = [message] if isinstance(message, str) else list(message)
    if any(messages):
        job.error_message = " ".join(messages)
        codes = [message_json(text) for text in messages]
        job.error_codes = codes if all(codes) else None
    if status in {ImportJob.Status.DONE, ImportJob.Status.REJECTED}:
        job.rows_total = job.rows_done
    job.save()
    return job


def import_run(*, job: ImportJob, progress: Progress | None = None, chunk_size: int | None = None) -> ImportJob:
    """Run (or resume) an import job to its end. Returns the job with its final status and counts.

    An unreadable file or an unusable mapping ends the job as ``failed`` with ``error_message``; bad rows in
    all-or-nothing mode end it as ``rejected``. Unexpected errors leave the job as it was at its last checkpoint and
    propagate, so it can be resumed (it keeps its file). The job's run lock is held throughout: a job another worker
    is running is returned as it is. A job that ended has its uploaded file deleted (:func:`import_job_release_files`).
    """
    from kehu.core.queue import RunLock

    if job.is_finished:
        return job
    with RunLock("import", job.pk, attempts=RUN_LOCK_ATTEMPTS) as lock:
        if not lock.acquired:
            logger.warning("import job %s is being run by another worker", job.pk)
            return job
        status = ImportJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status is None or status in {ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED,
                                        ImportJob.Status.CANCELLED}:
            job.refresh_from_db()
            return job
        job = _import_run(job=job, progress=progress, chunk_size=chunk_size or CHUNK_SIZE)
    if job.is_finished:
        import_job_release_files(job=job)
    return job


def _import_run(*, job: ImportJob, progress: Progress | None, chunk_size: int) -> ImportJob:
    with translation.override(job.language or settings.LANGUAGE_CODE):
        if job.user is not None and not job.user.is_active:
            return _finish(job, ImportJob.Status.FAILED,
                           problem(gettext_noop("The user who started this import is no longer active.")))
        try:
            reader = _reader(job)
        except UnreadableFile as error:
            return _finish(job, ImportJob.Status.FAILED, str(error))
        target = _target(job)
        problems = target.mapping_problems()
        if problems:
            return _finish(job, ImportJob.Status.FAILED, problems)
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.finished_at = None
        try:
            with _bulk_session():
                if job.mode == ImportMode.ALL_OR_NOTHING:
                    return _run_all_or_nothing(job, reader, progress, chunk_size)
                return _run_skip_bad(job, reader, target, progress, chunk_size)
        except UnreadableFile as error:
            # found while reading on (a field over the limit, a malformed line): what was committed stays, with the
            # counters and checkpoint committed with it
            stored = ImportJob.objects.get(pk=job.pk)
            for counter in _COUNTERS:
                setattr(job, counter, getattr(stored, counter))
            return _finish(job, ImportJob.Status.FAILED, str(error))
        finally:
            reader.close()


SQLITE_IMPORT_CACHE_KIB = 131072


@contextmanager
def _bulk_session() -> Iterator[None]:
    """Connection settings for a big write, restored afterwards.

    SQLite's default page cache (2 MiB) makes every index insert of a large table a page read: during an import the
    connection gets a 128 MiB cache (measured: a million customers import markedly faster, most of all at commit).
    """
    if connection.vendor != "sqlite" or not SQLITE_IMPORT_CACHE_KIB:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _rebuild_seen(job: ImportJob, reader: TableReader, target: Target) -> None:
    """After an interruption: remember the keys of the rows stored before the checkpoint (duplicates detection)."""
    failed = set(ImportRowError.objects.filter(job=job, row__lte=job.checkpoint_row, is_warning=False)
                 .values_list("row", flat=True))
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
    job.heartbeat_at = timezone.now()
    job.save()
    chunks = _prepared_chunks(reader, target, size=chunk_size, start_after=job.checkpoint_row,
                              workers=preparation_workers(job, reader), language=job.language)
    with _ChunkWriter(job, threaded=writes_in_a_thread(job, reader, target), progress=progress) as writer:
        for number, (count, last_row, prepared) in enumerate(chunks, start=1):
            _refresh_statistics(target, number)
            with writer.chunk():
                outcome = target.apply(prepared, write=True, defer=target.defers_writes)
                _add(job, outcome, count)
                job.checkpoint_row = last_row
                writer.submit(outcome, count, errors=True)
    if job.created + job.updated >= FULL_ANALYZE_MIN_ROWS:
        _refresh_statistics(target, 0, final=True)
    return _finish(job, ImportJob.Status.DONE)


class _Rejected(Exception):
    pass


def _run_all_or_nothing(job: ImportJob, reader: TableReader, progress: Progress | None,
                        chunk_size: int) -> ImportJob:
    ImportRowError.objects.filter(job=job).delete()
    for counter in _COUNTERS:
        setattr(job, counter, 0)
    job.status = ImportJob.Status.VALIDATING
    job.heartbeat_at = timezone.now()
    job.save()
    checker = _target(job)
    workers = preparation_workers(job, reader)
    for count, _last_row, prepared in _prepared_chunks(reader, checker, size=chunk_size, workers=workers,
                                                       language=job.language):
        outcome = checker.apply(prepared, write=False)
        with transaction.atomic():
            _save_errors(job, outcome.errors)
            job.failed += outcome.failed
            job.rows_done += count
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["failed", "rows_done", "heartbeat_at"])
        if progress:
            progress(job, count)
    if job.failed:
        return _finish(job, ImportJob.Status.REJECTED)
    validated_rows = job.rows_done
    job.status = ImportJob.Status.RUNNING
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "heartbeat_at"])
    target = _target(job)
    errors: list[tuple[int, str, str, str]] = []
    try:
        with _ChunkWriter(job, threaded=writes_in_a_thread(job, reader, target), progress=progress,
                          single_transaction=True) as writer:
            job.rows_done = 0
            chunks = _prepared_chunks(reader, target, size=chunk_size, workers=workers, language=job.language)
            for number, (count, last_row, prepared) in enumerate(chunks, start=1):
                _refresh_statistics(target, number)
                outcome = target.apply(prepared, write=True, defer=target.defers_writes)
                if outcome.failed:
                    # the database changed since the check (another user, another import): keep the promise
                    errors = outcome.errors
                    raise _Rejected
                _add(job, outcome, count)
                job.checkpoint_row = last_row
                writer.submit(outcome, count, errors=False)
            writer.finish_with(partial(_finish, job, ImportJob.Status.DONE))
        if job.created + job.updated >= FULL_ANALYZE_MIN_ROWS:
            _refresh_statistics(target, 0, final=True)
    except _Rejected:
        job.refresh_from_db()
        _save_errors(job, errors)
        job.created = job.updated = job.unchanged = 0
        job.failed = len({row for row, *_rest in errors})
        job.rows_done = validated_rows
        return _finish(job, ImportJob.Status.REJECTED)
    return job


def writes_in_a_thread(job: ImportJob, reader: TableReader, target: Target) -> bool:
    """Whether the chunks are written by a thread of their own (see :class:`_ChunkWriter`): on PostgreSQL, for a
    target whose writes can be deferred, when the file is big (the job option ``write_thread`` overrides it)."""
    if connection.vendor != "postgresql" or not target.defers_writes:
        return False
    if "write_thread" in (job.options or {}):
        return bool(job.options["write_thread"])
    return (reader.estimated_rows or 0) >= PARALLEL_MIN_ROWS


class _ChunkWriter:
    """Writes the chunks of an import, each with its errors, its warnings and the job's counters and checkpoint.

    Without a thread (SQLite, small files) a chunk is matched and written in one transaction of this thread
    (:meth:`chunk`). With one, the chunk's writes (``ChunkOutcome.pending``) go to a thread of their own with a
    database connection of its own, so PostgreSQL stores chunk N while this thread looks up, checks and prepares
    chunk N+1 (their work was serial before). At most one chunk waits for the thread, so memory stays bounded. The
    next chunk's lookups cannot see the rows still being written, which the targets allow for: a key, code or
    reference repeated in the file is caught by what they remember of earlier chunks, not by the database.

    In skip-bad mode each chunk commits on its own with its checkpoint; in all-or-nothing mode
    (``single_transaction``) everything commits in one transaction at the end of the ``with`` block, with the job's
    final state (:meth:`finish_with`). An error in the writing thread is raised in this one at the next
    :meth:`submit` or at the end of the block, after the thread's transaction was rolled back, so the job resumes
    from its last checkpoint; leaving the block with an error rolls back what the thread has not committed.
    """

    _END = object()

    def __init__(self, job: ImportJob, *, threaded: bool, progress: Progress | None,
                 single_transaction: bool = False) -> None:
        self.job = job
        self.threaded = threaded
        self.progress = progress
        self.single_transaction = single_transaction
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._failure: BaseException | None = None
        self._abandoned = False
        self._thread: threading.Thread | None = None
        self._atomic: Any = None
        self._final: Callable[[], Any] | None = None
        self._rows = 0

    def __enter__(self) -> _ChunkWriter:
        if self.threaded:
            self._thread = threading.Thread(target=self._run, name=f"import-{self.job.pk}-writer", daemon=True)
            self._thread.start()
        elif self.single_transaction:
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if not self.threaded:
            if self._atomic is not None:
                if kind is None and self._final is not None:
                    self._final()
                self._atomic.__exit__(kind, error, trace)
            return
        self._abandoned = kind is not None
        self._put(self._END)
        assert self._thread is not None
        self._thread.join()
        if kind is None and self._failure is not None:
            raise self._failure

    @contextmanager
    def chunk(self) -> Iterator[None]:
        """Where a chunk is matched and submitted: in its own transaction when nothing else holds one."""
        if self.threaded or self.single_transaction:
            yield
            return
        with transaction.atomic():
            yield
        self._committed(self._rows)

    def submit(self, outcome: ChunkOutcome, rows: int, *, errors: bool) -> None:
        """Write the chunk (``outcome.pending``), its warnings, its errors when ``errors`` (skip-bad mode) and the
        job's counters as they stand now."""
        item = (outcome, rows, errors, {counter: getattr(self.job, counter) for counter in _COUNTERS})
        if self.threaded:
            self._put(item)
            return
        self._write(item)
        self._rows = rows
        if self.single_transaction:
            self._report(rows)

    def finish_with(self, final: Callable[[], Any]) -> None:
        """All-or-nothing: ``final`` (the job's final save) runs last, in the transaction of the rows."""
        self._final = final

    def _write(self, item: tuple[ChunkOutcome, int, bool, dict[str, int]]) -> None:
        outcome, _rows, errors, counters = item
        if outcome.pending is not None:
            outcome.pending()
        if errors:
            _save_errors(self.job, outcome.errors)
        _save_errors(self.job, outcome.warnings, warning=True)
        # the heartbeat: pages tell a running job from one whose worker died by it (and by the run lock)
        ImportJob.objects.filter(pk=self.job.pk).update(**counters, heartbeat_at=timezone.now())

    def _committed(self, rows: int) -> None:
        chunk_committed(self.job)
        self._report(rows)

    def _report(self, rows: int) -> None:
        if self.progress:
            self.progress(self.job, rows)

    # -- the importing thread's side of the queue ------------------------------------------------------------------
    def _put(self, item: Any) -> None:
        assert self._thread is not None
        while True:
            if self._failure is not None and item is not self._END:
                raise self._failure
            if not self._thread.is_alive():
                return
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    # -- the writing thread ------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            if self.single_transaction:
                with transaction.atomic():
                    for item in self._items():
                        self._write(item)
                        self._report(item[1])
                    if self._abandoned:
                        raise _Abandoned
                    if self._final is not None:
                        self._final()
            else:
                for item in self._items():
                    with transaction.atomic():
                        self._write(item)
                    self._committed(item[1])
        except _Abandoned:
            pass
        except BaseException as error:  # noqa: BLE001 - raised in the importing thread
            self._failure = error
        finally:
            connection.close()

    def _items(self) -> Iterator[Any]:
        while (item := self._queue.get()) is not self._END:
            if self._abandoned:
                continue
            yield item


class _Abandoned(Exception):
    """The importing thread left with an error: the writing thread rolls back what it has not committed."""


def import_preview(*, job: ImportJob, limit: int = 20) -> list[RowOutcome]:
    """The first ``limit`` rows as they would be stored, with their problems; nothing is written."""
    try:
        reader = _reader(job)
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
        outcome = _target(job).process(rows, write=False, preview=True)
    return sorted(outcome.rows, key=lambda outcome_row: outcome_row.row)


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

    _check_owner(job, actor)
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


def _check_owner(job: ImportJob, actor: User | None) -> None:
    if actor is not None and job.user_id is not None and job.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied(_("This is someone else's import."))


def import_job_cancel(*, job: ImportJob, actor: User | None) -> ImportJob:
    """Cancel a job that is not running (waiting, queued, or interrupted): it ends and its uploaded file is deleted.

    What an interrupted skip-bad job committed before it stopped stays stored."""
    from kehu.core.queue import RunLock

    _check_owner(job, actor)
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


# ------------------------------------------------------------------------------------------- files of finished jobs


def uploads_root() -> Path:
    """Where uploaded import files are kept while their job runs (MEDIA_ROOT/imports)."""
    return (Path(settings.MEDIA_ROOT) / "imports").resolve()


def _owned_upload(path: Path) -> bool:
    """Whether the job's file is an upload Kehu keeps (an operator's own file given to ``kehu import`` is not)."""
    root = uploads_root()
    resolved = path.resolve()
    return resolved.is_relative_to(root) and not resolved.is_relative_to(root / "errors")


def _cell_json(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return cell_text(value)


def _cell_from_json(value: Any) -> Any:
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
    reader = _reader(job)
    try:
        with path.open("w", encoding="utf-8") as out:
            for row, values in reader.rows():
                if row in failed:
                    out.write(json.dumps([row, [_cell_json(value) for value in values]], ensure_ascii=False))
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


def import_sample_rows(*, job: ImportJob, limit: int = 3) -> list[tuple[int, list[Any]]]:
    """The first data rows of the job's file as they are in the file (for the mapping step)."""
    try:
        reader = _reader(job)
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
        target = _target(job)
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
        target = _target(job)
        fields = [(index, spec) for index, spec in target.mapped if target.value_choices(spec.name)]
        if not fields:
            return []
        counters: dict[str, Counter[str]] = {spec.name: Counter() for _index, spec in fields}
        try:
            reader = _reader(job)
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
    _check_owner(job, actor)
    if job.status != ImportJob.Status.PENDING:
        raise ValidationError(_("This import has already started."))
    clean = _clean_values(_target(job), values)
    job.options = {**(job.options or {}), "values": clean}
    job.save(update_fields=["options"])
    if save_as.strip():
        import_mapping_save(name=save_as, target=job.target, headers=list(job.headers), columns=list(job.column_map),
                            key=job.key, user=actor, values=clean)
    return job


# -------------------------------------------------------------------------------------------------- error report


def import_error_report(*, job: ImportJob, out: IO[bytes] | str | os.PathLike[str], file_format: str = "csv",
                        language: str | None = None) -> int:
    """Write the rows that were not stored, in the file's own column layout plus a row and an error column.

    The report can be fixed and imported again as it is: the two extra columns are ignored by the mapping. Returns
    the number of rows written. ``file_format`` is ``csv`` (UTF-8 with BOM, for Excel) or ``xlsx``. Headers and
    reasons are in ``language`` (default: the language the import ran in).
    """
    reasons: dict[int, list[str]] = defaultdict(list)
    errors = ImportRowError.objects.filter(job=job, is_warning=False).order_by("row", "id")
    with translation.override(language or job.language or settings.LANGUAGE_CODE):
        for row, column, reason, message in errors.values_list("row", "column", "reason", "message"):
            text = render_message(message, reason)
            reasons[row].append(f"{column}: {text}" if column else text)
        kept = _report_columns(job)
        headers = [*(job.headers[index] for index in kept), _("row"), _("error")]
    rows = _failed_rows(job, reasons, kept) if reasons else iter(())
    if file_format == "xlsx":
        return _write_xlsx(out, headers, rows)
    return _write_csv(out, headers, rows)


def _report_columns(job: ImportJob) -> list[int]:
    """The file's columns repeated in its error report: all but the row and error columns of an earlier report.

    (A report that is fixed and imported again gets a report of its own with one row and one error column, the new
    ones, rather than the old ones followed by the new.)
    """
    from .aliases import REPORT_HEADERS
    from .fields import normalise_header

    ignored = {normalise_header(header) for header in REPORT_HEADERS}
    for language in ("zh-hans", "en", job.language or settings.LANGUAGE_CODE):
        with translation.override(language):
            ignored |= {normalise_header(_("row")), normalise_header(_("error"))}
    columns = list(job.column_map)
    return [index for index, header in enumerate(job.headers)
            if (columns[index] if index < len(columns) else "") or normalise_header(header) not in ignored]


def _failed_rows(job: ImportJob, reasons: dict[int, list[str]], kept: list[int]) -> Iterator[list[Any]]:
    if job.error_file_path:
        path = Path(job.error_file_path)
        if job.error_file_deleted_at is not None or not path.is_file():
            raise ValidationError(
                _("The rows with problems are no longer kept: they are deleted %(days)d days after the import ends.")
                % {"days": settings.KEHU_IMPORT_ERROR_FILE_DAYS})
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                row, values = json.loads(line)
                if row in reasons:
                    values = [_cell_from_json(value) for value in values]
                    yield [*(values[index] if index < len(values) else "" for index in kept), row,
                           "；".join(reasons[row])]
        return
    if job.file_deleted_at is not None:
        raise ValidationError(_("The uploaded file was deleted when the import ended."))
    try:
        reader = _reader(job)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from None
    last = max(reasons)
    for row, values in reader.rows():
        if row in reasons:
            yield [*(values[index] if index < len(values) else "" for index in kept), row, "；".join(reasons[row])]
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
        # every cell neutralised against formula injection; the readers take the quote off again (core.spreadsheet)
        writer.writerow([csv_safe(header) for header in headers])
        for values in rows:
            writer.writerow([csv_safe(cell_text(value)) for value in values])
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
                elif isinstance(value, Decimal):
                    sheet.write_number(index, column, float(value))
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


# -------------------------------------------------------------------------------------------------------- exports


def customer_export(
    *, user: User | None, out: IO[bytes] | str | os.PathLike[str], file_format: str = "xlsx",
    filters: Any = None, reason: str = "", include_personal_data: bool = True, ip_address: str | None = None,
) -> int:
    """Export the customers of a (filtered) list to CSV or XLSX in the columns an import reads back.

    Only customers the user may see are exported. Phones, ID numbers and e-mail are masked unless the user may see
    personal data (and asks for it, giving a reason); users who may not see it get no street address or birth
    date. Every export is written to the personal data access log: one
    entry per exported customer when personal data left unmasked, else one entry for the whole export. Without a user
    (an operator at the command line) every customer is exported, masked. Returns the number of customers written.
    """
    from kehu.customers.models import PersonalDataAccess
    from kehu.customers.selectors import CustomerFilters
    from kehu.customers.services import personal_data_access_log

    from .selectors import PERSONAL_DATA_FIELDS, customer_export_queryset, customer_export_rows, export_headers

    if user is not None and not user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not export customers."))
    masked = user is None or not include_personal_data or not user.has_perm("customers.view_personal_data")
    # roles without the personal-data permission get no street address or birth date (README: masking by role)
    withheld = frozenset() if user is None or user.has_perm("customers.view_personal_data") else frozenset(
        {"address", "birth_date"})
    reason = (reason or "").strip()
    if not masked and len(reason) < 2:
        raise ValidationError({"reason": [_("Give a reason for exporting personal data.")]})
    if file_format not in {"csv", "xlsx"}:
        raise ValidationError({"file_format": [_("Choose CSV or XLSX.")]})
    language = translation.get_language() or settings.LANGUAGE_CODE
    fields, headers, attributes = export_headers(language=language)
    customers = customer_export_queryset(user=user, filters=filters or CustomerFilters())
    exported = 0
    pending_log: list[int] = []
    fields_text = ",".join(PERSONAL_DATA_FIELDS)
    log_reason = (reason or _("Export")).strip()[:255]

    def log(ids: list[int]) -> None:
        PersonalDataAccess.objects.bulk_create([
            PersonalDataAccess(user=user, customer_id=customer_id, action=PersonalDataAccess.Action.EXPORT,
                               fields=fields_text, reason=log_reason, ip_address=ip_address)
            for customer_id in ids
        ])

    def cells() -> Iterator[list[Any]]:
        nonlocal exported
        for customer_id, values in customer_export_rows(customers=customers, fields=fields, attributes=attributes,
                                                        language=language, masked=masked, withheld=withheld):
            exported += 1
            if not masked:
                pending_log.append(customer_id)
                if len(pending_log) >= 2000:
                    log(pending_log)
                    pending_log.clear()
            yield values

    writer = _write_xlsx if file_format == "xlsx" else _write_csv
    writer(out, headers, cells())
    if pending_log:
        log(pending_log)
    if masked:
        summary = (_("%(reason)s (%(count)d customers, personal data masked)")
                   % {"reason": log_reason, "count": exported})[:255]
        if user is not None:
            personal_data_access_log(actor=user, action=PersonalDataAccess.Action.EXPORT, fields=_("masked"),
                                     reason=summary, ip_address=ip_address)
        else:  # an operator at the command line: no staff member to name
            PersonalDataAccess.objects.create(user=None, action=PersonalDataAccess.Action.EXPORT,
                                              fields=_("masked"), reason=summary, ip_address=ip_address)
    return exported


# -------------------------------------------------------------------------------------------------------- merging


def customer_may_merge(*, user: User) -> bool:
    """Merging is for administrators and branch managers (it deletes a customer record)."""
    from kehu.org.roles import SCOPE_CHANGE_ROLES
    from kehu.org.selectors import user_is_read_only, user_roles

    return (user.has_perm("customers.change_customer") and not user_is_read_only(user)
            and bool(user_roles(user) & SCOPE_CHANGE_ROLES))


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def _move_related(keep: Any, merge: Any, actor: User | None = None) -> dict[str, int]:
    """Deal with every row that refers to ``merge`` as its model's merge policy says
    (``kehu.core.registry.merge_policies``, registered by the app owning the model):

    - ``repoint`` (the default): point the rows at ``keep`` (contacts, transactions, consents, status and lifecycle
      records, transfers, access log, relationships, and whatever later apps add). A row that would duplicate one of
      ``keep``'s (a unique link both already have, a one-to-one row) is deleted instead, as derived data is;
    - ``transfer`` (ledgers): the rows are left alone and the policy's handler posts the entries that carry them over;
    - ``recompute`` (summaries): the rows are deleted and the policy's handler, if any, rebuilds ``keep``'s.

    Returns the number of re-pointed rows per model label.
    """
    from django.db import IntegrityError

    from kehu.core.registry import merge_policy_for
    from kehu.customers.models import CustomerRelationship

    moved: dict[str, int] = {}
    for relation in type(keep)._meta.related_objects:
        if relation.hidden or relation.many_to_many or relation.related_model.__name__.startswith("Historical"):
            continue
        if relation.related_name in {"person", "organisation"}:
            continue  # the profiles are merged field by field
        model = relation.related_model
        field_name = relation.field.name
        rows = model._base_manager.filter(**{field_name: merge})
        label = model._meta.label
        policy = merge_policy_for(label)
        if policy.policy == "transfer":
            policy.handler(keep=keep, merge=merge, actor=actor, field_name=field_name)  # type: ignore[misc]
            continue
        if policy.policy == "recompute":
            rows.delete()
            if policy.handler is not None:
                policy.handler(keep=keep, merge=merge, actor=actor, field_name=field_name)
            continue
        if relation.one_to_one and model._base_manager.filter(**{field_name: keep}).exists():
            rows.delete()
            continue
        try:
            with transaction.atomic():
                count = rows.update(**{field_name: keep})
        except IntegrityError:
            count = 0
            for row in list(rows):
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk=row.pk).update(**{field_name: keep})
                        count += 1
                except IntegrityError:
                    model._base_manager.filter(pk=row.pk).delete()
        if count:
            moved[label] = moved.get(label, 0) + count
    # a relationship between the two customers would now link the customer to itself
    CustomerRelationship.objects.filter(from_customer=keep, to_customer=keep).delete()
    return moved


@transaction.atomic
def customer_merge(*, keep: Any, merge: Any, actor: User, choices: dict[str, str], reason: str = "") -> Any:
    """Merge customer ``merge`` into ``keep`` and delete ``merge``; returns the :class:`MergeRecord`.

    ``choices`` names, for every field where both customers hold different values, which one wins (``"keep"`` or
    ``"merge"``); a field only the merged customer fills is taken from it. Everything referring to the merged customer
    moves to the kept one, tags are united, and the merge record keeps all stored values of the merged customer and
    the value dropped for each conflicting field, so nothing is lost silently. The kept customer gets a history
    record naming the merge; the deleted one keeps its history (with a deletion record).
    """
    from kehu.customers.models import Customer
    from kehu.customers.services import customer_update
    from kehu.customers.timeline import activity_record

    from .models import MergeRecord
    from .selectors import customer_merge_fields

    if not customer_may_merge(user=actor):
        raise PermissionDenied(_("Only administrators and branch managers may merge customers."))
    if keep.pk == merge.pk:
        raise ValidationError(_("Choose two different customers."))
    locked = {customer.pk: customer for customer in Customer.objects.visible_to(actor, "change")
              .select_for_update().filter(pk__in=[keep.pk, merge.pk])}
    if len(locked) != 2:
        raise PermissionDenied(_("You may not change one of these customers."))
    keep, merge = (Customer.objects.select_related("person", "organisation", "owner", "branch").get(pk=pk)
                   for pk in (keep.pk, merge.pk))
    if keep.kind != merge.kind:
        raise ValidationError(_("A person cannot be merged with an organisation."))
    fields = customer_merge_fields(keep=keep, merge=merge)
    missing = [field.label for field in fields if field.conflict and choices.get(field.name) not in {"keep", "merge"}]
    if missing:
        raise ValidationError({"choices": [_("Choose which value to keep for: %(fields)s.")
                                           % {"fields": "、".join(missing)}]})
    snapshot: dict[str, Any] = {"code": merge.code, "kind": merge.kind, "tags": list(merge.tags.values_list(
        "name", flat=True)), "custom_attributes": merge.custom_attributes or {}}
    customer_values: dict[str, Any] = {}
    profile_values: dict[str, Any] = {}
    custom = dict(keep.custom_attributes or {})
    field_choices: dict[str, Any] = {}
    for field in fields:
        snapshot[field.name] = _json_value(field.merge_value)
        take_merged = choices.get(field.name) == "merge" if field.conflict else field.result_from_merged
        value = field.merge_value if take_merged else field.keep_value
        if field.conflict:
            field_choices[field.name] = {
                "label": field.label, "chosen": "merge" if take_merged else "keep",
                "kept_value": field.merge_display if take_merged else field.keep_display,
                "dropped_value": field.keep_display if take_merged else field.merge_display,
            }
        if field.name.startswith("custom:"):
            if value is None:
                custom.pop(field.name[7:], None)
            else:
                custom[field.name[7:]] = value
        elif field.name in MERGE_PROFILE_FIELDS:
            profile_values[field.name] = "" if value is None and field.name not in NULLABLE_FIELDS else value
        else:
            customer_values[field.name] = "" if value is None and field.name not in NULLABLE_FIELDS else value
    if any(customer_values.get(name, getattr(keep, name)) != getattr(keep, name)
           for name in ("province", "city", "district")):
        # a division taken from the merged customer: the codes are found again from the names kept
        customer_values.update(province_code="", city_code="", district_code="")
    tags = list({*keep.tags.all(), *merge.tags.all()})
    moved = _move_related(keep, merge, actor)
    merged_id, merged_code, merged_name = merge.pk, merge.code, merge.name
    merge._change_reason = _("Merged into %(code)s") % {"code": keep.code}
    merge.delete()
    change_reason = (_("Merged with %(code)s") % {"code": merged_code}) + (f": {reason.strip()}" if reason else "")
    customer_update(customer=keep, actor=actor, reason=change_reason[:255], tags=tags, custom_attributes=custom,
                    person=profile_values if keep.is_person else None,
                    organisation=None if keep.is_person else profile_values, **customer_values)
    # the kept customer's history names the merge in each reader's language (as a code, when it fits the column)
    said = (problem(gettext_noop("Merged with %(code)s: %(reason)s"), code=merged_code, reason=reason.strip())
            if reason.strip() else problem(gettext_noop("Merged with %(code)s"), code=merged_code))
    newest = keep.history.order_by("-history_id").values_list("history_id", flat=True).first()
    keep.history.filter(history_id=newest).update(history_change_reason=as_stored_text(said, 100))
    record = MergeRecord.objects.create(
        kept_customer=keep, merged_customer_id=merged_id, merged_code=merged_code, merged_name=merged_name,
        merged_snapshot=snapshot, field_choices=field_choices, moved=moved, reason=reason.strip()[:255],
        merged_by=actor,
    )
    activity_record(customer=keep, kind="merge", occurred_at=record.merged_at, actor=actor, subject=record,
                    data={"merged_code": merged_code, "merged_name": merged_name, "reason": record.reason})
    return record


MERGE_PROFILE_FIELDS = {
    "gender", "birth_date", "id_type", "id_number", "employer", "position", "income_band", "household", "education",
    "preferences", "credit_code", "ownership_type", "main_business", "staff_count", "annual_revenue",
    "legal_representative", "founded_on", "other_banks_suppliers", "business_status",
}
NULLABLE_FIELDS = {"birth_date", "staff_count", "annual_revenue", "founded_on", "owner", "share_of_wallet",
                   "customer_since"}
