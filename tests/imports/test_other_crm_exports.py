"""Moving in from another CRM (issue 12 item 9): exports in the shapes of other systems' customer exports
(``tests/data/crm_exports``: the columns of 纷享销客/悟空-like, 销售易-like, Salesforce and HubSpot exports)
land through ``kehu import customers FILE`` and the wizard with kinds, owners, classifications, dates and provinces
kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kehu.customers.models import Customer

from .conftest import counts, kehu_import, warnings_of, write_csv

EXPORTS = Path(__file__).resolve().parent.parent / "data" / "crm_exports"


@pytest.fixture
def staff(org, make_user):
    """The account managers the exports name: by display name (王芳), staff number (007), user name (zhaolei) and, in
    the English exports, by first and last name."""
    wang = make_user("account_manager", org["sh1"], username="wangfang")
    li = make_user("account_manager", org["sh1"], username="liqiang")
    zhao = make_user("account_manager", org["sh1"], username="zhaolei")
    Customer._meta.apps.get_model("org", "User").objects.filter(pk=wang.pk).update(
        display_name="王芳", first_name="Fang", last_name="Wang")
    Customer._meta.apps.get_model("org", "User").objects.filter(pk=li.pk).update(display_name="李强",
                                                                                 staff_number="007")
    Customer._meta.apps.get_model("org", "User").objects.filter(pk=zhao.pk).update(
        display_name="赵磊", first_name="Lei", last_name="Zhao")
    return {"wangfang": wang, "liqiang": li, "zhaolei": zhao}


def _stored(name: str) -> tuple:
    customer = Customer.objects.select_related("owner").get(name=name)
    return (customer.kind, customer.owner.username if customer.owner else None, customer.management_class,
            customer.lifecycle_status, customer.source, customer.industry, customer.customer_since,
            (customer.province_code, customer.city_code, customer.district_code))


def test_a_chinese_crm_export_lands_with_kinds_owners_classifications_dates_and_provinces(staff):
    status, lines = kehu_import("customers", EXPORTS / "fxiaoke_customers.csv", "--mode", "skip-bad",
                                "--branch", "SH1")
    assert status == 0, lines
    assert lines[-1] == "created 6, updated 0, unchanged 0, failed 0", lines
    assert _stored("广州云帆信息科技有限公司") == (
        "organisation", "wangfang", "key", "current", "展会", "65", dt.date(2019, 3, 15),
        ("440000", "440100", "440106"))
    assert _stored("李明") == ("person", "liqiang", "regular", "prospect", "转介绍", "", dt.date(2021, 7, 1),
                             ("110000", "110100", "110105"))
    assert _stored("杭州绿源食品集团") == ("organisation", "zhaolei", "potential", "current", "网络推广", "14",
                                   dt.date(2020, 11, 30), ("330000", "330100", "330106"))
    # an owner Kehu does not know: the row is stored without one, and the user is told whom to choose
    assert _stored("深圳市南山区海通贸易商行") == ("organisation", None, "key", "lost", "电话营销", "51",
                                       dt.date(2022, 5, 5), ("440000", "440300", "440305"))
    assert _stored("张伟")[:7] == ("person", "wangfang", "regular", "prospect", "老客户介绍", "J", dt.date(2023, 1, 9))
    chengdu = Customer.objects.get(name="成都天府软件股份有限公司")
    assert chengdu.industry == "" and "星际采矿" in chengdu.notes  # not in GB/T 4754: kept in the notes
    yunfan = Customer.objects.get(name="广州云帆信息科技有限公司")
    assert (yunfan.province, yunfan.city, yunfan.district, yunfan.address) == ("广东省", "广州市", "天河区",
                                                                            "天河路385号")
    assert (yunfan.mobile, yunfan.phone, yunfan.notes) == ("+8613800138001", "+862038881234", "老客户")
    assert "Columns not used: 网址, 下次联系时间" in lines
    assert "Account managers not found (the customers were stored without them): 陈静 (2)" in lines
    assert "Industries not recognised (kept in the notes): 星际采矿 (1)" in lines


def test_a_value_mapping_given_to_the_command_and_a_kind_for_the_whole_file(staff, tmp_path):
    """The user's value mapping comes before the automatic reading; an owner is named by user name. With ``--kind
    person`` no row is taken for an organisation by its name."""
    path = write_csv(tmp_path / "export.csv", [
        ["客户名称", "客户级别", "手机", "负责人", "成交状态"],
        ["上海某某有限公司", "三星", "13800138041", "陈静", "暂停"],
    ])
    status, lines = kehu_import("customers", path, "--branch", "SH1", "--kind", "person",
                                "--value", "management_class:三星=key", "--value", "lifecycle_status:暂停=lost",
                                "--value", "owner:陈静=zhaolei", "--save-mapping", "旧系统")
    assert status == 0 and lines[-1] == "created 1, updated 0, unchanged 0, failed 0", lines
    customer = Customer.objects.select_related("owner").get()
    assert (customer.kind, customer.management_class, customer.lifecycle_status, customer.owner.username) == (
        "person", "key", "lost", "zhaolei")
    from kehu.imports.models import ImportMapping

    saved = ImportMapping.objects.get(name="旧系统")
    assert saved.values["management_class"] == {"三星": "key"}
    assert saved.values["owner"] == {"陈静": str(staff["zhaolei"].pk)}
    # the saved mapping brings its values to the next file
    second = write_csv(tmp_path / "second.csv", [["客户名称", "客户级别", "手机", "负责人", "成交状态"],
                                                 ["王五", "三星", "13800138042", "陈静", "暂停"]])
    status, lines = kehu_import("customers", second, "--branch", "SH1", "--mapping", "旧系统")
    assert lines[-1] == "created 1, updated 0, unchanged 0, failed 0", lines
    assert _stored("王五")[1:4] == ("zhaolei", "key", "lost")


def test_unknown_values_without_a_mapping_are_problems_of_their_rows(staff, tmp_path):
    path = write_csv(tmp_path / "export.csv", [["客户名称", "客户级别", "手机"], ["王五", "三星", "13800138041"]])
    status, lines = kehu_import("customers", path, "--branch", "SH1", "--mode", "skip-bad")
    assert lines[-1] == "created 0, updated 0, unchanged 0, failed 1", lines


@pytest.mark.parametrize("value", ["colour:red=blue", "management_class:三星=platinum", "owner:陈静=nobody",
                                   "management_class=key", ":x=y"])
def test_a_value_mapping_that_cannot_be_used_is_refused_before_any_row(staff, tmp_path, value):
    path = write_csv(tmp_path / "export.csv", [["客户名称", "客户级别", "手机"], ["王五", "三星", "13800138041"]])
    status, lines = kehu_import("customers", path, "--branch", "SH1", "--value", value)
    assert status == 2 and not Customer.objects.exists()


def test_a_salesforce_account_export_in_english(staff):
    status, lines = kehu_import("customers", EXPORTS / "salesforce_accounts.csv", "--branch", "SH1",
                                "--mode", "skip-bad")
    assert lines[-1] == "created 3, updated 0, unchanged 0, failed 0", lines
    assert _stored("Acme Trading Co., Ltd.") == ("organisation", "wangfang", "key", "current", "Trade Show", "C",
                                                dt.date(2020, 2, 3), ("310000", "310100", ""))
    assert _stored("Globex Inc.") == ("organisation", "zhaolei", "potential", "prospect", "Web", "I",
                                     dt.date(2021, 6, 15), ("440000", "440300", ""))
    assert _stored("Chen Jing") == ("person", None, "regular", "lost", "Partner Referral", "52",
                                   dt.date(2019, 12, 31), ("330000", "330100", ""))
    acme = Customer.objects.get(name="Acme Trading Co., Ltd.")
    assert (acme.mobile, acme.address, acme.notes) == ("+8613800138011", "世纪大道100号", "Key account since 2020")
    assert "Columns not used: Website, Billing Country" in lines


def test_a_hubspot_company_export_with_a_column_mapped_by_hand(staff):
    """HubSpot's "Lifecycle Stage" holds what Kehu calls the lifecycle status: the user maps the column."""
    status, lines = kehu_import("customers", EXPORTS / "hubspot_companies.csv", "--branch", "SH1",
                                "--map", "Lifecycle Stage=lifecycle_status")
    assert lines[-1] == "created 2, updated 0, unchanged 0, failed 0", lines
    assert _stored("北京星河网络有限公司") == ("organisation", "wangfang", "regular", "current", "", "65",
                                     dt.date(2022, 3, 1), ("110000", "110100", ""))
    assert _stored("王小明")[:7] == ("person", "zhaolei", "regular", "prospect", "", "J", dt.date(2024, 7, 20))
    assert "Columns not used: Record ID, Website URL" in lines


