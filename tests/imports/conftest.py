"""Helpers for the import tests: files in each encoding and as spreadsheets, running jobs, reading their errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kehu.core.validators import resident_id_check_digit

CREDIT_CODE = "91110000600037341L"


def resident_id(region: str = "110105", born: str = "19900101", sequence: str = "123") -> str:
    first17 = f"{region}{born}{sequence}"
    return first17 + resident_id_check_digit(first17)


def write_csv(path: Path, rows: list[list[Any]], *, encoding: str = "utf-8") -> Path:
    """A CSV as spreadsheets write it; ``None`` rows become blank lines."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            if row is None:
                handle.write("\r\n")
            else:
                writer.writerow(row)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], *, sheet: str = "Sheet1", start_row: int = 0,
               extra_sheets: tuple[str, ...] = ()) -> Path:
    """An XLSX with typed cells: ints/floats as numbers (like Excel numbers), dates as dates."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    for name in extra_sheets:
        workbook.add_worksheet(name).write(0, 0, "other")
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, row in enumerate(rows):
        if row is None:
            continue
        for column, value in enumerate(row):
            if isinstance(value, (dt.date, dt.datetime)):
                worksheet.write_datetime(start_row + index, column, value, date_format)
            elif isinstance(value, (int, float)):
                worksheet.write_number(start_row + index, column, value)
            elif value not in (None, ""):
                worksheet.write_string(start_row + index, column, str(value))
    workbook.close()
    return path


def read_report(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def run_import(db):
    """``run_import(path, target="customers", **options)``: create and run a job in English; returns the job."""
    from kehu.imports.services import import_job_create, import_run

    def run(path: Path, target: str = "customers", *, chunk_size: int = 5000, **options: Any):
        options.setdefault("mode", "skip-bad")
        job = import_job_create(target=target, file_path=path, language="en", **options)
        return import_run(job=job, chunk_size=chunk_size)

    return run


def errors_of(job) -> list[tuple[int, str, str]]:
    """(row, column, reason) of every problem of a job, in row order."""
    return [(error.row, error.column, error.reason)
            for error in job.row_errors.filter(is_warning=False).order_by("row", "id")]


def warnings_of(job) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.reason)
            for error in job.row_errors.filter(is_warning=True).order_by("row", "id")]


def counts(job) -> tuple[int, int, int, int]:
    return job.created, job.updated, job.unchanged, job.failed


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert English message texts; the Chinese interface is covered by tests/ui and tests/e2e."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def postgres_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("chunks are written in a thread of their own on PostgreSQL only")


@pytest.fixture
def writing_threads(monkeypatch):
    """The names of the threads that write rows (``bulk.insert_rows``) in the test: a set, cleared by the test."""
    import threading

    from kehu.core.bulkio import rows as bulk

    real_insert = bulk.insert_rows
    names: set[str] = set()

    def insert_rows(model, columns, values):
        names.add(threading.current_thread().name)
        return real_insert(model, columns, values)

    monkeypatch.setattr(bulk, "insert_rows", insert_rows)
    return names


def kehu_import(*args: Any) -> tuple[int, list[str]]:
    """``kehu import ARGS --language en --no-progress`` in process: (exit status, lines printed)."""
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    try:
        call_command("import", *[str(argument) for argument in args], "--language", "en", "--no-progress",
                     stdout=out, stderr=io.StringIO())
        status = 0
    except SystemExit as stop:
        status = int(stop.code or 0)
    except CommandError as error:
        status = error.returncode
    return status, out.getvalue().strip().splitlines()
