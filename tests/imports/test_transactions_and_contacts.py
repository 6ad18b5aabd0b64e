"""Importing purchases (linked by code or mobile, idempotent) and contacts of organisations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kehu.customers.models import Contact
from kehu.purchases.models import Product, Transaction

from .conftest import CREDIT_CODE, counts, errors_of, write_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shoppers(make_customer, org):
    return {
        "zhang": make_customer("张三", code="K1", mobile="13800138000"),
        "li": make_customer("李四", code="K2", mobile="13900139000", branch=org["bj1"]),
    }


def test_purchases_linked_by_code_with_order_numbers(tmp_path, run_import, shoppers, org):
    Product.objects.create(sku="SKU-1", name="会员年卡")
    path = write_csv(tmp_path / "t.csv", [
        ["流水号", "客户编号", "交易时间", "金额", "毛利", "商品编码", "渠道", "门店"],
        ["A001", "K1", "2025-03-01 10:30", "199.00", "50", "SKU-1", "线上", ""],
        ["A002", "K2", "2025/3/2", "¥1,200.50", "", "会员年卡", "", "SH2"],
        ["A003", "K9", "2025-03-03", "10", "", "", "", ""],
        ["A004", "K1", "2025-03-04", "10", "20", "", "", ""],
        ["A005", "K1", "2025-03-05", "10", "", "SKU-404", "", ""],
        ["A001", "K1", "2025-03-01 10:30", "199.00", "50", "SKU-1", "线上", ""],
    ])
    job = run_import(path, "transactions", key="code")
    assert counts(job) == (2, 0, 0, 4)
    assert [(row, column) for row, column, _reason in errors_of(job)] == [
        (4, "客户编号"), (5, "毛利"), (6, "商品编码"), (7, "流水号")]
    assert "Unknown customer “K9”" in errors_of(job)[0][2]
    first = Transaction.objects.get(external_ref="A001")
    assert first.customer == shoppers["zhang"]
    assert first.occurred_at == dt.datetime(2025, 3, 1, 10, 30, tzinfo=SHANGHAI)
    assert (first.amount, first.margin, first.channel, first.product.sku) == (Decimal("199.00"), Decimal("50.00"),
                                                                               "online", "SKU-1")
    assert first.branch == org["sh1"]  # the customer's branch when the file names none
    second = Transaction.objects.get(external_ref="A002")
    assert (second.amount, second.branch, second.product.sku) == (Decimal("1200.50"), org["sh2"], "SKU-1")
    again = run_import(path, "transactions", key="code")
    assert counts(again) == (0, 0, 2, 4)
    assert Transaction.objects.count() == 2


def test_purchases_by_mobile_without_order_numbers_are_idempotent(tmp_path, run_import, shoppers):
    path = write_csv(tmp_path / "t.csv", [
        ["手机号码", "日期", "金额"],
        ["13800138000", "2025-01-01 09:00:00", "88"],
        ["139-0013-9000", "2025-01-02", "99.9"],
        ["13800138000", "2025-01-01 09:00:00", "88"],
        ["13700137000", "2025-01-03", "1"],
    ])
    job = run_import(path, "transactions", key="mobile")
    assert counts(job) == (2, 0, 0, 2)
    assert [row for row, _column, _reason in errors_of(job)] == [4, 5]
    assert "Duplicate of row 2" in errors_of(job)[0][2]
    assert all(ref.startswith("h:") for ref in Transaction.objects.values_list("external_ref", flat=True))
    assert counts(run_import(path, "transactions", key="mobile")) == (0, 0, 2, 2)
    assert Transaction.objects.count() == 2


def test_changed_purchase_is_updated_and_reference_of_another_customer_refused(tmp_path, run_import, shoppers):
    header = ["订单号", "客户编号", "交易时间", "金额"]
    run_import(write_csv(tmp_path / "a.csv", [header, ["O1", "K1", "2025-01-01", "10"]]), "transactions", key="code")
    job = run_import(write_csv(tmp_path / "b.csv", [header, ["O1", "K1", "2025-01-01", "12"],
                                                    ["O1", "K2", "2025-01-01", "12"]]), "transactions", key="code")
    assert counts(job) == (0, 1, 0, 1)
    assert Transaction.objects.get(external_ref="O1").amount == Decimal("12.00")
    job = run_import(write_csv(tmp_path / "c.csv", [header, ["O1", "K2", "2025-01-01", "12"]]), "transactions",
                     key="code")
    assert "another customer" in errors_of(job)[0][2]


def test_customers_outside_the_users_branches_are_unknown(tmp_path, run_import, shoppers, users):
    path = write_csv(tmp_path / "t.csv", [["客户编号", "交易时间", "金额"], ["K1", "2025-01-01", "5"],
                                          ["K2", "2025-01-01", "6"]])
    job = run_import(path, "transactions", key="code", user=users["account_manager"])
    assert counts(job) == (1, 0, 0, 1)
    assert errors_of(job)[0][:2] == (3, "客户编号")


def test_transactions_need_time_amount_and_a_customer_column(tmp_path, db):
    from django.core.exceptions import ValidationError

    from kehu.imports.services import import_job_create

    path = write_csv(tmp_path / "t.csv", [["客户编号", "金额"], ["K1", "5"]])
    with pytest.raises(ValidationError):
        import_job_create(target="transactions", file_path=path, key="code", language="en")
    with pytest.raises(ValidationError):
        import_job_create(target="transactions", file_path=path, key="mobile", language="en")


def test_contacts_of_organisations(tmp_path, run_import, make_customer):
    company = make_customer("某某科技有限公司", kind="organisation", code="O1",
                            organisation={"credit_code": CREDIT_CODE})
    make_customer("张三", code="P1")
    old_primary = Contact.objects.create(customer=company, name="旧联系人", is_primary=True)
    path = write_csv(tmp_path / "c.csv", [
        ["统一社会信用代码", "联系人", "角色", "手机", "邮箱", "主要联系人"],
        [CREDIT_CODE, "王经理", "总经理", "13800138000", "w@example.com", "是"],
        [CREDIT_CODE, "赵会计", "财务", "bad", "", ""],
        [CREDIT_CODE, "钱采购", "采购", "", "", "否"],
    ])
    job = run_import(path, "contacts", key="credit_code")
    assert counts(job) == (2, 0, 0, 1)
    assert errors_of(job)[0][:2] == (3, "手机")
    manager = Contact.objects.get(name="王经理")
    assert (manager.role, manager.mobile, manager.is_primary) == ("general_manager", "+8613800138000", True)
    old_primary.refresh_from_db()
    assert old_primary.is_primary is False
    assert Contact.history.filter(id=manager.pk, history_type="+").count() == 1
    assert counts(run_import(path, "contacts", key="credit_code")) == (0, 0, 2, 1)
    person = run_import(write_csv(tmp_path / "p.csv", [["客户编号", "联系人"], ["P1", "某人"]]), "contacts",
                        key="code")
    assert "Only organisations" in errors_of(person)[0][2]


def test_purchases_written_by_a_thread_of_their_own_as_in_one_thread(postgres_only, transactional_db, tmp_path,
                                                                     run_import, shoppers, writing_threads):
    writers = writing_threads
    rows = [["流水号", "客户编号", "交易时间", "金额"]]
    rows += [[f"A{index:03d}", "K1" if index % 3 else "K2", f"2025-03-{index % 28 + 1:02d}", f"{index}.50"]
             for index in range(12)]
    rows.insert(5, ["A900", "K9", "2025-03-01", "10"])  # unknown customer
    rows.insert(8, ["A002", "K1", "2025-03-03", "2.50"])  # reference repeated in the file
    path = write_csv(tmp_path / "t.csv", rows)
    outcomes = []
    for write_thread in (True, False):
        writers.clear()
        job = run_import(path, "transactions", key="code", chunk_size=4, options={"write_thread": write_thread})
        assert writers == ({f"import-{job.pk}-writer"} if write_thread else {"MainThread"})
        again = run_import(path, "transactions", key="code", chunk_size=4, options={"write_thread": write_thread})
        outcomes.append((counts(job), errors_of(job), counts(again), sorted(
            Transaction.objects.values_list("external_ref", "customer__code", "amount"))))
        Transaction.objects.all().delete()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == (12, 0, 0, 2) and outcomes[0][2] == (0, 0, 12, 2)
    assert [row for row, _column, _reason in outcomes[0][1]] == [6, 9]
