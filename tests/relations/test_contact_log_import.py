"""``kehu import contacts-log FILE``: the same pipeline and error report as the customer import."""

from __future__ import annotations

import pytest

from kehu.relations.models import ContactRecord
from kehu.work.models import Task
from tests.imports.conftest import kehu_import, read_report, write_csv

HEADER = ["客户编号", "联系时间", "联系方式", "方向", "员工", "时长", "联系内容", "客户反馈", "满意度", "下一步",
          "下一步日期"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(make_customer, users, org):
    return {
        "K1": make_customer("钱一", code="K1", owner=users["account_manager"]),
        "K2": make_customer("钱二", code="K2", owner=users["other_account_manager"]),
        "B1": make_customer("孙北", code="B1", branch=org["bj1"], owner=users["bj_account_manager"]),
    }


def test_import_stores_good_rows_reports_bad_ones_by_line_and_reason_and_is_idempotent(coded, users, tmp_path):
    rows = [
        HEADER,
        ["K1", "2026-03-01 10:00", "电话", "呼出", "am1", "15", "电话回访", "满意", "5", "发送资料", "2026-03-05"],
        ["K1", "2026-03-02 15:30", "visit", "outbound", "", "60", "上门拜访", "", "", "", ""],
        ["B1", "2026-03-02 15:30", "电话", "", "", "", "别的分行客户", "", "", "", ""],
        ["K9", "2026-03-02 15:30", "电话", "", "", "", "不存在的客户", "", "", "", ""],
        ["K1", "2026-03-03", "飞鸽传书", "", "", "", "不认识的方式", "", "", "", ""],
        ["K1", "9999-01-01", "电话", "", "", "", "未来的时间", "", "", "", ""],
        ["K1", "2026-03-04", "电话", "", "", "", "满意度越界", "", "7", "", ""],
        ["K1", "2026-03-04", "电话", "", "nobody", "", "未知员工", "", "", "", ""],
        ["K1", "2026-03-01 10:00", "电话", "呼出", "am1", "15", "电话回访", "满意", "5", "发送资料", "2026-03-05"],
    ]
    path = write_csv(tmp_path / "contacts.csv", rows)
    report = tmp_path / "errors.csv"
    status, lines = kehu_import("contacts-log", path, "--user", "manager1", "--mode", "skip-bad", "--errors", report)
    assert status == 0, lines
    assert lines[-1] == "created 2, updated 0, unchanged 0, failed 7", lines
    errors = {row[-2]: row[-1] for row in read_report(report)[1:]}  # the row number and the reasons
    assert set(errors) == {"4", "5", "6", "7", "8", "9", "10"}
    assert "Unknown customer" in errors["4"] and "Unknown customer" in errors["5"]  # another branch reads as unknown
    assert "Not one of" in errors["6"]
    assert "Duplicate of row 2" in errors["10"]
    assert "Unknown member of staff" in errors["9"]

    phone = ContactRecord.objects.get(summary="电话回访")
    assert (phone.channel, phone.direction, phone.duration_minutes, phone.satisfaction, phone.staff) == (
        "phone", "outbound", 15, 5, users["account_manager"])
    assert phone.next_task is not None and phone.next_task.title == "发送资料"
    assert phone.next_task.owner == users["account_manager"] and phone.next_task.source == phone
    visit = ContactRecord.objects.get(summary="上门拜访")
    assert visit.staff == users["branch_manager"]  # no staff column value: the importing user

    status, lines = kehu_import("contacts-log", path, "--user", "manager1", "--mode", "skip-bad")
    assert lines[-1] == "created 0, updated 0, unchanged 2, failed 7", lines
    assert ContactRecord.objects.count() == 2 and Task.objects.count() == 1


def test_account_managers_import_contacts_of_their_own_customers_only(coded, tmp_path):
    path = write_csv(tmp_path / "c.csv", [HEADER, ["K1", "2026-03-01", "短信", "", "", "", "节日问候", "", "", "", ""],
                                          ["K2", "2026-03-01", "短信", "", "", "", "同事的客户", "", "", "", ""]])
    status, lines = kehu_import("contacts-log", path, "--user", "am1", "--mode", "skip-bad")
    assert lines[-1] == "created 1, updated 0, unchanged 0, failed 1", lines
    assert list(ContactRecord.objects.values_list("summary", flat=True)) == ["节日问候"]


def test_auditors_cannot_import_contacts(coded, tmp_path):
    path = write_csv(tmp_path / "c.csv", [HEADER, ["K1", "2026-03-01", "短信", "", "", "", "x", "", "", "", ""]])
    status, lines = kehu_import("contacts-log", path, "--user", "auditor1")
    assert status != 0
    assert not ContactRecord.objects.exists()


def test_a_file_without_the_required_columns_is_refused(coded, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "联系内容"], ["K1", "x"]])
    status, lines = kehu_import("contacts-log", path, "--user", "manager1")
    assert status == 2
    assert not ContactRecord.objects.exists()
