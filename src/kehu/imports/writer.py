"""Writing the chunks of an import: each chunk's rows, row errors and warnings with the job's counters and checkpoint
(:class:`ChunkWriter`), in the importing thread or, on PostgreSQL for a big file, in a thread of its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kehu.core.messages import message_json

from .models import ImportJob, ImportRowError
from .targets.base import ChunkOutcome

Progress = Callable[[ImportJob, int], None]
# the job's counters, written with each chunk
COUNTERS = ["created", "updated", "unchanged", "failed", "warnings", "rows_done", "checkpoint_row"]


def save_row_errors(job: ImportJob, errors: list[tuple[int, str, str, str]], *, warning: bool = False) -> None:
    """Store a chunk's row problems (``(row, column, value, reason)``; ``warning``: the rows were stored anyway)."""
    if errors:
        ImportRowError.objects.bulk_create(
            # a NUL in the file's cell (refused by the field) is shown as ␀: PostgreSQL cannot store it
            [ImportRowError(job=job, row=row, column=column[:200].replace("\x00", "\u2400"),
                            value=value[:2000].replace("\x00", "\u2400"), reason=reason,
                            message=message_json(reason), is_warning=warning)
             for row, column, value, reason in errors],
            batch_size=2000,
        )


class ChunkWriter:
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

    def __enter__(self) -> ChunkWriter:
        if self.threaded:
            self._thread = threading.Thread(target=self._write_queued_chunks, name=f"import-{self.job.pk}-writer",
                                            daemon=True)
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
        self._report(self._rows)

    def submit(self, outcome: ChunkOutcome, rows: int, *, errors: bool) -> None:
        """Write the chunk (``outcome.pending``), its warnings, its errors when ``errors`` (skip-bad mode) and the
        job's counters as they stand now."""
        item = (outcome, rows, errors, {counter: getattr(self.job, counter) for counter in COUNTERS})
        if self.threaded:
            self._put(item)
            return
        self._write_chunk(item)
        self._rows = rows
        if self.single_transaction:
            self._report(rows)

    def finish_with(self, final: Callable[[], Any]) -> None:
        """All-or-nothing: ``final`` (the job's final save) runs last, in the transaction of the rows."""
        self._final = final

    def _write_chunk(self, item: tuple[ChunkOutcome, int, bool, dict[str, int]]) -> None:
        outcome, _rows, errors, counters = item
        if outcome.pending is not None:
            outcome.pending()
        if errors:
            save_row_errors(self.job, outcome.errors)
        save_row_errors(self.job, outcome.warnings, warning=True)
        # the heartbeat: pages tell a running job from one whose worker died by it (and by the run lock)
        ImportJob.objects.filter(pk=self.job.pk).update(**counters, heartbeat_at=timezone.now())

    def _report(self, rows: int) -> None:
        """Tell ``progress`` (the command's progress bar) that ``rows`` more rows are done: in skip-bad mode once
        their chunk is committed, so an error it raises leaves the job at that chunk's checkpoint."""
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
    def _write_queued_chunks(self) -> None:
        try:
            if self.single_transaction:
                with transaction.atomic():
                    for item in self._queued_items():
                        self._write_chunk(item)
                        self._report(item[1])
                    if self._abandoned:
                        raise _Abandoned
                    if self._final is not None:
                        self._final()
            else:
                for item in self._queued_items():
                    with transaction.atomic():
                        self._write_chunk(item)
                    self._report(item[1])
        except _Abandoned:
            pass
        except BaseException as error:  # noqa: BLE001 - raised in the importing thread
            self._failure = error
        finally:
            connection.close()

    def _queued_items(self) -> Iterator[Any]:
        while (item := self._queue.get()) is not self._END:
            if self._abandoned:
                continue
            yield item


class _Abandoned(Exception):
    """The importing thread left with an error: the writing thread rolls back what it has not committed."""
