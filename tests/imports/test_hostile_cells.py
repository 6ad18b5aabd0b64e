"""Imports refuse the dates and text the forms and the API refuse (bounded dates, NUL characters), row by row."""

from __future__ import annotations

import pytest

from kehu.customers.models import Customer
from kehu.purchases.models import Transaction

from .conftest import CREDIT_CODE, counts, errors_of, write_csv


@pytest.mark.parametrize("birth_date", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_birth_date_out_of_range_is_a_row_error(tmp_path, run_import, org, birth_date):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "出生日期", "门店"],
                                          ["K1", "赵六", birth_date, "SH1"],
                                          ["K2", "钱七", "1990-01-01", "SH1"]])

    job = run_import(path, key="code")

    assert counts(job) == (1, 0, 0, 1)
    [(row, column, reason)] = errors_of(job)
    assert (row, column) == (2, "出生日期")
    assert "1900-01-01" in reason
    assert list(Customer.objects.values_list("code", flat=True)) == ["K2"]


def test_founding_date_out_of_range_is_a_row_error(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [["统一社会信用代码", "单位名称", "成立日期", "门店"],
                                          [CREDIT_CODE, "某某公司", "9999-12-31", "SH1"]])

    job = run_import(path, key="credit_code")

    assert counts(job) == (0, 0, 0, 1)
    assert [column for _row, column, _reason in errors_of(job)] == ["成立日期"]
    assert not Customer.objects.exists()


def test_nul_character_in_a_name_is_a_row_error(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店"], ["K1", "赵\x00六", "SH1"]])

    job = run_import(path, key="code")

    assert counts(job) == (0, 0, 0, 1)
    assert [column for _row, column, _reason in errors_of(job)] == ["姓名"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("when", ["9999-12-31 23:59", "0001-01-01", "1899-12-31"])
def test_purchase_time_out_of_range_is_a_row_error(tmp_path, run_import, make_customer, when):
    make_customer("张三", code="K1")
    path = write_csv(tmp_path / "t.csv", [["流水号", "客户编号", "交易时间", "金额"],
                                          ["A1", "K1", when, "10"],
                                          ["A2", "K1", "2025-03-01 10:00", "10"]])

    job = run_import(path, "transactions", key="code")

    assert counts(job) == (1, 0, 0, 1)
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(2, "交易时间")]
    assert list(Transaction.objects.values_list("external_ref", flat=True)) == ["A2"]


@pytest.mark.parametrize("tags", ["VIP、老\x00客户", "、".join(f"t{n}" for n in range(51))])
def test_tags_with_nul_or_too_many_are_a_row_error(tmp_path, run_import, org, tags):
    from kehu.customers.models import Tag

    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "标签", "门店"], ["K1", "赵六", tags, "SH1"]])

    job = run_import(path, key="code")

    assert counts(job) == (0, 0, 0, 1)
    assert [column for _row, column, _reason in errors_of(job)] == ["标签"]
    assert not Tag.objects.exists() and not Customer.objects.exists()