def test_a_chinese_export_with_province_and_city_columns(staff):
    status, lines = kehu_import("customers", EXPORTS / "xiaoshouyi_accounts.csv", "--branch", "SH1")
    assert lines[-1] == "created 3, updated 0, unchanged 0, failed 0", lines
    assert _stored("佛山华美陶瓷厂") == ("organisation", "wangfang", "key", "current", "", "30", dt.date(2017, 9, 1),
                                  ("440000", "440600", "440605"))
    assert _stored("刘洋") == ("person", "liqiang", "regular", "prospect", "", "83", dt.date(2020, 1, 20),
                             ("320000", "320500", ""))
    assert _stored("南京长江建设") == ("organisation", "zhaolei", "key", "current", "", "E", dt.date(2016, 4, 18),
                                 ("320000", "320100", "320106"))
    foshan = Customer.objects.get(name="佛山华美陶瓷厂")
    assert (foshan.province, foshan.city, foshan.district, foshan.address) == ("广东省", "佛山市", "南海区",
                                                                            "桂城街道海八路1号")
    assert not any(line.startswith("Columns not used") for line in lines)


def test_an_update_does_not_lose_a_stored_owner_to_an_unknown_name(staff, tmp_path):
    first = write_csv(tmp_path / "a.csv", [["客户名称", "手机", "负责人"], ["王五", "13800138051", "王芳"]])
    assert kehu_import("customers", first, "--branch", "SH1")[1][-1] == "created 1, updated 0, unchanged 0, failed 0"
    second = write_csv(tmp_path / "b.csv", [["客户名称", "手机", "负责人"], ["王五", "13800138051", "不认识"]])
    status, lines = kehu_import("customers", second, "--branch", "SH1")
    assert lines[-1] == "created 0, updated 0, unchanged 1, failed 0", lines
    assert Customer.objects.get().owner == staff["wangfang"]
    from kehu.imports.models import ImportJob

    assert [(row, column) for row, column, _reason in warnings_of(ImportJob.objects.latest("id"))] == [(2, "负责人")]
    assert counts(ImportJob.objects.latest("id")) == (0, 0, 1, 0)


