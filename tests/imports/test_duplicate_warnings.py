"""The import warns about new rows that look like stored customers (detection: kehu.customers.duplicates)."""

from __future__ import annotations

from .conftest import counts, errors_of, resident_id, warnings_of, write_csv

ID = resident_id(born="19800505", sequence="135")


def test_import_warns_about_new_rows_that_look_like_stored_customers(tmp_path, run_import, make_customer):
    stored = make_customer("张三", mobile="13800138000", person={"id_number": ID})
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "手机号码", "身份证号", "门店"],
                                          ["N1", "张三", "13800138000", "", "SH1"],
                                          ["N2", "张小三", "13900139000", ID, "SH1"],
                                          ["N3", "李四", "13700137000", "", "SH1"]])
    job = run_import(path, key="code")
    assert counts(job) == (3, 0, 0, 0) and errors_of(job) == []
    assert job.warnings == 2
    assert [(row, column) for row, column, _reason in warnings_of(job)] == [(2, "手机号码"), (3, "身份证号")]
    assert stored.code in warnings_of(job)[0][2]
