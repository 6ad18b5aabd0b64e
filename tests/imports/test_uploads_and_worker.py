"""Uploads are bounded and cleaned up; jobs run in the background worker, never in a web request.

Through the real entry points: the import wizard over HTTP, ``kehu import``, the worker's entry point (``kehu worker``
without a broker) and the periodic purge task.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from kehu.core.models import QueuedTask
from kehu.customers.models import Customer
from kehu.imports.models import ImportJob

from .conftest import write_csv, write_xlsx

pytestmark = pytest.mark.urls("tests.imports.urls")


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    return Path(settings.MEDIA_ROOT)


def client_for(user, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def upload(client: Client, path: Path, target: str = "customers"):
    with open(path, "rb") as handle:
        return client.post("/imports/new/", {"target": target, "file": handle, "encoding": "auto", "sheet": ""})


def zip_bomb(tmp_path: Path, padding: int = 4 << 20) -> Path:
    """A real workbook whose sheet XML is padded with whitespace: a few KB that unpack to ``padding`` bytes more."""
    source = write_xlsx(tmp_path / "source.xlsx", [["客户编号", "姓名", "手机"], ["B1", "张三", 13800138000]])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b" " * padding + b"</worksheet>")
            out.writestr(item.filename, data)
    return bomb


# ------------------------------------------------------------------------------------------------ limits on files


def test_zip_bomb_xlsx_is_refused_on_upload_with_a_message(tmp_path, users, media):
    bomb = zip_bomb(tmp_path)
    assert bomb.stat().st_size < 100_000
    response = upload(client_for(users["branch_manager"]), bomb)
    assert response.status_code == 200
    assert "possible “zip bomb”" in text(response)
    assert not ImportJob.objects.exists()
    assert not list((media / "imports").rglob("*.xlsx"))  # the refused upload is not kept
    chinese = upload(client_for(users["branch_manager"], "zh-hans"), bomb)
    assert "压缩炸弹" in text(chinese)


def test_zip_bomb_and_inflated_size_refused_by_kehu_import(tmp_path, org, settings):
    bomb = zip_bomb(tmp_path)
    with pytest.raises(CommandError, match="zip bomb") as refused:
        call_command("import", "customers", str(bomb), "--no-progress", "--language", "en")
    assert refused.value.returncode == 2
    settings.KEHU_IMPORT_MAX_COMPRESSION_RATIO = 100_000
    settings.KEHU_IMPORT_MAX_INFLATED_MB = 2
    with pytest.raises(CommandError, match=r"unpacks to 4\.0\sMB, more than the 2\.0\sMB"):
        call_command("import", "customers", str(bomb), "--no-progress", "--language", "en")
    assert not Customer.objects.exists()


def test_oversized_csv_field_is_refused_with_its_line_and_reason(tmp_path, org, settings):
    settings.KEHU_IMPORT_MAX_FIELD_CHARS = 1000
    source = write_csv(tmp_path / "notes.csv", [
        ["客户编号", "姓名", "手机", "门店", "备注"],
        ["F1", "张三", "13800138000", "SH1", "短"],
        ["F2", "李四", "13800138001", "SH1", "长" * 5000],
        ["F3", "王五", "13800138002", "SH1", "短"],
    ])
    with pytest.raises(CommandError, match="Line 3: a field is longer than 1000 characters") as refused:
        call_command("import", "customers", str(source), "--key", "code", "--no-progress", "--language", "en")
    assert refused.value.returncode == 2
    assert not Customer.objects.exists()  # all-or-nothing: the check found it before anything was stored
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "Line 3" in job.error_message


def test_oversized_csv_field_in_the_wizard_is_a_message_not_a_500(tmp_path, users, media, settings):
    settings.KEHU_IMPORT_MAX_FIELD_CHARS = 1000
    source = write_csv(tmp_path / "notes.csv", [
        ["客户编号", "姓名", "手机", "门店", "备注"],
        ["F1", "张三", "13800138000", "SH1", "长" * 5000],
    ])
    client = client_for(users["branch_manager"])
    response = upload(client, source)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert client.get(f"/imports/{job.pk}/mapping/").status_code == 200
    preview = client.get(f"/imports/{job.pk}/preview/", follow=True)
    assert preview.status_code == 200
    assert "Line 2: a field is longer than 1000 characters" in text(preview)


def test_oversized_spreadsheet_cell_is_refused_with_row_and_column(tmp_path, settings):
    from kehu.imports.readers import UnreadableFile, open_table

    settings.KEHU_IMPORT_MAX_FIELD_CHARS = 100
    path = write_xlsx(tmp_path / "cells.xlsx", [["客户编号", "备注"], ["C1", "x"], ["C2", "y" * 500]])
    reader = open_table(path)
    with pytest.raises(UnreadableFile, match="Row 3, column B: the cell holds 500 characters, more than the 100"):
        list(reader.rows())
    reader.close()


def test_upload_over_the_size_limit_is_refused(tmp_path, users, media, settings):
    settings.KEHU_IMPORT_MAX_UPLOAD_MB = 1
    rows = [["客户编号", "姓名", "手机"]] + [[f"U{index}", "张三" * 20, "13800138000"] for index in range(20000)]
    source = write_csv(tmp_path / "big.csv", rows)
    assert source.stat().st_size > 1 << 20
    response = upload(client_for(users["branch_manager"]), source)
    assert response.status_code == 200
    assert "files of up to 1.0\xa0MB can be imported" in text(response)
    assert not ImportJob.objects.exists()


# ----------------------------------------------------------------------------------- files removed, error files kept


def _wizard_job(client: Client, tmp_path: Path, rows: list[list]) -> ImportJob:
    source = write_csv(tmp_path / "客户.csv", rows)
    response = upload(client, source)
    assert response.status_code == 302, text(response)
    job = ImportJob.objects.latest("id")
    response = client.post(f"/imports/{job.pk}/mapping/", {
        "column_0": "code", "column_1": "name", "column_2": "mobile", "column_3": "branch", "key": "code",
        "mode": "skip-bad",
    })
    assert response.status_code == 302, text(response)
    return job


ROWS = [["客户编号", "姓名", "手机", "门店"], ["W1", "张三", "13800138000", "SH1"], ["W2", "李四", "12345", "SH1"],
        ["W3", "王五", "13800138002", "SH1"]]


def test_upload_deleted_at_job_end_error_file_kept_then_purged(tmp_path, users, media, settings,
                                                               django_capture_on_commit_callbacks):
    from kehu.imports.tasks import purge_import_files_task

    client = client_for(users["branch_manager"])
    job = _wizard_job(client, tmp_path, ROWS)
    uploaded = Path(job.file_path)
    assert uploaded.is_file() and uploaded.is_relative_to(media)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/preview/")
    job.refresh_from_db()
    assert (job.status, job.created, job.failed) == ("done", 2, 1)
    assert not uploaded.exists() and not uploaded.parent.exists()
    assert job.file_deleted_at is not None and Path(job.error_file_path).is_file()
    page = text(client.get(f"/imports/{job.pk}/"))
    assert "The uploaded file was deleted on" in page and "The rows with problems are kept until" in page
    report = client.get(f"/imports/{job.pk}/errors.csv")  # made from the error file: the upload is gone
    lines = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("W2,李四,12345,SH1,3,")
    assert client.get(f"/imports/{job.pk}/errors.xlsx").status_code == 200

    purge_import_files_task.delay()  # within the kept days: nothing goes
    job.refresh_from_db()
    assert Path(job.error_file_path).is_file() and job.error_file_deleted_at is None
    ImportJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=settings.KEHU_IMPORT_ERROR_FILE_DAYS, minutes=1))
    result = purge_import_files_task.delay().get(timeout=60)
    assert "error files deleted 1" in result
    job.refresh_from_db()
    assert job.error_file_deleted_at is not None and not Path(job.error_file_path).exists()
    page = text(client.get(f"/imports/{job.pk}/"))
    assert "The rows with problems were deleted on" in page and "errors-csv" not in page
    gone = client.get(f"/imports/{job.pk}/errors.csv", follow=True)
    assert "The rows with problems are no longer kept" in text(gone)


def test_failed_and_cancelled_jobs_delete_their_upload_and_a_left_upload_is_purged(
        tmp_path, users, media, settings):
    client = client_for(users["branch_manager"])
    job = _wizard_job(client, tmp_path, ROWS)
    uploaded = Path(job.file_path)
    response = client.post(f"/imports/{job.pk}/cancel/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and not uploaded.exists() and job.file_deleted_at
    # a job left at the mapping step for longer than error files are kept is cancelled by the command
    left = _wizard_job(client, tmp_path, ROWS)
    ImportJob.objects.filter(pk=left.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    out = io.StringIO()
    call_command("purge_import_files", stdout=out)
    assert "abandoned uploads deleted 1" in out.getvalue()
    left.refresh_from_db()
    assert left.status == ImportJob.Status.CANCELLED and not Path(left.file_path).exists()
    # a failed job (its file changed under it) deletes it too
    failing = _wizard_job(client, tmp_path, ROWS)
    Path(failing.file_path).write_text("客户编号,姓名\nX,Y\n", encoding="utf-8")
    from kehu.imports.services import import_run

    failing = import_run(job=failing)
    assert failing.status == ImportJob.Status.FAILED and not Path(failing.file_path).exists()


# ---------------------------------------------------------------------------------------- the background worker


def run_worker() -> None:
    """The worker's entry point as ``kehu serve`` starts it (``kehu worker`` without a broker), until the queue is
    empty."""
    from kehu.cli import main

    assert main(["worker", "--once"]) == 0


def test_web_request_without_a_broker_only_queues_and_the_worker_runs_it(tmp_path, users, media, settings,
                                                                         monkeypatch):
    monkeypatch.delenv("KEHU_REDIS_URL", raising=False)
    settings.KEHU_TASK_QUEUE = "database"
    client = client_for(users["branch_manager"])
    job = _wizard_job(client, tmp_path, ROWS)
    response = client.post(f"/imports/{job.pk}/preview/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.rows_done == 0
    assert not Customer.objects.exists()  # nothing ran in the request
    task = QueuedTask.objects.get()
    assert (task.name, task.args, task.status) == ("kehu.imports.tasks.import_run_task", [job.pk], "queued")
    assert "Waiting for the background worker" in text(client.get(f"/imports/{job.pk}/"))
    assert Path(job.file_path).is_file()

    run_worker()
    task.refresh_from_db()
    job.refresh_from_db()
    assert task.status == QueuedTask.Status.DONE and task.worker
    assert (job.status, job.created, job.failed) == ("done", 2, 1)
    assert Customer.objects.count() == 2 and not Path(job.file_path).exists()


def test_scoring_run_requested_on_the_web_is_queued_without_a_broker(users, settings, monkeypatch):
    from kehu.scoring.models import ScoringRun

    monkeypatch.delenv("KEHU_REDIS_URL", raising=False)
    settings.KEHU_TASK_QUEUE = "database"
    response = client_for(users["administrator"]).post("/value/runs/start/")
    assert response.status_code == 302
    run = ScoringRun.objects.get()
    assert run.status == ScoringRun.Status.QUEUED
    task = QueuedTask.objects.get()
    assert task.name == "kehu.scoring.tasks.scoring_run_task" and task.kwargs["run_id"] == run.pk
    run_worker()
    run.refresh_from_db()
    assert run.status != ScoringRun.Status.QUEUED
    assert QueuedTask.objects.get().status in {QueuedTask.Status.DONE, QueuedTask.Status.FAILED}


def test_two_workers_never_claim_the_same_task(users, settings):
    from kehu.core.queue import claim
    from kehu.imports.tasks import purge_import_files_task

    settings.KEHU_TASK_QUEUE = "database"
    from kehu.core.queue import dispatch

    first = dispatch(purge_import_files_task)
    second = dispatch(purge_import_files_task)
    assert claim("a").pk == first.pk
    assert claim("b").pk == second.pk
    assert claim("c") is None


def test_dead_worker_is_detected_and_resumed_from_the_ui_without_duplicates(tmp_path, users, media, settings,
                                                                             monkeypatch):
    from kehu.core.queue import RunLock
    from kehu.imports import pipeline
    from kehu.imports.services import target_class

    monkeypatch.delenv("KEHU_REDIS_URL", raising=False)
    settings.KEHU_TASK_QUEUE = "database"
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)
    rows = [ROWS[0]] + [[f"D{index}", f"客户{index}", f"1380013{index:04d}", "SH1"] for index in range(7)]
    client = client_for(users["branch_manager"])
    job = _wizard_job(client, tmp_path, rows)
    client.post(f"/imports/{job.pk}/preview/")
    chunks = {"n": 0}

    customers = target_class("customers")
    apply = customers.apply

    def killed(self, *args, **kwargs):  # the worker dies on the third chunk, after two were committed
        chunks["n"] += 1
        if chunks["n"] == 3:
            raise RuntimeError("the worker's process was killed")
        return apply(self, *args, **kwargs)

    monkeypatch.setattr(customers, "apply", killed)
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.checkpoint_row == 5 and job.created == 4
    assert QueuedTask.objects.get().status == QueuedTask.Status.FAILED
    assert Path(job.file_path).is_file()  # an interrupted job keeps its file to resume
    page = text(client.get(f"/imports/{job.pk}/"))
    assert "import-interrupted" not in page  # its heartbeat is recent: it may still be running

    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.KEHU_JOB_HEARTBEAT_TIMEOUT + 1))
    with RunLock("import", job.pk) as lock:  # a live worker (in a long transaction) holds the lock
        assert lock.acquired
        assert "import-interrupted" not in text(client.get(f"/imports/{job.pk}/"))
    page = text(client.get(f"/imports/{job.pk}/"))
    assert "import-interrupted" in page and "import-resume" in page and "after row 5" in page

    monkeypatch.setattr(customers, "apply", apply)
    response = client.post(f"/imports/{job.pk}/start/")
    assert response.status_code == 302
    assert not Customer.objects.filter(code="D6").exists()  # queued, not run in the request
    assert "import-interrupted" not in text(client.get(f"/imports/{job.pk}/"))
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.created, job.failed) == ("done", 7, 0)
    assert Customer.objects.filter(code__startswith="D").count() == 7
    assert not Path(job.file_path).exists()


# ------------------------------------------------------------------- a real worker process that dies, on its own db

from .test_cli import cli  # noqa: E402,F401 - the module's own database, migrated, with staff (a fixture)

QUEUE_JOB = """
import django, sys; django.setup()
from django.conf import settings
settings.KEHU_TASK_QUEUE = "database"  # as without a broker (KEHU_TESTING would run it eagerly)
from kehu.imports.services import import_job_create, import_job_start
from kehu.org.models import User
boss = User.objects.get(username="boss")
job = import_job_create(target="customers", file_path=sys.argv[1], user=boss, key="code", mode="skip-bad")
import_job_start(job=job, actor=boss)
print(job.pk)
"""

DYING_WORKER = """
import django, os; django.setup()
from kehu.imports import pipeline
from kehu.imports.services import target_class
pipeline.CHUNK_SIZE = 10
customers = target_class("customers")
apply = customers.apply
count = {"n": 0}
def killed(self, *args, **kwargs):
    count["n"] += 1
    if count["n"] == 3:
        os._exit(9)  # on the third chunk the worker's process dies: no cleanup, no exception handling
    return apply(self, *args, **kwargs)
