"""Importing customers through the service: validation per row and column, upsert, modes, resuming, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import (
    CustomAttribute,
    Customer,
    LifecycleChange,
    OrganisationProfile,
    PersonProfile,
    Tag,
)
from kehu.imports.models import ImportJob

from .conftest import CREDIT_CODE, counts, errors_of, resident_id, write_csv, write_xlsx

HEADER = ["客户编号", "姓名", "手机号码", "身份证号", "所属门店", "电子邮箱", "标签"]
ID_1 = resident_id(born="19900101", sequence="123")
ID_2 = resident_id(born="19851231", sequence="456")


def test_good_rows_are_created_with_profiles_search_keys_history_and_lifecycle(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [
        HEADER,
        ["KH001", "张三", "13800138000", ID_1, "SH1", "ZS@Example.com", "VIP、老客户"],
        ["KH002", "李四", "139 0013 9000", "", "上海二店", "", ""],
    ])
    job = run_import(path, key="code")
    assert job.status == ImportJob.Status.DONE
    assert counts(job) == (2, 0, 0, 0)
    zhang = Customer.objects.select_related("person").get(code="KH001")
    assert (zhang.name_pinyin, zhang.name_initials, zhang.mobile, zhang.mobile_last4) == (
        "zhangsan", "zs", "+8613800138000", "8000")
    assert zhang.email == "zs@example.com"
    assert zhang.branch == org["sh1"]
    assert zhang.person.id_number == ID_1
    assert zhang.person.birth_date == dt.date(1990, 1, 1)  # from the ID number
    assert zhang.person.gender == "male"
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP", "老客户"]
    assert Customer.objects.get(code="KH002").branch == org["sh2"]  # branch found by name
    history = zhang.history.get()
    assert history.history_type == "+"
    assert history.history_change_reason == f"Import #{job.pk}"
    assert PersonProfile.history.filter(customer_id=zhang.pk, history_type="+").count() == 1
    assert LifecycleChange.objects.filter(customer=zhang, new_value="prospect").count() == 1


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("身份证号", ID_1[:17] + ("0" if ID_1[17] != "0" else "1"), "check digit is wrong"),
        ("身份证号", "11010519901301123" + "X", "ID number"),
        ("身份证号", "1.10105E+17", "lost its last digits"),
        ("手机号码", "12345", "phone number"),
        ("手机号码", "010-65529988", "not a mobile number"),
        ("电子邮箱", "zhang@", "valid email"),
        ("所属门店", "XX9", "Unknown branch"),
        ("出生日期", "1990-02-30", "does not exist"),
        ("统一社会信用代码", "91110000600037341M", "check character is wrong"),
        ("生命周期状态", "沉睡", "Not one of"),
        ("钱包份额", "120", "at most 100"),
        ("姓名", "名" * 201, "Longer than 200"),
    ],
)
def test_each_bad_value_is_reported_with_its_row_column_and_reason(tmp_path, run_import, users, column, value,
                                                                    reason):
    headers = ["客户编号", "姓名", "手机号码", "身份证号", "所属门店", "电子邮箱", "客户经理", "出生日期",
               "统一社会信用代码", "生命周期状态", "钱包份额"]
    good = ["KH1", "王五", "13800138000", ID_1, "SH1", "w@example.com", "am1", "1990-01-01", "", "现有客户", "10"]
    bad = list(good)
    bad[0] = "KH2"
    bad[headers.index(column)] = value
    if column == "统一社会信用代码":
        bad[headers.index("身份证号")] = ""
        bad[headers.index("出生日期")] = ""
    path = write_csv(tmp_path / "c.csv", [headers, good, None, bad])
    job = run_import(path, key="code")
    assert counts(job) == (1, 0, 0, 1)
    [(row, error_column, error_reason)] = errors_of(job)
    assert row == 4  # the blank line 3 keeps its number
    assert error_column == column
    assert reason in error_reason
    assert Customer.objects.filter(code="KH1").exists() and not Customer.objects.filter(code="KH2").exists()


def test_id_number_and_birth_date_must_agree(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "身份证号", "出生日期", "门店"],
                                          ["K1", "赵六", ID_1, "1991-01-01", "SH1"]])
    job = run_import(path, key="code")
    [(row, column, reason)] = errors_of(job)
    assert (row, column) == (2, "身份证号")
    assert "1990-01-01" in reason and "1991-01-01" in reason


def test_id_number_and_gender_must_agree(tmp_path, run_import, org):
    from kehu.core.validators import resident_id_gender

    wrong = "女" if resident_id_gender(ID_1) == "male" else "男"
    right = "男" if wrong == "女" else "女"
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "身份证号", "性别", "门店"],
                                          ["K1", "赵六", ID_1, wrong, "SH1"],
                                          ["K2", "钱七", ID_2 if resident_id_gender(ID_2) == resident_id_gender(ID_1)
                                           else ID_1, right, "SH1"]])
    job = run_import(path, key="code")
    [(row, column, reason)] = errors_of(job)
    assert (row, column) == (2, "身份证号")
    assert "gender" in reason
    assert counts(job) == (1, 0, 0, 1)


def test_all_problems_of_a_row_are_reported(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "手机号码", "身份证号", "门店", "邮箱"],
                                          ["K1", "赵六", "123", "110105199001011230", "NOPE", "bad"]])
    job = run_import(path, key="code")
    assert counts(job) == (0, 0, 0, 1)
    assert [column for _row, column, _reason in errors_of(job)] == ["手机号码", "门店", "邮箱", "身份证号"]


def test_excel_numbers_mobiles_ok_and_ids_typed_as_numbers_rejected(tmp_path, run_import, org):
    path = write_xlsx(tmp_path / "c.xlsx", [
        ["客户编号", "姓名", "手机", "身份证号", "出生日期", "门店"],
        [1001, "张三", 13800138000, ID_1, dt.date(1990, 1, 1), "SH1"],
        [1002, "李四", 13900139000.0, 110105198512314560, "", "SH1"],
    ])
    job = run_import(path, key="code")
    assert counts(job) == (1, 0, 0, 1)
    customer = Customer.objects.get(code="1001")
    assert customer.mobile == "+8613800138000"
    [(row, column, reason)] = errors_of(job)
    assert (row, column) == (3, "身份证号")
    assert "format the column as text" in reason


def test_reimport_changes_nothing_and_says_so(tmp_path, run_import, org):
    rows = [HEADER, ["KH001", "张三", "13800138000", ID_1, "SH1", "zs@example.com", "VIP"],
            ["KH002", "李四", "13900139000", ID_2, "SH2", "", ""]]
    path = write_csv(tmp_path / "c.csv", rows)
    first = run_import(path, key="code")
    assert counts(first) == (2, 0, 0, 0)
    versions = dict(Customer.objects.values_list("code", "version"))
    history = Customer.history.count()
    second = run_import(path, key="code")
    assert counts(second) == (0, 0, 2, 0)
    assert dict(Customer.objects.values_list("code", "version")) == versions
    assert Customer.history.count() == history
    for key in ("mobile", "id_number"):
        again = run_import(path, key=key)
        assert counts(again) == (0, 0, 2, 0)


def test_changed_rows_are_updated_with_version_history_and_lifecycle(tmp_path, run_import, org):
    path = write_csv(tmp_path / "a.csv", [["客户编号", "姓名", "手机号码", "门店", "生命周期状态", "标签"],
                                          ["KH001", "张三", "13800138000", "SH1", "潜在客户", "VIP"]])
    run_import(path, key="code")
    customer = Customer.objects.get(code="KH001")
    changed = write_csv(tmp_path / "b.csv", [["客户编号", "姓名", "手机号码", "门店", "生命周期状态", "标签"],
                                             ["KH001", "张叁", "13800138001", "SH1", "现有客户", "VIP、团购"]])
    job = run_import(changed, key="code", options={"accept_name_changes": True})
    assert counts(job) == (0, 1, 0, 0)
    customer.refresh_from_db()
    assert (customer.name, customer.name_pinyin, customer.mobile_last4, customer.version) == (
        "张叁", "zhangsan", "8001", 2)
    assert customer.lifecycle_status == "current"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "团购"]
    latest = customer.history.order_by("-history_id").first()
    assert latest.history_type == "~" and latest.history_change_reason == f"Import #{job.pk}"
    assert LifecycleChange.objects.filter(customer=customer, old_value="prospect", new_value="current").exists()


def test_unmapped_fields_and_blank_cells_are_kept_unless_asked_to_clear(tmp_path, run_import, org):
    run_import(write_csv(tmp_path / "a.csv", [["客户编号", "姓名", "邮箱", "地址", "门店", "管理类别"],
                                              ["K1", "张三", "a@example.com", "上海", "SH1", "关键客户"]]), key="code")
    blank = write_csv(tmp_path / "b.csv", [["客户编号", "邮箱", "管理类别"], ["K1", "", ""]])
    job = run_import(blank, key="code")
    assert counts(job) == (0, 0, 1, 0)  # an empty cell leaves the stored value alone
    assert Customer.objects.get(code="K1").email == "a@example.com"
    job = run_import(blank, key="code", options={"clear_empty": True})
    assert counts(job) == (0, 1, 0, 0)
    customer = Customer.objects.get(code="K1")
    assert customer.email == ""  # optional field cleared, as asked
    assert customer.address == "上海"  # not in the file: kept
    assert customer.management_class == "key"  # cannot be empty: kept


def test_duplicated_keys_in_a_file_later_row_reported(tmp_path, run_import, org):
    path = write_csv(tmp_path / "d.csv", [HEADER, ["K1", "张三", "13800138000", "", "SH1", "", ""],
                                          ["K2", "李四", "13900139000", "", "SH1", "", ""],
                                          ["K1", "张三二", "13700137000", "", "SH1", "", ""]])
    job = run_import(path, key="code", chunk_size=2)  # the duplicate is in the next chunk
    assert counts(job) == (2, 0, 0, 1)
    assert errors_of(job) == [(4, "客户编号", "Duplicate of row 2: the same 客户编号 appears twice in the file.")]
    assert Customer.objects.get(code="K1").name == "张三"


def test_all_or_nothing_stores_nothing_when_a_row_is_bad(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [HEADER, ["K1", "张三", "13800138000", "", "SH1", "", ""],
                                          ["K2", "李四", "bad", "", "SH1", "", ""]])
    job = run_import(path, key="code", mode="all-or-nothing")
    assert job.status == ImportJob.Status.REJECTED
    assert counts(job) == (0, 0, 0, 1)
    assert not Customer.objects.exists()
    fixed = write_csv(tmp_path / "ok.csv", [HEADER, ["K1", "张三", "13800138000", "", "SH1", "", ""]])
    job = run_import(fixed, key="code", mode="all-or-nothing")
    assert job.status == ImportJob.Status.DONE and counts(job) == (1, 0, 0, 0)


def test_interrupted_import_resumes_after_its_checkpoint_without_duplicates(tmp_path, run_import, org):
    from kehu.imports import services

    rows = [HEADER] + [[f"K{i:03d}", f"客户{i}", f"138{i:08d}", "", "SH1", "", ""] for i in range(10)]
    rows.insert(5, None)
    rows.append(["K003", "重复", "13899999999", "", "SH1", "", ""])
    path = write_csv(tmp_path / "c.csv", rows)
    job = services.import_job_create(target="customers", file_path=path, key="code", mode="skip-bad", language="en")
    calls = {"n": 0}

    def crash(current, rows):  # told after each committed chunk: the worker is killed after the second
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("worker killed")

    with pytest.raises(KeyboardInterrupt):
        services.import_run(job=job, chunk_size=3, progress=crash)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert job.checkpoint_row == 8 and job.created == 6  # two chunks of three rows committed (row 6 is blank)
    job = services.import_run(job=job, chunk_size=3)
    assert job.status == ImportJob.Status.DONE
    assert counts(job) == (10, 0, 0, 1)
    assert Customer.objects.count() == 10
    assert errors_of(job) == [(13, "客户编号", "Duplicate of row 5: the same 客户编号 appears twice in the file.")]


def _fail_the_second_customer_insert(monkeypatch):
    """The second write of customers stores its rows, then the connection fails; returns the real ``insert_rows``."""
    from kehu.core.bulkio import rows as bulk

    real_insert = bulk.insert_rows
    calls = {"customers": 0}

    def failing_insert(model, columns, values):
        if model is Customer:
            calls["customers"] += 1
            if calls["customers"] == 2:
                real_insert(model, columns, values)
                raise ConnectionError("database went away")
        return real_insert(model, columns, values)

    monkeypatch.setattr(bulk, "insert_rows", failing_insert)
    return real_insert


def test_a_crash_inside_a_chunk_rolls_the_chunk_back_and_resume_writes_it_once(tmp_path, run_import, org,
                                                                                monkeypatch):
    from kehu.core.bulkio import rows as bulk
    from kehu.imports import services

    rows = [HEADER] + [[f"K{i:03d}", f"客户{i}", f"138{i:08d}", "", "SH1", "", ""] for i in range(9)]
    path = write_csv(tmp_path / "c.csv", rows)
    job = services.import_job_create(target="customers", file_path=path, key="code", mode="skip-bad", language="en")
    real_insert = _fail_the_second_customer_insert(monkeypatch)
    with pytest.raises(ConnectionError):
        services.import_run(job=job, chunk_size=3)
    assert Customer.objects.count() == 3
    monkeypatch.setattr(bulk, "insert_rows", real_insert)
    job = services.import_run(job=ImportJob.objects.get(pk=job.pk), chunk_size=3)
    assert counts(job) == (9, 0, 0, 0)
    assert Customer.objects.count() == 9
    assert Customer.history.count() == 9


def test_organisations_by_credit_code_and_kind_inferred(tmp_path, run_import, org):
    path = write_csv(tmp_path / "o.csv", [
        ["统一社会信用代码", "单位名称", "行业", "员工人数", "年营业额", "成立日期", "门店", "所有制"],
        [CREDIT_CODE.lower(), "北京某某科技有限公司", "软件", "120", "1,000,000", "2015-06-01", "BJ1", "民营"],
    ])
    job = run_import(path, key="credit_code")
    assert counts(job) == (1, 0, 0, 0)
    company = Customer.objects.select_related("organisation").get()
    assert company.kind == "organisation"
    assert company.code.startswith("KH")  # allocated from the code pattern
    assert (company.organisation.credit_code, company.organisation.staff_count) == (CREDIT_CODE, 120)
    assert company.organisation.annual_revenue == Decimal("1000000.00")
    assert company.organisation.ownership_type == "private"
    assert company.industry == "65"  # 软件 → GB/T 4754 division 65, software and information technology services
    assert OrganisationProfile.history.filter(customer_id=company.pk).count() == 1
    assert counts(run_import(path, key="credit_code")) == (0, 0, 1, 0)


def test_fields_of_the_other_kind_are_reported(tmp_path, run_import, org):
    path = write_csv(tmp_path / "k.csv", [["客户编号", "客户类型", "名称", "员工人数", "性别", "门店"],
                                          ["K1", "个人", "张三", "12", "", "SH1"],
                                          ["K2", "单位", "某公司", "", "男", "SH1"]])
    job = run_import(path, key="code")
    assert counts(job) == (0, 0, 0, 2)
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(2, "员工人数"), (3, "性别")]


def test_kind_and_code_of_stored_customers_are_not_changed(tmp_path, run_import, org, make_customer):
    make_customer("张三", mobile="13800138000", code="OLD1")
    path = write_csv(tmp_path / "c.csv", [["手机号码", "客户编号", "客户类型", "名称"],
                                          ["13800138000", "NEW1", "单位", "张三"]])
    job = run_import(path, key="mobile")
    assert counts(job) == (0, 0, 0, 1)
    assert {column for _row, column, _reason in errors_of(job)} == {"客户编号", "客户类型"}


def test_mobile_key_shared_by_two_customers_is_ambiguous(tmp_path, run_import, org, make_customer):
    make_customer("张三", mobile="13800138000")
    make_customer("张三丰", mobile="13800138000")
    path = write_csv(tmp_path / "c.csv", [["手机号码", "姓名"], ["13800138000", "张三"]])
    job = run_import(path, key="mobile")
    [(row, column, reason)] = errors_of(job)
    assert (row, column) == (2, "手机号码") and "Several stored customers" in reason


def test_codes_already_used_or_repeated_in_the_file(tmp_path, run_import, org, make_customer):
    make_customer("老客户", code="USED")
    path = write_csv(tmp_path / "c.csv", [["手机号码", "客户编号", "姓名", "门店"],
                                          ["13800138000", "USED", "张三", "SH1"],
                                          ["13900139000", "NEW", "李四", "SH1"],
                                          ["13700137000", "NEW", "王五", "SH1"]])
    job = run_import(path, key="mobile")
    assert counts(job) == (1, 0, 0, 2)
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(2, "客户编号"), (4, "客户编号")]


def test_required_name_branch_and_key(tmp_path, run_import, org):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店"], ["K1", "", "SH1"], ["K2", "李四", ""],
                                          ["", "王五", "SH1"]])
    job = run_import(path, key="code")
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(2, "姓名"), (3, "门店"), (4, "客户编号")]
    with_default = run_import(path, key="code", options={"default_branch": org["sh2"].pk})
    assert counts(with_default) == (1, 0, 0, 2)
    assert Customer.objects.get(code="K2").branch == org["sh2"]


def test_custom_attributes_mapped_by_label_and_validated(tmp_path, run_import, org):
    CustomAttribute.objects.create(key="vip_level", label="会员等级", type="choice", choices="金卡\n银卡")
    CustomAttribute.objects.create(key="car_count", label="车辆数", type="number", required=True,
                                   applies_to="person")
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店", "会员等级", "car_count"],
                                          ["K1", "张三", "SH1", "金卡", "2"], ["K2", "李四", "SH1", "铜卡", "1"],
                                          ["K3", "王五", "SH1", "银卡", ""]])
    job = run_import(path, key="code")
    assert counts(job) == (1, 0, 0, 2)
    assert Customer.objects.get(code="K1").custom_attributes == {"vip_level": "金卡", "car_count": 2}
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(3, "会员等级"), (4, "car_count")]


def test_owner_by_username_and_scope_of_the_importing_user(tmp_path, run_import, org, users):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店", "客户经理"],
                                          ["K1", "张三", "SH1", "am1"], ["K2", "李四", "BJ1", ""]])
    job = run_import(path, key="code", user=users["account_manager"])
    assert counts(job) == (1, 0, 0, 1)
    assert Customer.objects.get(code="K1").owner == users["account_manager"]
    assert errors_of(job)[0][:2] == (3, "门店")
    # another account manager of the same store may not change K1 (not theirs)
    job = run_import(write_csv(tmp_path / "u.csv", [["客户编号", "姓名"], ["K1", "张三丰"]]), key="code",
                     user=users["other_account_manager"])
    assert counts(job) == (0, 0, 0, 1)
    assert "may not change" in errors_of(job)[0][2]


def test_auditors_may_not_import(tmp_path, users):
    from kehu.imports.services import import_job_create

    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名"], ["K1", "张三"]])
    with pytest.raises(ValidationError) as error:
        import_job_create(target="customers", file_path=path, key="code", user=users["auditor"], language="en")
    assert "permission" in str(error.value)


def test_mapping_without_the_key_column_is_refused(tmp_path, db):
    from kehu.imports.services import import_job_create

    path = write_csv(tmp_path / "c.csv", [["姓名", "手机"], ["张三", "13800138000"]])
    with pytest.raises(ValidationError):
        import_job_create(target="customers", file_path=path, key="id_number", language="en")
    job = import_job_create(target="customers", file_path=path, language="en")
    assert job.key == "mobile"  # the first key the file has a column for


def test_saved_and_adjusted_mappings(tmp_path, run_import, org):
    from kehu.imports.services import import_job_create, import_mapping_save

    path = write_csv(tmp_path / "c.csv", [["会员卡号", "客户", "联系方式"], ["V1", "张三", "13800138000"]])
    job = import_job_create(target="customers", file_path=path, columns={"会员卡号": "code", "客户": "name",
                                                                          "联系方式": "mobile"}, language="en")
    assert job.column_map == ["code", "name", "mobile"]
    mapping = import_mapping_save(name="会员系统", target="customers", headers=job.headers, columns=job.column_map,
                                  key="code")
    job = run_import(path, mapping=mapping, options={"default_branch": org["sh1"].pk})
    assert job.key == "code" and counts(job) == (1, 0, 0, 0)
    assert Customer.objects.get(code="V1").mobile == "+8613800138000"


def test_preview_shows_rows_as_stored_with_problems(tmp_path, org, make_customer):
    from kehu.imports.services import import_job_create, import_preview

    make_customer("张三", code="K1", mobile="13800138000")
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "手机号码", "门店", "生命周期状态"],
                                          ["K1", "张三", "13800138000", "", ""], ["K2", "李四", "bad", "SH1", ""],
                                          ["K3", "王五", "13900139000", "SH1", "现有客户"]])
    job = import_job_create(target="customers", file_path=path, key="code", language="en")
    rows = import_preview(job=job)
    assert [(row.row, row.action) for row in rows] == [(2, "unchanged"), (3, "failed"), (4, "created")]
    assert rows[1].problems[0][0] == "手机号码"
    assert rows[2].values["mobile"] == "+8613900139000"
    assert not Customer.objects.filter(code="K3").exists()
    assert not Tag.objects.exists()


def _stored_customers() -> list[tuple]:
    return sorted(Customer.objects.values_list(
        "code", "kind", "name", "name_pinyin", "name_initials", "mobile", "mobile_last4", "branch__code",
        "person__id_number", "person__birth_date", "person__gender", "organisation__credit_code"))


def test_rows_prepared_in_a_worker_process_are_stored_as_in_one_process(tmp_path, run_import, org):
    """Big files are parsed and checked in a forked worker beside the database work (on two cores or more): the
    outcome is the same row for row, errors included, as when one process does everything."""
    rows = [["客户编号", "姓名", "手机号码", "身份证号", "统一社会信用代码", "所属门店"]]
    for index in range(14):
        rows.append([f"K{index:03d}", f"长沙客户{index}", f"138{index:08d}", resident_id(sequence=f"{index:03d}"),
                     "", "SH1"])
    rows.insert(4, ["K900", "重庆银行", "", "", CREDIT_CODE, "SH2"])
    rows.insert(7, ["K901", "王五", "12345", "", "", "SH1"])  # bad mobile
    rows.insert(9, ["K002", "张三", "", "", "", "SH1"])  # duplicate key of row 4
    rows.insert(12, None)
    path = write_csv(tmp_path / "c.csv", rows)
    outcomes = []
    for workers in (1, 0):
        job = run_import(path, key="code", chunk_size=4, options={"workers": workers})
        outcomes.append((counts(job), errors_of(job), _stored_customers()))
        Customer.objects.all().delete()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == (15, 0, 0, 2)
    assert [row for row, _column, _reason in outcomes[0][1]] == [8, 10]
    assert outcomes[0][2][-1][:5] == ("K900", "organisation", "重庆银行", "chongqingyinhang", "cqyh")


def test_big_files_are_prepared_in_one_worker_on_two_cores(monkeypatch, tmp_path, db):
    from kehu.imports import pipeline
    from kehu.imports.models import ImportJob as Job
    from kehu.imports.readers import open_table

    path = write_csv(tmp_path / "c.csv", [HEADER, ["K1", "张三", "13800138000", "", "SH1", "", ""]])
    reader = open_table(path)
    monkeypatch.setattr(reader, "estimated_rows", pipeline.PARALLEL_MIN_ROWS)
    job = Job(options={})
    for cores, workers in ((1, 0), (2, 1), (4, 2), (16, 3)):
        monkeypatch.setattr(pipeline.os, "cpu_count", lambda cores=cores: cores)
        assert pipeline.preparation_workers(job, reader) == workers
    assert pipeline.preparation_workers(Job(options={"workers": 0}), reader) == 0
    monkeypatch.setattr(reader, "estimated_rows", pipeline.PARALLEL_MIN_ROWS - 1)
    assert pipeline.preparation_workers(job, reader) == 0
    reader.close()


def test_statistics_of_the_looked_up_columns_on_the_way_and_of_everything_at_the_end(tmp_path, run_import, org,
                                                                                    monkeypatch):
    from django.db import connection

    from kehu.imports import pipeline

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    rows = [HEADER] + [[f"K{i:03d}", f"客户{i}", f"138{i:08d}", "", "SH1", "", ""] for i in range(5)]
    path = write_csv(tmp_path / "c.csv", rows)
    statements: list[str] = []

    def spy(execute, sql, params, many, context):
        if sql.startswith("ANALYZE"):
            statements.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(pipeline, "FULL_ANALYZE_MIN_ROWS", 5)
    with connection.execute_wrapper(spy):
        job = run_import(path, key="code", chunk_size=2)
    assert counts(job) == (5, 0, 0, 0)
    # after chunks 1 and 2 (not 3): the key columns only; after the last chunk, whole tables
    assert statements == 2 * [
        'ANALYZE "customers_customer" ("id", "code", "mobile")',
        'ANALYZE "customers_personprofile" ("customer_id", "id_number")',
        'ANALYZE "customers_organisationprofile" ("customer_id", "credit_code")',
    ] + ['ANALYZE "customers_customer"', 'ANALYZE "customers_personprofile"',
         'ANALYZE "customers_organisationprofile"']
    statements.clear()
    monkeypatch.setattr(pipeline, "FULL_ANALYZE_MIN_ROWS", 6)
    with connection.execute_wrapper(spy):
        job = run_import(path, key="code", chunk_size=2)
    assert counts(job) == (0, 0, 5, 0)
    assert len(statements) == 6  # nothing written: no final ANALYZE


def _mixed_file(tmp_path):
    rows = [["客户编号", "姓名", "手机号码", "身份证号", "统一社会信用代码", "所属门店", "标签"]]
    for index in range(14):
        rows.append([f"K{index:03d}", f"客户{index}", f"138{index:08d}", resident_id(sequence=f"{index:03d}"), "",
                     "SH1", "VIP" if index % 2 else ""])
    rows.insert(4, ["K900", "重庆银行", "", "", CREDIT_CODE, "SH2", "对公"])
    rows.insert(7, ["K901", "王五", "12345", "", "", "SH1", ""])  # bad mobile
    rows.insert(9, ["K002", "张三", "13800000002", "", "", "SH1", ""])  # duplicate key of row 4
    return write_csv(tmp_path / "mixed.csv", rows)


@pytest.mark.parametrize("mode", ["skip-bad", "all-or-nothing"])
def test_chunks_written_by_a_thread_of_their_own_are_stored_as_in_one_thread(postgres_only, transactional_db,
                                                                             tmp_path, run_import, org, mode,
                                                                             writing_threads):
    writers = writing_threads
    path = _mixed_file(tmp_path)
    outcomes = []
    for write_thread in (True, False):
        writers.clear()
        job = run_import(path, key="code", chunk_size=4, mode=mode, options={"write_thread": write_thread})
        if mode == "skip-bad":  # (all-or-nothing rejects the file before writing)
            assert writers == ({f"import-{job.pk}-writer"} if write_thread else {"MainThread"})
        job.refresh_from_db()
        outcomes.append((job.status, counts(job), job.rows_done, errors_of(job), _stored_customers(),
                         sorted(Customer.tags.through.objects.values_list("customer__code", "tag__name")),
                         Customer.history.count(), LifecycleChange.objects.count()))
        Customer.objects.all().delete()
        Customer.history.all().delete()
    assert outcomes[0] == outcomes[1]
    if mode == "skip-bad":
        assert outcomes[0][:3] == (ImportJob.Status.DONE, (15, 0, 0, 2), 17)
        assert len(outcomes[0][4]) == 15 and outcomes[0][6] == 15
    else:
        assert outcomes[0][:2] == (ImportJob.Status.REJECTED, (0, 0, 0, 2)) and outcomes[0][4] == []


def test_a_failure_of_the_writing_thread_stops_the_import_at_its_checkpoint_and_resume_writes_once(
        postgres_only, transactional_db, tmp_path, org, monkeypatch):
    from kehu.core.bulkio import rows as bulk
    from kehu.imports import services

    rows = [HEADER] + [[f"K{i:03d}", f"客户{i}", f"138{i:08d}", "", "SH1", "", ""] for i in range(9)]
    path = write_csv(tmp_path / "c.csv", rows)
    job = services.import_job_create(target="customers", file_path=path, key="code", mode="skip-bad", language="en",
                                     options={"write_thread": True})
    real_insert = _fail_the_second_customer_insert(monkeypatch)
    with pytest.raises(ConnectionError):
        services.import_run(job=job, chunk_size=3)
    job.refresh_from_db()
    assert (job.checkpoint_row, job.created) == (4, 3)  # the first chunk committed, the second rolled back
    assert Customer.objects.count() == 3
    monkeypatch.setattr(bulk, "insert_rows", real_insert)
    job = services.import_run(job=ImportJob.objects.get(pk=job.pk), chunk_size=3)
    assert job.status == ImportJob.Status.DONE and counts(job) == (9, 0, 0, 0)
    assert Customer.objects.count() == 9 and Customer.history.count() == 9


def test_all_or_nothing_rejected_while_writing_in_a_thread_stores_nothing(postgres_only, transactional_db, tmp_path,
                                                                           run_import, org, monkeypatch):
    from kehu.imports.targets.customers import CustomerTarget

    rows = [HEADER] + [[f"K{i:03d}", f"客户{i}", f"138{i:08d}", "", "SH1", "", ""] for i in range(9)]
    path = write_csv(tmp_path / "c.csv", rows)
    real_apply = CustomerTarget.apply
    writes = {"n": 0}

    def apply(self, prepared, *, write, preview=False, defer=False):
        outcome = real_apply(self, prepared, write=write, preview=preview, defer=defer)
        if write:
            writes["n"] += 1
            if writes["n"] == 3:  # as if another user had taken a code since the check
                outcome.fail(prepared[0][0], [("客户编号", "K006", "Another customer already has the code K006.")])
        return outcome

    monkeypatch.setattr(CustomerTarget, "apply", apply)
    job = run_import(path, key="code", chunk_size=3, mode="all-or-nothing", options={"write_thread": True})
    assert job.status == ImportJob.Status.REJECTED and counts(job) == (0, 0, 0, 1)
    assert errors_of(job) == [(8, "客户编号", "Another customer already has the code K006.")]
    assert not Customer.objects.exists() and not Customer.history.exists()


def test_all_or_nothing_written_in_a_thread_commits_the_rows_with_the_finished_job(postgres_only, transactional_db,
                                                                                   tmp_path, run_import, org):
    rows = [HEADER] + [[f"K{i:03d}", f"客户{i}", f"138{i:08d}", "", "SH1", "", ""] for i in range(7)]
    job = run_import(write_csv(tmp_path / "c.csv", rows), key="code", chunk_size=3, mode="all-or-nothing",
                     options={"write_thread": True})
    stored = ImportJob.objects.get(pk=job.pk)
    assert (stored.status, counts(stored), stored.rows_done, stored.checkpoint_row) == (
        ImportJob.Status.DONE, (7, 0, 0, 0), 7, 8)
    assert Customer.objects.count() == 7 and LifecycleChange.objects.count() == 7
