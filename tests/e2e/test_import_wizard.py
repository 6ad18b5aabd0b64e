"""Browser test of the import wizard: upload a small XLSX, adjust a column, preview, import, see the result."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.imports.urls")]

PASSWORD = "Kehu-test-pass-1"


def test_import_wizard_on_a_small_xlsx(live_server, page, users, org, tmp_path, settings):
    from playwright.sync_api import expect

    from kehu.customers.models import Customer
    from kehu.imports.models import ImportJob
    from tests.imports.conftest import write_xlsx

    settings.MEDIA_ROOT = tmp_path / "media"
    source = write_xlsx(tmp_path / "门店客户.xlsx", [
        ["卡号", "姓名", "手机号码", "身份证号", "门店"],
        ["V001", "张三", 13800138000, "11010519491231002X", "SH1"],
        ["V002", "李四", 13900139000.0, 110105194912310020, "SH1"],
        ["V003", "王五", 13700137000, "", "上海二店"],
    ], sheet="客户")

    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", users["branch_manager"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form-stack button[type=submit]")
    page.goto(live_server.url + "/imports/")
    page.click(".page-head a[href='/imports/new/']")

    page.select_option("#id_target", "customers")
    page.set_input_files("#id_file", str(source))
    page.click("#upload-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    mapping = page.locator("#mapping-form")
    expect(mapping).to_contain_text("卡号")
    expect(mapping).to_contain_text("13800138000")  # first values of each column, as in the file
    # 卡号 is not a header Kehu knows: map it to the customer code by hand
    page.select_option("#id_column_0", "code")
    page.select_option("#id_key", "code")
    page.check("input[name=mode][value=skip-bad]")
    page.click("#mapping-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/imports/\d+/preview/$"))
    table = page.locator("#preview-table")
    expect(table).to_contain_text("V001")
    expect(table).to_contain_text("上海二店")
    expect(page.locator("#preview-table .problems")).to_contain_text("身份证号")
    assert Customer.objects.count() == 0
    page.click("#start-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator("#count-created")).to_have_text("2")
    expect(page.locator("#count-failed")).to_have_text("1")
    expect(page.locator("#error-table")).to_contain_text("身份证号")
    expect(page.locator("#errors-xlsx")).to_be_visible()
    with page.expect_download() as download_info:
        page.click("#errors-csv")
    report = download_info.value.path().read_bytes().decode("utf-8-sig")
    assert report.splitlines()[0].startswith("卡号,姓名,手机号码,身份证号,门店,")
    assert "V002" in report and "V001" not in report

    job = ImportJob.objects.get()
    assert (job.status, job.created, job.failed) == ("done", 2, 1)
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["V001", "V003"]
    assert Customer.objects.get(code="V001").mobile == "+8613800138000"
