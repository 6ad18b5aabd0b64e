"""``kehu import`` and ``kehu export`` through the console entry (``kehu.cli.main``), in process on the test database:
argument errors exit 2 as on the command line, a ``CommandError`` exits with its code, output is what an operator
reads. One smoke test runs the real console script as a subprocess on a database of its own (``cli``: an SQLite file,
or a PostgreSQL database next to the test database), which ``test_uploads_and_worker`` uses for a worker process that
dies.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .conftest import read_report, resident_id, write_csv, write_xlsx

STAFF = """
from kehu.org.services import branch_create, staff_create
hq = branch_create(code="HQ", name="总部", kind="group")
sh1 = branch_create(code="SH1", name="上海一店", parent=hq)
branch_create(code="BJ1", name="北京一店", parent=hq)
staff_create(username="boss", password="x-Kehu-pass-1", roles=["administrator"], branches=[hq])
staff_create(username="am1", password="x-Kehu-pass-1", roles=["account_manager"], branches=[sh1])
staff_create(username="viewer", password="x-Kehu-pass-1", roles=["marketer"], branches=[sh1])
"""
SETUP = "import django; django.setup()\n" + STAFF


class CliDatabase:
    def __init__(self, env: dict[str, str], url: str, workdir: Path) -> None:
        self.env = env
        self.url = url
        self.workdir = workdir

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kehu.cli", *args], env=self.env, cwd=self.workdir,
                              capture_output=True, text=True, timeout=300)

    def query(self, sql: str) -> list[tuple]:
        if self.url.startswith("sqlite"):
            connection = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.close()
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1)) as connection:
            return connection.execute(sql).fetchall()

    def scalar(self, sql: str) -> object:
        return self.query(sql)[0][0]


class InProcessCli:
    """``kehu ARGS`` run by ``kehu.cli.main`` in this process, on the test database; ``query``/``scalar`` read it."""

    def __init__(self, capsys, monkeypatch, workdir: Path) -> None:
        from django.db import connections

        # run_from_argv closes the database connections when a command ends: that would end the test's transaction
        monkeypatch.setattr(connections, "close_all", lambda: None)
        monkeypatch.chdir(workdir)
        self.capsys = capsys
        self.workdir = workdir

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        from kehu.cli import main

        self.capsys.readouterr()
        try:
            code = main([str(argument) for argument in args])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        output = self.capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, output.out, output.err)

    def query(self, sql: str) -> list[tuple]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def scalar(self, sql: str) -> object:
        return self.query(sql)[0][0]


@pytest.fixture
def kehu(db, capsys, monkeypatch, tmp_path):
    """The staff of ``SETUP`` on the test database, and ``kehu`` in process."""
    exec(STAFF, {})
    return InProcessCli(capsys, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def cli(tmp_path_factory, django_db_setup, django_db_blocker):
    """A database of the subprocesses' own: a copy of the migrated, still empty test database (SQLite's backup, a
    PostgreSQL template), or migrated afresh when it cannot be copied, with the staff of ``SETUP``."""
    from django.db import connection

    workdir = tmp_path_factory.mktemp("cli")
    base_url = os.environ.get("KEHU_DATABASE_URL", "")
    created_database = None
    copied = False
    with django_db_blocker.unblock():
        if base_url.startswith("postgres"):
            import psycopg

            created_database = f"kehu_cli_{uuid.uuid4().hex[:8]}"
            server = base_url.rsplit("/", 1)[0]
            test_database = connection.settings_dict["NAME"]
            connection.close()  # a template database must have no other session
            with psycopg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres",
                                 autocommit=True) as admin:
                try:
                    admin.execute(f'CREATE DATABASE "{created_database}" TEMPLATE "{test_database}"')
                    copied = True
                except psycopg.errors.ObjectInUse:
                    admin.execute(f'CREATE DATABASE "{created_database}"')
            url = f"{server}/{created_database}"
        else:
            path = workdir / "cli.sqlite3"
            url = f"sqlite:///{path}"
            connection.ensure_connection()
            target = sqlite3.connect(path)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            copied = True
    env = {**os.environ, "KEHU_DATABASE_URL": url, "KEHU_VAR_DIR": str(workdir), "KEHU_DEBUG": "1",
           "DJANGO_SETTINGS_MODULE": "kehu.settings", "KEHU_TESTING": "1"}
    database = CliDatabase(env, url, workdir)
    if not copied:
        migrate = database.run("migrate", "-v0")
        assert migrate.returncode == 0, migrate.stderr
    setup = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=workdir, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    yield database
    if created_database:
        import psycopg

        with psycopg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres",
                             autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{created_database}" WITH (FORCE)')


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


ID_A = resident_id(born="19880808", sequence="111")
ID_B = resident_id(born="19770707", sequence="222")


def test_gbk_file_with_bad_rows_skip_bad_then_unchanged(kehu, tmp_path):
    rows = [
        ["客户编号", "姓名", "手机号码", "身份证号", "门店", "电子邮箱"],
        ["C001", "吉祥", "13800138000", ID_A, "SH1", "a@example.com"],
        None,
        ["C002", "李四", "1380013", ID_B, "SH1", ""],  # bad phone
        ["C003", "王五", "13900139000", ID_A[:17] + ("1" if ID_A[17] != "1" else "2"), "SH1", ""],  # bad ID
        ["C004", "赵六", "13700137000", "", "XX", ""],  # unknown branch
        ["C001", "吉祥", "13800138000", ID_A, "SH1", "a@example.com"],  # duplicated row
        ["C005", "钱七", "13600136000", ID_B, "北京一店", ""],
    ]
    source = write_csv(tmp_path / "客户.csv", rows, encoding="gb18030")
    errors = tmp_path / "errors.csv"
    first = kehu.run("import", "customers", str(source), "--mode", "skip-bad", "--key", "code", "--errors",
                    str(errors), "--language", "en")
    assert first.returncode == 0, first.stderr
    assert last_line(first) == "created 2, updated 0, unchanged 0, failed 4"
    assert kehu.scalar("SELECT COUNT(*) FROM customers_customer") == 2
    assert kehu.scalar("SELECT name FROM customers_customer WHERE code = 'C001'") == "吉祥"
    report = read_report(errors)
    assert report[0] == [*rows[0], "row", "error"]
    assert [(line[0], line[-2]) for line in report[1:]] == [("C002", "4"), ("C003", "5"), ("C004", "6"),
                                                           ("C001", "7")]
    assert "手机号码" in report[1][-1] and "身份证号" in report[2][-1] and "Unknown branch" in report[3][-1]
    assert "Duplicate of row 2" in report[4][-1]
    second = kehu.run("import", "customers", str(source), "--mode", "skip-bad", "--key", "code", "--language", "en")
    assert second.returncode == 0
    assert last_line(second) == "created 0, updated 0, unchanged 2, failed 4"
    assert "the rows without problems are already stored" in second.stdout
    # the error report, fixed, imports as it is (its row and error columns are ignored)
    with open(errors, encoding="utf-8-sig", newline="") as handle:
        fixed = list(csv.reader(handle))
    fixed[1][2] = "13500135000"
    fixed[2][3] = ID_B
    fixed[3][4] = "SH1"
    del fixed[4]
    fixed_path = tmp_path / "fixed.csv"
    with open(fixed_path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(fixed)
    third = kehu.run("import", "customers", str(fixed_path), "--mode", "skip-bad", "--key", "code", "--language", "en")
    assert last_line(third) == "created 3, updated 0, unchanged 0, failed 0"
    fourth = kehu.run("import", "customers", str(fixed_path), "--key", "code", "--language", "en")
    assert fourth.returncode == 0
    assert "Nothing changed" in fourth.stdout
    assert last_line(fourth) == "created 0, updated 0, unchanged 3, failed 0"
    assert kehu.scalar("SELECT COUNT(*) FROM customers_customer") == 5


def test_all_or_nothing_exit_1_and_nothing_stored(kehu, tmp_path):
    source = write_csv(tmp_path / "bom.csv", [["客户编号", "姓名", "手机", "门店"],
                                              ["D001", "孙八", "13811112222", "SH1"],
                                              ["D002", "周九", "not a phone", "SH1"]], encoding="utf-8-sig")
    errors = tmp_path / "errors.xlsx"
    result = kehu.run("import", "customers", str(source), "--key", "code", "--mode", "all-or-nothing", "--errors",
                     str(errors), "--language", "en")
    assert result.returncode == 1
    assert last_line(result) == "created 0, updated 0, unchanged 0, failed 1"
    assert kehu.scalar("SELECT COUNT(*) FROM customers_customer WHERE code LIKE 'D%'") == 0
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["客户编号", "姓名", "手机", "门店", "row", "error"]
    assert rows[1][:4] == ["D002", "周九", "not a phone", "SH1"] and rows[1][4] in (3, 3.0, "3")


def test_xlsx_with_excel_numbers_as_a_user(kehu, tmp_path):
    source = write_xlsx(tmp_path / "客户.xlsx", [
        ["客户编号", "姓名", "手机号码", "身份证号", "门店"],
        [9001, "吴十", 13822223333, "", "SH1"],
        [9002, "郑一", 13833334444.0, 110105198808081110, "SH1"],
        [9003, "冯二", 13844445555, "", "BJ1"],
    ], sheet="客户")
    result = kehu.run("import", "customers", str(source), "--key", "code", "--mode", "skip-bad", "--user", "am1",
                     "--sheet", "客户", "--language", "en")
    assert result.returncode == 0, result.stderr
    assert last_line(result) == "created 1, updated 0, unchanged 0, failed 2"
    assert kehu.scalar("SELECT mobile FROM customers_customer WHERE code = '9001'") == "+8613822223333"
    assert kehu.query("SELECT o.username FROM customers_customer c JOIN org_user o ON o.id = c.owner_id "
                     "WHERE c.code = '9001'") == [("am1",)]


@pytest.mark.parametrize(
    "arguments",
    [
        ["import", "customers", "/nonexistent/file.csv"],
        ["import", "customers", "{source}", "--user", "nobody"],
        ["import", "customers", "{source}", "--mapping", "no such mapping"],
        ["import", "customers", "{source}", "--key", "credit_code"],
        ["import", "customers", "{source}", "--mode", "sometimes"],
        ["import", "customers", "{source}", "--encoding", "utf-8"],
        ["import", "planets", "{source}"],
        ["export", "customers", "out.pdf"],
        ["export", "customers", "out.csv", "--filter", "colour=red"],
    ],
)
def test_unusable_arguments_and_unreadable_files_exit_2(kehu, tmp_path, arguments):
    source = write_csv(tmp_path / "gbk.csv", [["客户编号", "姓名"], ["X1", "张三"]], encoding="gbk")
    result = kehu.run(*[argument.format(source=source) for argument in arguments])
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert kehu.scalar("SELECT COUNT(*) FROM customers_customer WHERE code = 'X1'") == 0


def test_export_masked_for_a_marketer_unmasked_and_logged_for_the_administrator(kehu, tmp_path):
    source = write_csv(tmp_path / "e.csv", [["客户编号", "姓名", "手机号码", "身份证号", "门店"],
                                            ["E001", "陈一", "13877778888", ID_A, "SH1"],
                                            ["E002", "褚二", "13877779999", "", "BJ1"]])
    assert kehu.run("import", "customers", str(source), "--key", "code").returncode == 0
    logged = kehu.scalar("SELECT COUNT(*) FROM customers_personaldataaccess")
    masked = tmp_path / "masked.csv"
    result = kehu.run("export", "customers", str(masked), "--user", "viewer", "--filter", "query=E00")
    assert result.returncode == 0, result.stderr
    rows = read_report(masked)
    assert [row[0] for row in rows[1:]] == ["E001"]  # BJ1 is outside the marketer's branch
    assert "13877778888" not in masked.read_text(encoding="utf-8-sig")
    assert "138****8888" in masked.read_text(encoding="utf-8-sig")
    assert kehu.scalar("SELECT COUNT(*) FROM customers_personaldataaccess") == logged + 1
    full = tmp_path / "full.xlsx"
    result = kehu.run("export", "customers", str(full), "--user", "boss", "--filter", "query=E00", "--reason", "审计")
    assert result.returncode == 0, result.stderr
    assert kehu.scalar("SELECT COUNT(*) FROM customers_personaldataaccess WHERE action = 'export' "
                      "AND reason = '审计' AND customer_id IS NOT NULL") == 2
    # an unmasked export imports back unchanged
    again = kehu.run("import", "customers", str(full), "--key", "code", "--language", "en")
    assert again.returncode == 0, again.stdout + again.stderr
    assert last_line(again) == "created 0, updated 0, unchanged 2, failed 0"


class Killed(BaseException):
    """The command cut off in the middle of an import (no ``except Exception`` sees it); ``test_uploads_and_worker``
    kills a real worker process."""


def test_interrupted_command_resumes(kehu, tmp_path):
    from kehu.imports.services import import_job_create, import_run

    rows = [["客户编号", "姓名", "手机号码", "门店"]] + [[f"R{i:03d}", f"客户{i}", f"1360000{i:04d}", "SH1"]
                                                   for i in range(30)]
    source = write_csv(tmp_path / "r.csv", rows)
    count = {"n": 0}

    def crash(job, rows):  # told after each committed chunk: cut off after the second
        count["n"] += 1
        if count["n"] == 2:
            raise Killed

    job = import_job_create(target="customers", file_path=source, key="code", mode="skip-bad")
    with pytest.raises(Killed):
        import_run(job=job, chunk_size=10, progress=crash)
    job_id = str(job.pk)
    assert kehu.scalar("SELECT COUNT(*) FROM customers_customer WHERE code LIKE 'R%'") == 20
    resumed = kehu.run("import", "resume", job_id, "--language", "en")
    assert resumed.returncode == 0, resumed.stderr
    assert last_line(resumed) == "created 30, updated 0, unchanged 0, failed 0"
    assert kehu.scalar("SELECT COUNT(*) FROM customers_customer WHERE code LIKE 'R%'") == 30
    jobs = kehu.run("import", "jobs")
    assert f"#{job_id}" in jobs.stdout


def test_the_console_script_in_a_process_of_its_own(cli, tmp_path):
    """Smoke test of what the in-process tests cannot see: ``python -m kehu.cli`` started afresh, its settings from
    the environment, its exit status and output as an operator gets them."""
    rows = [["客户编号", "姓名", "手机号码", "门店"], ["S001", "吉祥", "13800138000", "SH1"],
            ["S002", "李四", "1380013", "SH1"]]
    source = write_csv(tmp_path / "客户.csv", rows, encoding="gb18030")
    result = cli.run("import", "customers", str(source), "--mode", "skip-bad", "--key", "code", "--language", "en")
    assert result.returncode == 0, result.stderr
    assert last_line(result) == "created 1, updated 0, unchanged 0, failed 1"
    assert cli.scalar("SELECT name FROM customers_customer WHERE code = 'S001'") == "吉祥"
    unusable = cli.run("import", "customers", str(source), "--mode", "sometimes")
    assert unusable.returncode == 2 and "sometimes" in unusable.stderr
