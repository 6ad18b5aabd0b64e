"""Import problems are stored as codes with parameters and read in the reader's language: a job run in Chinese
shows its problems in English to an English reader (job page and error report), and in Chinese to a Chinese one."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.test import Client
from django.utils import translation

from kehu.imports.models import ImportRowError
from kehu.imports.services import import_job_create, import_run

from .conftest import write_csv

pytestmark = pytest.mark.urls("tests.imports.urls")

CJK = re.compile(r"[\u4e00-\u9fff]")


def client_for(user, language: str) -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def _problem_cells(page: str) -> list[str]:
    """The reason column of the job page's problem tables (the last cell of each row)."""
    tables = re.findall(r"<table[^>]*>.*?</table>", page, flags=re.S)
    cells = []
    for table in tables:
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
            found = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
            if found:
                cells.append(html.unescape(re.sub(r"<[^>]+>", "", found[-1])).strip())
    return cells


def _without_headers(text: str, job) -> str:
    for header in job.headers:
        text = text.replace(header, "")
    return text


@pytest.fixture
def chinese_job(tmp_path, users, make_customer):
    """A customer import run by a Chinese-speaking administrator: a date that does not exist, a number that is not
    one, a row repeating another's key, a value longer than allowed and a row that looks like a stored customer."""
    make_customer("王五", mobile="13700137000", code="KH-STORED")
    path = write_csv(tmp_path / "客户.csv", [
        ["客户编号", "姓名", "手机", "生日", "钱包份额", "职位", "门店"],
        ["C1", "张三", "13800138000", "1990-02-30", "", "", "上海一店"],
        ["C2", "李四", "13900139000", "", "很多", "", "上海一店"],
        ["C5", "孙七", "13500135000", "", "", "", "上海一店"],
        ["C5", "孙七", "13500135000", "", "", "", "上海一店"],
        ["C3", "赵六", "13600136000", "", "", "职" * 101, "上海一店"],
        ["C4", "王五", "13700137000", "", "", "", "上海一店"],
    ])
    with translation.override("zh-hans"):
        job = import_job_create(target="customers", file_path=path, language="zh-hans", key="code",
                                mode="skip-bad", user=users["administrator"])
        job = import_run(job=job)
    return job


def test_every_problem_is_stored_with_its_code(chinese_job):
    problems = list(ImportRowError.objects.filter(job=chinese_job))
    assert len(problems) >= 5
    assert all(problem.message and problem.message.get("code") for problem in problems), [
        (problem.row, problem.reason) for problem in problems if not problem.message]
    # the text as written is kept too, in the importer's language
    assert all(CJK.search(problem.reason) for problem in problems)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_job_page_shows_problems_in_the_readers_language(chinese_job, users, language):
    page = client_for(users["administrator"], language).get(f"/imports/{chinese_job.pk}/").content.decode()
    cells = _problem_cells(page)
    text = " ".join(cells)
    if language == "en":
        assert "This date does not exist." in text and "Not a number." in text
        assert "Duplicate of row 4" in text and "Looks like the stored customer KH-STORED" in text
        # nothing Chinese but the file's own headers, quoted as the user wrote them
        assert not [cell for cell in cells if CJK.search(_without_headers(cell, chinese_job))], cells
    else:
        assert "该日期不存在" in text or "日期不存在" in text
        assert "This date does not exist." not in text and "Not a number." not in text
        assert "Looks like the stored customer" not in text


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_error_report_in_the_readers_language(chinese_job, users, language):
    response = client_for(users["administrator"], language).get(f"/imports/{chinese_job.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, reasons = rows[0], [row[-1] for row in rows[1:]]
    assert len(reasons) == chinese_job.failed
    if language == "en":
        assert header[-2:] == ["row", "error"]
        assert any("This date does not exist." in reason for reason in reasons)
        assert not [reason for reason in reasons if CJK.search(_without_headers(reason.replace("；", ""), chinese_job))]
    else:
        assert header[-2:] == ["行", "错误"]
        assert any("该日期不存在" in reason or "日期不存在" in reason for reason in reasons)
        assert not any("This date does not exist." in reason for reason in reasons)


def test_rows_stored_before_codes_keep_their_text(chinese_job, users):
    ImportRowError.objects.filter(job=chinese_job).update(message=None)
    page = client_for(users["administrator"], "en").get(f"/imports/{chinese_job.pk}/").content.decode()
    assert any(CJK.search(cell) for cell in _problem_cells(page))  # shown as written, not lost


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_why_a_job_failed_in_the_readers_language(tmp_path, users, make_user, language):
    importer = make_user("administrator")
    path = write_csv(tmp_path / "客户.csv", [["客户编号", "姓名", "门店"], ["C1", "张三", "上海一店"]])
    with translation.override("zh-hans"):
        job = import_job_create(target="customers", file_path=path, language="zh-hans", key="code",
                                mode="skip-bad", user=importer)
        importer.is_active = False  # left the company before the job ran
        importer.save()
        job = import_run(job=job)
    assert job.status == "failed" and CJK.search(job.error_message) and job.error_codes
    page = html.unescape(client_for(users["administrator"], language).get(f"/imports/{job.pk}/").content.decode())
    note = re.search(r'<p class="note note-warning">(.*?)</p>', page, flags=re.S).group(1)
    if language == "en":
        assert note.strip() == "The user who started this import is no longer active."
    else:
        assert note.strip() == job.error_message.strip()
