"""Where the tasks that views dispatch run: never inside the web request.

- With a Celery broker (``KEHU_REDIS_URL``) a task is sent to it when the transaction commits.
- Without one, it is written to the database (:class:`kehu.core.models.QueuedTask`, in the caller's transaction, so
  it exists exactly when what it works on does) and the background worker that ``kehu serve`` and ``kehu demo``
  start (``kehu worker``, :func:`run_worker`) takes it, one at a time, atomically.
- The test suite runs tasks eagerly when the transaction commits (``KEHU_TASK_QUEUE = "eager"``), unless a test
  sets ``settings.KEHU_TASK_QUEUE = "database"`` to exercise the queue.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from .models import QueuedTask

logger = logging.getLogger(__name__)

# the worker also deletes expired import files this often (there is no beat scheduler without a broker)
MAINTENANCE_SECONDS = 3600


def dispatch(task: Any, *args: Any, **kwargs: Any) -> QueuedTask | None:
    """Run the Celery task ``task`` with these (JSON) arguments outside the web request; see the module's notes.

    Returns the queued row when the database queue is used."""
    mode = getattr(settings, "KEHU_TASK_QUEUE", "database")
    if mode == "database":
        return QueuedTask.objects.create(name=task.name, args=list(args), kwargs=dict(kwargs))
    transaction.on_commit(lambda: task.delay(*args, **kwargs))
    return None


def _close_old_connections() -> None:
    """Drop a broken or expired connection between tasks (not inside a transaction: a test runs in one)."""
    if not connection.in_atomic_block:
        close_old_connections()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(worker: str) -> QueuedTask | None:
    """Take the oldest queued task for ``worker``, or None; two workers never take the same one."""
    now = timezone.now()
    queued = QueuedTask.objects.filter(status=QueuedTask.Status.QUEUED).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            task = queued.select_for_update(skip_locked=True).first()
            if task is None:
                return None
            task.status, task.worker, task.started_at = QueuedTask.Status.RUNNING, worker, now
            task.save(update_fields=["status", "worker", "started_at"])
            return task
    # SQLite: one writer at a time; the conditional UPDATE takes a row only if it is still queued
    for pk in list(queued.values_list("pk", flat=True)[:10]):
        taken = QueuedTask.objects.filter(pk=pk, status=QueuedTask.Status.QUEUED).update(
            status=QueuedTask.Status.RUNNING, worker=worker, started_at=now)
        if taken:
            return QueuedTask.objects.get(pk=pk)
    return None


def _registered_task(name: str) -> Any:
    """The Celery task of that name, the apps' ``tasks`` modules imported first (Celery discovers them lazily)."""
    from kehu.celery import app

    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def run_one(worker: str | None = None) -> QueuedTask | None:
    """Claim and run one queued task; returns it (done or failed), or None when the queue is empty.

    A task that raises is recorded as failed with its traceback; what it worked on keeps its own state (an import
    job stays resumable from its checkpoint)."""
    task = claim(worker or worker_name())
    if task is None:
        return None
    try:
        function = _registered_task(task.name)
        function.apply(args=task.args, kwargs=task.kwargs, throw=True)
    except Exception:  # noqa: BLE001 - the worker goes on with the next task
        logger.exception("task %s #%s failed", task.name, task.pk)
        task.status, task.error = QueuedTask.Status.FAILED, traceback.format_exc()[-20000:]
    else:
        task.status = QueuedTask.Status.DONE
    task.finished_at = timezone.now()
    _close_old_connections()
    QueuedTask.objects.filter(pk=task.pk).update(status=task.status, error=task.error,
                                                 finished_at=task.finished_at)
    return task


def maintenance() -> None:
    """What celery beat would run periodically that cannot wait for a broker: expired import files."""
    from django.core.management import call_command

    try:
        call_command("purge_import_files", verbosity=0)
    except Exception:  # noqa: BLE001 - maintenance must not stop the worker
        logger.exception("purging import files failed")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def reap_dead_workers() -> int:
    """Mark the tasks that workers of this machine took and died with as failed (what they worked on keeps its own
    state: an import shows as interrupted and is resumed from its page). Returns how many."""
    host = socket.gethostname()
    reaped = 0
    for task in QueuedTask.objects.filter(status=QueuedTask.Status.RUNNING, worker__startswith=f"{host}:"):
        pid = task.worker.rsplit(":", 1)[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            reaped += QueuedTask.objects.filter(pk=task.pk, status=QueuedTask.Status.RUNNING).update(
                status=QueuedTask.Status.FAILED, error="The worker running this task stopped.",
                finished_at=timezone.now())
    return reaped


def run_worker(*, poll: float = 1.0, once: bool = False, stop: threading.Event | None = None) -> int:
    """Take and run queued tasks until stopped (or, with ``once``, until the queue is empty); returns how many ran."""
    worker = worker_name()
    reap_dead_workers()
    stop = stop or threading.Event()
    ran = 0
    next_maintenance = 0.0
    while not stop.is_set():
        _close_old_connections()
        if not once and time.monotonic() >= next_maintenance:
            maintenance()
            next_maintenance = time.monotonic() + MAINTENANCE_SECONDS
        if run_one(worker) is not None:
            ran += 1
            continue
        if once:
            break
        stop.wait(poll)
    return ran


# ------------------------------------------------------------------------------------------------------ run locks
# A worker holds a job's run lock while it runs the job: a PostgreSQL session advisory lock (released when the
# worker's connection ends, whatever kills it; visible from every host), or on SQLite (one machine by definition) an
# exclusive lock on a file under KEHU_VAR_DIR/locks (released by the kernel when the process dies). Pages tell a job
# whose worker died from one in a long transaction by it, and a job is never run by two workers at once.

_LOCK_SPACES = {"import": 0x4B48}


def _lock_file(space: str, number: int) -> Any:
    folder = settings.VAR_DIR / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / f"{space}-{number}.lock", "a+b")  # noqa: SIM115 - closed by the callers


class RunLock:
    """``with RunLock("import", job.pk) as lock:`` — ``lock.acquired`` says whether this process holds it."""

    def __init__(self, space: str, number: int, *, attempts: int = 1) -> None:
        self.space, self.number = _LOCK_SPACES[space], number
        self.name = space
        self.attempts = max(attempts, 1)
        self.acquired = False
        self._file: Any = None

    def __enter__(self) -> RunLock:
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(0.2)
            self._acquire()
            if self.acquired:
                break
        return self

    def _acquire(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [self.space, self.number])
                self.acquired = bool(cursor.fetchone()[0])
            return
        try:
            import fcntl
        except ImportError:  # no file locks on this system: the heartbeat alone tells
            self.acquired = True
            return
        self._file = _lock_file(self.name, self.number)
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.acquired = True
        except OSError:
            self._file.close()
            self._file = None

    def __exit__(self, *exc: Any) -> None:
        if not self.acquired:
            return
        if connection.vendor == "postgresql":
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [self.space, self.number])
        elif self._file is not None:
            self._file.close()  # releases the lock
        self.acquired = False


def run_lock_held(space: str, number: int) -> bool:
    """Whether some live process holds the run lock (without taking it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s"
                " AND objid = %s AND objsubid = 2 AND database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database()))", [_LOCK_SPACES[space], number])
            return bool(cursor.fetchone()[0])
    try:
        import fcntl
    except ImportError:
        return False
    path = settings.VAR_DIR / "locks" / f"{space}-{number}.lock"
    if not path.exists():
        return False
    with path.open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False
