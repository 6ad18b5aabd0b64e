"""Running an import job: reading its file in chunks, preparing rows (in worker processes for a big file), applying the
target to each chunk and committing it (:mod:`kehu.imports.writer`).

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

import logging
import os
from collections.abc import Iterator
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from kehu.core.bulkio.session import analyze, bulk_write_session, concurrent_writer
from kehu.core.messages import message_json, problem

from .files import import_job_release_files, open_job_file
from .jobs import job_target
from .models import ImportJob, ImportMode, ImportRowError
from .readers import TableReader, UnreadableFile
from .targets.base import ChunkOutcome, Prepared, Target
from .writer import COUNTERS, ChunkWriter, Progress, save_row_errors

logger = logging.getLogger(__name__)


CHUNK_SIZE = 5000
# a page checking whether a job's lock is held takes it for an instant (SQLite's file lock): a worker tries a few times
RUN_LOCK_ATTEMPTS = 10


def _chunked(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    """The file's numbered rows in lists of ``size``."""
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
    rows = _chunked(reader.rows(start_after=start_after), size)
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


FULL_ANALYZE_MIN_ROWS = 50_000


def _refresh_statistics(target: Target, chunk_number: int, *, final: bool = False) -> None:
    """On PostgreSQL, ANALYZE the looked-up tables after chunks 1, 2, 4, 8…: a table that was empty when the import
    started would otherwise be planned as empty (sequential scans for every key lookup) until autovacuum catches up.

    Only the columns the import looks rows up by are analysed on the way (the search keys have statistics targets
    of 1,000: analysing them samples 300,000 rows each time); ``final`` analyses the whole tables once, after an
    import that wrote many rows, so searches are planned on the new rows at once.
    """
    if not final and chunk_number & (chunk_number - 1):
        return
    analyze(target.lookup_tables, columns=None if final else target.lookup_columns)


def _count_chunk(job: ImportJob, outcome: ChunkOutcome, rows: int) -> None:
    """Add a chunk's outcome to the job's counters (saved with the chunk by the writer)."""
    job.created += outcome.created
    job.updated += outcome.updated
    job.unchanged += outcome.unchanged
    job.failed += outcome.failed
    job.warnings += len({row for row, *_rest in outcome.warnings})
    job.rows_done += rows


def _end_job(job: ImportJob, status: str, message: str | list[str] = "") -> ImportJob:
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
            return _end_job(job, ImportJob.Status.FAILED,
                           problem(gettext_noop("The user who started this import is no longer active.")))
        try:
            reader = open_job_file(job)
        except UnreadableFile as error:
            return _end_job(job, ImportJob.Status.FAILED, str(error))
        target = job_target(job)
        problems = target.mapping_problems()
        if problems:
            return _end_job(job, ImportJob.Status.FAILED, problems)
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.finished_at = None
        try:
            with bulk_write_session():
                if job.mode == ImportMode.ALL_OR_NOTHING:
                    return _run_all_or_nothing(job, reader, progress, chunk_size)
                return _run_skip_bad(job, reader, target, progress, chunk_size)
        except UnreadableFile as error:
            # found while reading on (a field over the limit, a malformed line): what was committed stays, with the
            # counters and checkpoint committed with it
            stored = ImportJob.objects.get(pk=job.pk)
            for counter in COUNTERS:
                setattr(job, counter, getattr(stored, counter))
            return _end_job(job, ImportJob.Status.FAILED, str(error))
        finally:
            reader.close()


def _remember_stored_keys(job: ImportJob, reader: TableReader, target: Target) -> None:
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
        _remember_stored_keys(job, reader, target)
    ImportRowError.objects.filter(job=job, row__gt=job.checkpoint_row).delete()
    job.status = ImportJob.Status.RUNNING
    job.heartbeat_at = timezone.now()
    job.save()
    chunks = _prepared_chunks(reader, target, size=chunk_size, start_after=job.checkpoint_row,
                              workers=preparation_workers(job, reader), language=job.language)
    with ChunkWriter(job, threaded=writes_in_a_thread(job, reader, target), progress=progress) as writer:
        for number, (count, last_row, prepared) in enumerate(chunks, start=1):
            _refresh_statistics(target, number)
            with writer.chunk():
                outcome = target.apply(prepared, write=True, defer=target.defers_writes)
                _count_chunk(job, outcome, count)
                job.checkpoint_row = last_row
                writer.submit(outcome, count, errors=True)
    if job.created + job.updated >= FULL_ANALYZE_MIN_ROWS:
        _refresh_statistics(target, 0, final=True)
    return _end_job(job, ImportJob.Status.DONE)


def writes_in_a_thread(job: ImportJob, reader: TableReader, target: Target) -> bool:
    """Whether the chunks are written by a thread of their own (see :class:`ChunkWriter`): on PostgreSQL, for a
    target whose writes can be deferred, when the file is big (the job option ``write_thread`` overrides it)."""
    if not concurrent_writer() or not target.defers_writes:
        return False
    if "write_thread" in (job.options or {}):
        return bool(job.options["write_thread"])
    return (reader.estimated_rows or 0) >= PARALLEL_MIN_ROWS


class _Rejected(Exception):
    pass


def _run_all_or_nothing(job: ImportJob, reader: TableReader, progress: Progress | None,
                        chunk_size: int) -> ImportJob:
    ImportRowError.objects.filter(job=job).delete()
    for counter in COUNTERS:
        setattr(job, counter, 0)
    job.status = ImportJob.Status.VALIDATING
    job.heartbeat_at = timezone.now()
    job.save()
    checker = job_target(job)
    workers = preparation_workers(job, reader)
    for count, _last_row, prepared in _prepared_chunks(reader, checker, size=chunk_size, workers=workers,
                                                       language=job.language):
        outcome = checker.apply(prepared, write=False)
        with transaction.atomic():
            save_row_errors(job, outcome.errors)
            job.failed += outcome.failed
            job.rows_done += count
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["failed", "rows_done", "heartbeat_at"])
        if progress:
            progress(job, count)
    if job.failed:
        return _end_job(job, ImportJob.Status.REJECTED)
    validated_rows = job.rows_done
    job.status = ImportJob.Status.RUNNING
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "heartbeat_at"])
    target = job_target(job)
    errors: list[tuple[int, str, str, str]] = []
    try:
        with ChunkWriter(job, threaded=writes_in_a_thread(job, reader, target), progress=progress,
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
                _count_chunk(job, outcome, count)
                job.checkpoint_row = last_row
                writer.submit(outcome, count, errors=False)
            writer.finish_with(partial(_end_job, job, ImportJob.Status.DONE))
        if job.created + job.updated >= FULL_ANALYZE_MIN_ROWS:
            _refresh_statistics(target, 0, final=True)
    except _Rejected:
        job.refresh_from_db()
        save_row_errors(job, errors)
        job.created = job.updated = job.unchanged = 0
        job.failed = len({row for row, *_rest in errors})
        job.rows_done = validated_rows
        return _end_job(job, ImportJob.Status.REJECTED)
    return job