@pytest.mark.urls("tests.imports.urls")
def test_the_wizard_confirms_the_values_saves_them_and_reports_unused_columns(staff, users, tmp_path, settings,
                                                                            django_capture_on_commit_callbacks):
    """Upload the Chinese export, keep the guessed columns, confirm the values (the unknown 陈静 given to 赵磊), save
    the mapping; the preview and the result name the columns not used."""
    import html

    from django.test import Client

    from kehu.imports.models import ImportJob, ImportMapping

    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(users["administrator"])
    with open(EXPORTS / "fxiaoke_customers.csv", "rb") as handle:
        response = client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "auto"})
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    assert job.key == "mobile"
    form = {f"column_{index}": field for index, field in enumerate(job.column_map)}
    assert job.column_map[job.headers.index("网址")] == "" and job.column_map[job.headers.index("负责人")] == "owner"
    response = client.post(f"/imports/{job.pk}/mapping/", {**form, "key": "mobile", "mode": "skip-bad",
                                                           "kind": "auto", "default_branch": users["account_manager"]
                                                           .branches.get().pk, "save_as": "纷享销客"})
    assert response["Location"] == f"/imports/{job.pk}/values/", html.unescape(response.content.decode())
    page = client.get(f"/imports/{job.pk}/values/")
    body = html.unescape(page.content.decode())
    assert page.status_code == 200 and "陈静" in body and "A类客户" in body and "星际采矿" in body
    fields = page.context["form"].fields
    names = {fields[name].label: (name, fields[name].initial) for name in fields if name.startswith("value_")}
    assert names["A类客户"][1] == "key" and names["已成交"][1] == "current" and names["王芳"][1] == str(
        staff["wangfang"].pk)
    assert names["陈静"][1] == "" and names["星际采矿"][1] == ""  # not recognised: for the user to choose
    post = {name: initial for name, initial in names.values()}
    post[names["陈静"][0]] = str(staff["zhaolei"].pk)
    post[names["星际采矿"][0]] = "06"
    post["save_as"] = "纷享销客"
    response = client.post(f"/imports/{job.pk}/values/", post)
    assert response["Location"] == f"/imports/{job.pk}/preview/", html.unescape(response.content.decode())
    saved = ImportMapping.objects.get(name="纷享销客")
    assert saved.values["owner"]["陈静"] == str(staff["zhaolei"].pk) and saved.values["industry"]["星际采矿"] == "06"
    preview = html.unescape(client.get(f"/imports/{job.pk}/preview/").content.decode())
    assert 'id="unused-columns"' in preview and "网址、下次联系时间" in preview
    assert "广东省" in preview and "天河区" in preview  # the divisions found in the addresses
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/preview/")
    job.refresh_from_db()
    assert (job.status, job.created, job.failed, job.warnings) == ("done", 6, 0, 0)
    assert _stored("深圳市南山区海通贸易商行")[1] == "zhaolei"
    assert Customer.objects.get(name="成都天府软件股份有限公司").industry == "06"
    result = html.unescape(client.get(f"/imports/{job.pk}/").content.decode())
    assert "Columns not used" in result and "网址、下次联系时间" in result


