"""``kehu import`` on files written the way Chinese bank and retail exports are, not the way Kehu writes them.

Each test goes through the management command (``call_command``, the code path of ``kehu import``) against the test
database: exit status, the last line, what is stored and the error report.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kehu.customers.models import Customer, PersonProfile
from kehu.purchases.models import Transaction

from .conftest import kehu_import, read_report, resident_id, write_csv, write_xlsx


def test_report_of_a_fixed_report_has_one_row_and_one_error_column(org, tmp_path: Path):
    source = write_csv(tmp_path / "客户.csv", [
        ["客户编号", "客户姓名", "手机号码", "所属门店"],
        ["U001", "张伟", "13800138000", "SH1"],
        None,
        ["U002", "李娜", "1380013800", "SH1"],  # bad mobile
        ["U003", "王芳", "13800138002", "火星分店"],  # unknown branch
    ], encoding="gbk")
    first_report = tmp_path / "errors.csv"
    status, lines = kehu_import("customers", source, "--mode", "skip-bad", "--errors", first_report)
    assert (status, lines[-1]) == (0, "created 1, updated 0, unchanged 0, failed 2")
    assert [line[-2] for line in read_report(first_report)[1:]] == ["4", "5"]
    # imported again as it is (nothing fixed yet): the new report numbers the rows of the report itself and does not
    # carry the old row and error columns along
    second_report = tmp_path / "errors-again.csv"
    status, lines = kehu_import("customers", first_report, "--mode", "skip-bad", "--errors", second_report)
    assert (status, lines[-1]) == (0, "created 0, updated 0, unchanged 0, failed 2")
    report = read_report(second_report)
    assert report[0] == ["客户编号", "客户姓名", "手机号码", "所属门店", "row", "error"]
    assert [(line[0], line[-2]) for line in report[1:]] == [("U002", "2"), ("U003", "3")]
    assert "Unknown branch" in report[2][-1]


def test_transactions_from_a_spreadsheet_keyed_by_mobile_without_key_option(make_customer, org, tmp_path: Path):
    make_customer("张伟", code="M1", mobile="13800138000")
    source = write_xlsx(tmp_path / "流水.xlsx", [
        ["会员手机", "消费时间", "实付金额"],
        [13800138000, dt.datetime(2024, 4, 1, 9, 30), 1234.5],
        None,
        [13999999999, dt.datetime(2024, 4, 3), 10],  # unknown customer
        [13800138000, dt.datetime(2024, 4, 1, 9, 30), 1234.5],  # the same purchase again
        ["138 0013 8000", "2024/4/5", "¥1,234.50"],
    ])
    report = tmp_path / "errors.csv"
    status, lines = kehu_import("transactions", source, "--mode", "skip-bad", "--errors", report)
    assert (status, lines[-1]) == (0, "created 2, updated 0, unchanged 0, failed 2")
    assert sorted(Transaction.objects.values_list("amount", flat=True)) == [Decimal("1234.50"), Decimal("1234.50")]
    rows = read_report(report)
    assert [(line[-2], line[1]) for line in rows[1:]] == [("4", "2024-04-03"), ("5", "2024-04-01 09:30:00")]
    assert "Unknown customer" in rows[1][-1] and "Duplicate of row 2" in rows[2][-1]
    status, lines = kehu_import("transactions", source, "--mode", "skip-bad")
    assert (status, lines[-1]) == (0, "created 0, updated 0, unchanged 2, failed 2")


def test_customers_keyed_by_mobile_from_a_contact_phone_column(org, tmp_path: Path):
    source = write_csv(tmp_path / "bom.csv", [
        ["姓名", "联系电话", "机构"],
        ["孙丽", "13900139001", "上海一店"],
        ["钱进", "+86 139 0013 9002", "SH1"],
        ["冯刚", "0755-12345678", "SH1"],  # a landline cannot be the mobile a customer is found by
    ], encoding="utf-8-sig")
    status, lines = kehu_import("customers", source, "--key", "mobile", "--mode", "skip-bad")
    assert (status, lines[-1]) == (0, "created 2, updated 0, unchanged 0, failed 1")
    assert sorted(Customer.objects.values_list("mobile", "phone")) == [("+8613900139001", ""),
                                                                       ("+8613900139002", "")]
    status, lines = kehu_import("customers", source, "--key", "mobile", "--mode", "skip-bad")
    assert (status, lines[-1]) == (0, "created 0, updated 0, unchanged 2, failed 1")


def test_contact_phone_column_stays_the_other_phone_beside_a_mobile_column(org, tmp_path: Path):
    source = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "手机", "联系电话", "门店"],
                                           ["P1", "孙丽", "13900139001", "021-63211234", "SH1"]])
    status, lines = kehu_import("customers", source, "--key", "mobile")
    assert (status, lines[-1]) == (0, "created 1, updated 0, unchanged 0, failed 0")
    assert Customer.objects.get(code="P1").phone == "+862163211234"


def test_full_width_digits_in_id_numbers_and_mobiles(org, tmp_path: Path):
    number = resident_id(born="19850312", sequence="105")
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    source = write_csv(tmp_path / "gbk.csv", [["客户编号", "姓名", "手机号码", "身份证号码", "门店"],
                                             ["Ｗ01", "周杰", "１３８００１３８０００", full_width, "SH1"]],
                       encoding="gbk")
    status, lines = kehu_import("customers", source, "--key", "code")
    assert (status, lines[-1]) == (0, "created 1, updated 0, unchanged 0, failed 0")
    profile = PersonProfile.objects.select_related("customer").get()
    assert (profile.customer.code, profile.customer.mobile, profile.id_number) == ("W01", "+8613800138000", number)
    status, lines = kehu_import("customers", source, "--key", "code")
    assert (status, lines[-1]) == (0, "created 0, updated 0, unchanged 1, failed 0")


@pytest.mark.parametrize("amount", ["1.234,50", "1 234,50", "12,5"])
def test_amounts_with_a_decimal_comma_are_rejected_not_misread(make_customer, org, tmp_path: Path, amount: str):
    make_customer("张伟", code="M1", mobile="13800138000")
    source = write_csv(tmp_path / "t.csv", [["客户编号", "交易日期", "金额", "流水号"],
                                           ["M1", "2024-03-01", "1,234.50", "A1"],
                                           ["M1", "2024-03-02", amount, "A2"]], encoding="gbk")
    report = tmp_path / "errors.csv"
    status, lines = kehu_import("transactions", source, "--errors", report)
    assert (status, lines[-1]) == (1, "created 0, updated 0, unchanged 0, failed 1")
    assert read_report(report)[1][-2:] == ["3", "金额: Not a number."]
    assert not Transaction.objects.exists()


def test_amounts_with_a_currency_code_or_word(make_customer, org, tmp_path: Path):
    make_customer("张伟", code="M1", mobile="13800138000")
    amounts = ["RMB 88", "CNY88", "人民币 1,234.50", "66.5 rmb", "￥12元", "USD 10"]
    source = write_csv(tmp_path / "t.csv", [["客户编号", "交易日期", "金额", "流水号"],
                                           *(["M1", f"2024-03-{day:02d}", amount, f"C{day}"]
                                             for day, amount in enumerate(amounts, start=1))], encoding="gbk")
    report = tmp_path / "errors.csv"
    status, lines = kehu_import("transactions", source, "--mode", "skip-bad", "--errors", report)
    assert (status, lines[-1]) == (0, "created 5, updated 0, unchanged 0, failed 1")
    assert sorted(Transaction.objects.values_list("amount", flat=True)) == [
        Decimal("12.00"), Decimal("66.50"), Decimal("88.00"), Decimal("88.00"), Decimal("1234.50")]
    assert read_report(report)[1][-2:] == ["7", "金额: Not a number."]  # another currency is not converted


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_with_only_a_header_says_so(org, tmp_path: Path, suffix: str):
    header = [["客户编号", "姓名", "手机号码", "门店"], None, None]
    source = (write_xlsx(tmp_path / "h.xlsx", header) if suffix == ".xlsx"
              else write_csv(tmp_path / "h.csv", header, encoding="gbk"))
    status, lines = kehu_import("customers", source, "--mode", "skip-bad")
    assert status == 0
    assert lines[-2:] == ["The file has no data rows: only the header row.",
                          "created 0, updated 0, unchanged 0, failed 0"]


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n,,,\r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_unreadable(org, tmp_path: Path, content: bytes):
    source = tmp_path / "empty.csv"
    source.write_bytes(content)
    status, _lines = kehu_import("customers", source)
    assert status == 2


def test_a_file_that_cannot_be_read_is_reported_not_a_traceback(org, tmp_path: Path, monkeypatch):
    from kehu.imports import readers

    source = write_csv(tmp_path / "locked.csv", [["客户编号", "姓名"], ["X1", "张三"]], encoding="gbk")

    def no_permission(path: Path, encoding: str) -> bool:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(readers, "_decodes_as", no_permission)  # what reading a file without permission does (root
    # reads any file, so the test cannot simply chmod it)
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", "customers", str(source), "--language", "en", "--no-progress", stdout=out)
    assert raised.value.returncode == 2
    assert str(raised.value) == f"The file {source} cannot be read: Permission denied"


def test_title_and_date_lines_above_the_header_are_skipped(org, tmp_path: Path):
    rows: list[Any] = [
        ["上海分行个人客户清单（2024年6月）", "", "", ""],
        ["导出日期：2024-06-30"],
        None,
        ["客户编号", "客户姓名", "手机号码", "所属门店"],
        ["T001", "张伟", "13800138000", "SH1"],
        ["T002", "李娜", "1380013800", "SH1"],  # bad mobile: row 6 as the user sees it
    ]
    for source in (write_csv(tmp_path / "清单.csv", rows, encoding="gbk"), write_xlsx(tmp_path / "清单.xlsx", rows)):
        Customer.objects.filter(code__startswith="T00").delete()
        report = tmp_path / f"{source.suffix[1:]}-errors.csv"
        status, lines = kehu_import("customers", source, "--mode", "skip-bad", "--errors", report)
        assert (status, lines[-1]) == (0, "created 1, updated 0, unchanged 0, failed 1"), (source, lines)
        assert Customer.objects.get(code="T001").name == "张伟"
        assert [line[-2] for line in read_report(report)[1:]] == ["6"]
