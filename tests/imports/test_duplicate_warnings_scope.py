"""The import's likely-duplicate warnings come from the customers app's detection, with the importer's scope: a
stored customer the importer may not see is never named (nor hinted at) in a warning."""

from __future__ import annotations

from .conftest import CREDIT_CODE, counts, resident_id, warnings_of, write_csv

ID = resident_id(born="19800505", sequence="135")


def test_warnings_name_only_customers_the_importer_can_see(tmp_path, run_import, make_customer, users, org):
    hidden = make_customer("北京张三", branch=org["bj1"], mobile="13800138000", person={"id_number": ID})
    visible = make_customer("某某公司", kind="organisation", organisation={"credit_code": CREDIT_CODE})
    rows = [["客户编号", "姓名", "手机号码", "身份证号", "门店"],
            ["N1", "张三", "13800138000", ID, "SH1"]]
    job = run_import(write_csv(tmp_path / "p.csv", rows), key="code", user=users["account_manager"])
    assert counts(job) == (1, 0, 0, 0)
    assert warnings_of(job) == [] and job.warnings == 0
    # the administrator sees BJ1: both identifiers are reported, naming the stored customer
    rows[1][0] = "N2"
    job = run_import(write_csv(tmp_path / "p2.csv", rows), key="code", user=users["administrator"])
    assert [(row, column) for row, column, _reason in warnings_of(job)] == [(2, "手机号码"), (2, "身份证号")]
    assert all(hidden.code in reason for _row, _column, reason in warnings_of(job))

    company_rows = [["客户编号", "客户类型", "名称", "统一社会信用代码", "门店"],
                    ["O1", "organisation", "某某有限公司", CREDIT_CODE, "SH1"]]
    job = run_import(write_csv(tmp_path / "o.csv", company_rows), key="code", user=users["account_manager"])
    assert [(row, column) for row, column, _reason in warnings_of(job)] == [(2, "统一社会信用代码")]
    assert visible.code in warnings_of(job)[0][2]