customers.apply = killed
from kehu.cli import main
main(["worker", "--once"])
"""

RESUME_FROM_THE_PAGE = """
import django, datetime as dt, sys; django.setup()
from django.conf import settings
from django.utils import timezone
settings.KEHU_TASK_QUEUE = "database"
from kehu.imports.models import ImportJob
from kehu.imports.selectors import import_job_interrupted
from kehu.imports.services import import_job_start
job = ImportJob.objects.select_related("user").get(pk=int(sys.argv[1]))
print(job.status, import_job_interrupted(job))
ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
job.refresh_from_db()
print(import_job_interrupted(job))
import_job_start(job=job, actor=job.user)
"""


def test_a_killed_worker_process_leaves_a_resumable_job_that_a_new_worker_finishes(cli, tmp_path):  # noqa: F811
    import subprocess
    import sys

    media = Path(cli.workdir) / "media" / "imports" / "test"
    media.mkdir(parents=True, exist_ok=True)
    rows = [["客户编号", "姓名", "手机号码", "门店"]] + [[f"K{i:03d}", f"客户{i}", f"1350000{i:04d}", "SH1"]
                                                   for i in range(30)]
    source = write_csv(media / "k.csv", rows)

    def script(code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], env=cli.env, cwd=cli.workdir,
                              capture_output=True, text=True, timeout=300)

    queued = script(QUEUE_JOB, str(source))
    assert queued.returncode == 0, queued.stderr
    job_id = queued.stdout.strip().splitlines()[-1]
    assert cli.scalar("SELECT COUNT(*) FROM customers_customer WHERE code LIKE 'K%'") == 0
    died = script(DYING_WORKER)
    assert died.returncode == 9, died.stderr
    assert cli.scalar("SELECT COUNT(*) FROM customers_customer WHERE code LIKE 'K%'") == 20
    assert cli.scalar(f"SELECT status FROM imports_importjob WHERE id = {job_id}") == "running"
    assert cli.scalar("SELECT status FROM core_queuedtask ORDER BY id DESC LIMIT 1") == "running"  # left so
    resumed = script(RESUME_FROM_THE_PAGE, job_id)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split() == ["running", "False", "True"]  # heartbeat recent; then stale, lock free
    assert source.is_file()  # kept for the resume
    worker = cli.run("worker", "--once")
    assert worker.returncode == 0, worker.stderr
    assert cli.query(f"SELECT status, created FROM imports_importjob WHERE id = {job_id}") == [("done", 30)]
    # the dead worker's task was marked failed by the next worker; the resumed one is done
    assert [status for (status,) in cli.query("SELECT status FROM core_queuedtask ORDER BY id DESC LIMIT 2")] == [
        "done", "failed"]
    assert cli.scalar("SELECT COUNT(*) FROM customers_customer WHERE code LIKE 'K%'") == 30
    assert not source.exists()


def test_the_server_starts_the_background_worker_again_when_it_dies(settings, monkeypatch):
    import subprocess
    import sys
    import time

    from kehu import cli as kehu_cli

    settings.KEHU_TASK_QUEUE = "celery"
    assert kehu_cli.start_background_worker() is None  # with a broker, `kehu worker` is run separately
    settings.KEHU_TASK_QUEUE = "database"
    spawned: list[subprocess.Popen[bytes]] = []

    def spawn() -> subprocess.Popen[bytes]:  # a stand-in for `python -m kehu.cli worker`
        spawned.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]))
        return spawned[-1]

    monkeypatch.setattr(kehu_cli.BackgroundWorker, "_spawn", staticmethod(spawn))
    monkeypatch.setattr(kehu_cli.BackgroundWorker, "RESTART_SECONDS", 0.05)
    worker = kehu_cli.start_background_worker()
    try:
        assert len(spawned) == 1
        spawned[0].kill()
        for _ in range(200):  # bounded wait for the watcher to notice
            if len(spawned) == 2:
                break
            time.sleep(0.05)
        assert len(spawned) == 2 and spawned[1].poll() is None
    finally:
        kehu_cli.stop_background_worker(worker)
    assert all(process.wait(timeout=10) is not None for process in spawned)