@pytest.mark.urls("tests.imports.urls")
def test_account_managers_left_to_choose_later_are_listed_after_the_import(staff, users, tmp_path, settings,
                                                                          django_capture_on_commit_callbacks):
    import html

    from django.test import Client

    from kehu.imports.models import ImportJob

    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(users["administrator"])
    with open(EXPORTS / "fxiaoke_customers.csv", "rb") as handle:
        client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "auto"})
    job = ImportJob.objects.get()
    form = {f"column_{index}": field for index, field in enumerate(job.column_map)}
    client.post(f"/imports/{job.pk}/mapping/", {**form, "key": "mobile", "mode": "skip-bad", "kind": "auto",
                                                "default_branch": users["account_manager"].branches.get().pk})
    fields = client.get(f"/imports/{job.pk}/values/").context["form"].fields
    post = {name: fields[name].initial or "" for name in fields if name.startswith("value_")}
    assert client.post(f"/imports/{job.pk}/values/", post).status_code == 302  # 陈静 left "choose later"
    preview = html.unescape(client.get(f"/imports/{job.pk}/preview/").content.decode())
    assert "Unknown account manager “陈静”" in preview and 'class="row-warnings"' in preview
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/preview/")
    job.refresh_from_db()
    assert (job.created, job.failed, job.warnings) == (6, 0, 2)  # rows with warnings: 陈静's two (one 星际采矿 too)
    result = html.unescape(client.get(f"/imports/{job.pk}/").content.decode())
    assert 'id="unmatched-owner"' in result and "陈静 (2)" in result and "星际采矿 (1)" in result


def test_values_not_recognised_keep_the_stored_ones_even_when_empty_cells_clear(staff, tmp_path):
    first = write_csv(tmp_path / "a.csv", [["客户名称", "手机", "负责人", "客户行业", "备注"],
                                           ["王五", "13800138051", "王芳", "制造业", "老客户"]])
    assert kehu_import("customers", first, "--branch", "SH1")[1][-1] == "created 1, updated 0, unchanged 0, failed 0"
    second = write_csv(tmp_path / "b.csv", [["客户名称", "手机", "负责人", "客户行业"],
                                            ["王五", "13800138051", "不认识", "星际采矿"]])
    status, lines = kehu_import("customers", second, "--branch", "SH1", "--clear-empty")
    assert lines[-1] == "created 0, updated 1, unchanged 0, failed 0", lines
    customer = Customer.objects.get()
    assert (customer.owner, customer.industry) == (staff["wangfang"], "C")
    assert customer.notes == "老客户\nIndustry as written in the imported file: 星际采矿"  # added to, not replaced
    status, lines = kehu_import("customers", second, "--branch", "SH1")
    assert lines[-1] == "created 0, updated 0, unchanged 1, failed 0", lines


def test_a_zoho_account_export_as_excel_with_typed_cells(staff, tmp_path):
    """Zoho CRM's account export saved as XLSX: creation times as Excel date cells, phones as numbers."""
    from .conftest import write_xlsx

    path = write_xlsx(tmp_path / "Accounts_2024.xlsx", [
        ["Account Name", "Account Owner", "Account Type", "Industry", "Phone", "Website", "Billing Street",
         "Billing City", "Billing State", "Created Time", "Description"],
        ["Shenzhen Bright Optics Co., Ltd.", "Lei Zhao", "Customer", "Electronics", 13800138061, "bright.example.com",
         "科技园南路1号", "深圳", "广东", dt.datetime(2021, 4, 5, 10, 30), "OEM partner"],
        ["Li Na", "李强", "Prospect", "Banking", 13800138062, "", "建国路88号", "北京", "北京", dt.datetime(2023, 9, 9),
         ""],
    ])
    status, lines = kehu_import("customers", path, "--branch", "SH1")
    assert lines[-1] == "created 2, updated 0, unchanged 0, failed 0", lines
    assert _stored("Shenzhen Bright Optics Co., Ltd.") == (
        "organisation", "zhaolei", "regular", "current", "", "39", dt.date(2021, 4, 5), ("440000", "440300", ""))
    assert _stored("Li Na")[:7] == ("person", "liqiang", "regular", "prospect", "", "66", dt.date(2023, 9, 9))
    assert Customer.objects.get(name="Li Na").mobile == "+8613800138062"
    assert "Columns not used: Website" in lines
