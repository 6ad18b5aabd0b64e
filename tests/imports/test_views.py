"""The import wizard, duplicates, merge and export pages through the Django test client."""

from __future__ import annotations

import html
import io

import pytest
from django.test import Client

from kehu.customers.models import Customer, PersonalDataAccess
from kehu.imports.models import ImportJob, ImportMapping

from .conftest import write_csv, write_xlsx

pytestmark = pytest.mark.urls("tests.imports.urls")


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_wizard_upload_mapping_preview_run_and_error_report(tmp_path, users, org, settings,
                                                            django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(users["branch_manager"])
    source = write_xlsx(tmp_path / "客户.xlsx", [
        ["卡号", "姓名", "手机", "门店"],
        ["W1", "张三", 13800138000, "SH1"],
        ["W2", "李四", 12345, "SH1"],
    ])
    with open(source, "rb") as handle:
        response = client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "auto",
                                                 "sheet": ""})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "13800138000" in text(page)
    assert job.column_map == ["", "name", "mobile", "branch"]  # 卡号 is not a known header
    response = client.post(f"/imports/{job.pk}/mapping/", {
        "column_0": "code", "column_1": "name", "column_2": "mobile", "column_3": "branch", "key": "code",
        "mode": "skip-bad", "save_as": "会员系统",
    })
    assert response.status_code == 302, text(response)
    assert ImportMapping.objects.get().columns == {"卡号": "code", "姓名": "name", "手机": "mobile", "门店": "branch"}
    preview = client.get(f"/imports/{job.pk}/preview/")
    body = text(preview)
    assert "+8613800138000" in body and "“12345”: This phone number does not exist" in body
    assert not Customer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/preview/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created, job.failed) == ("done", 1, 1)  # eager task without a broker
    page = client.get(f"/imports/{job.pk}/")
    assert "Download rows with problems" in text(page)
    partial = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert 'id="import-progress"' in text(partial) and "hx-get" not in text(partial)
    report = client.get(f"/imports/{job.pk}/errors.csv")
    assert report.status_code == 200
    rows = read_report_bytes(b"".join(report.streaming_content))
    assert rows[0] == ["卡号", "姓名", "手机", "门店", "row", "error"]
    assert rows[1][:2] == ["W2", "李四"] and rows[1][4] == "3"


def read_report_bytes(data: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_mapping_refuses_a_field_mapped_twice_and_a_missing_key(tmp_path, users, org, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(users["administrator"])
    path = write_csv(tmp_path / "c.csv", [["编号", "姓名"], ["K1", "张三"]])
    with open(path, "rb") as handle:
        client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "auto"})
    job = ImportJob.objects.get()
    response = client.post(f"/imports/{job.pk}/mapping/", {"column_0": "name", "column_1": "name", "key": "code",
                                                           "mode": "skip-bad"})
    assert response.status_code == 200 and "already mapped" in text(response)
    response = client.post(f"/imports/{job.pk}/mapping/", {"column_0": "", "column_1": "name", "key": "code",
                                                           "mode": "skip-bad"})
    assert response.status_code == 200 and "key column" in text(response)


def test_unreadable_upload_is_reported_on_the_form(tmp_path, users, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(users["administrator"])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"garbage")
    with open(bad, "rb") as handle:
        response = client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "auto"})
    assert response.status_code == 200
    assert "not a spreadsheet" in text(response)
    assert not ImportJob.objects.exists()


def test_import_pages_permissions(tmp_path, users, org, run_import):
    assert client_for(users["auditor"]).get("/imports/new/").status_code == 403
    job = run_import(write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店"], ["K1", "张三", "SH1"]]),
                     key="code", user=users["account_manager"])
    assert client_for(users["account_manager"]).get(f"/imports/{job.pk}/").status_code == 200
    assert client_for(users["other_account_manager"]).get(f"/imports/{job.pk}/").status_code == 404
    assert client_for(users["administrator"]).get(f"/imports/{job.pk}/").status_code == 200


def test_job_list_query_count(tmp_path, users, org, run_import, django_assert_max_num_queries):
    for index in range(5):
        run_import(write_csv(tmp_path / f"c{index}.csv", [["客户编号", "姓名", "门店"], [f"K{index}", "张三", "SH1"]]),
                   key="code", user=users["administrator"])
    client = client_for(users["administrator"])
    with django_assert_max_num_queries(12):
        response = client.get("/imports/")
    assert response.status_code == 200 and text(response).count("c4.csv") == 1


def test_old_duplicates_and_merge_addresses_lead_to_the_customers_pages(users):
    manager = client_for(users["branch_manager"])
    moved = manager.get("/imports/duplicates/?by=mobile")
    assert moved.status_code == 301 and moved["Location"] == "/customers/duplicates/?by=mobile"
    moved = manager.get("/imports/merge/?keep=1&merge=2")
    assert moved.status_code == 301 and moved["Location"] == "/customers/merge/?keep=1&merge=2"


def test_export_of_the_filtered_list(make_customer, users, org):
    make_customer("张三", mobile="13800138000", lifecycle_status="current")
    make_customer("李四", mobile="13900139000")
    marketer = client_for(users["marketer"])
    page = marketer.get("/imports/export/?lifecycle_status=current")
    assert page.status_code == 200 and "include_personal_data" not in text(page)
    response = marketer.post("/imports/export/?lifecycle_status=current", {"file_format": "csv"})
    assert response.status_code == 200 and response["X-Kehu-Exported"] == "1"
    rows = read_report_bytes(b"".join(response.streaming_content))
    assert [row[2] for row in rows[1:]] == ["张三"] and rows[1][3] == "138****8000"
    manager = client_for(users["branch_manager"])
    refused = manager.post("/imports/export/", {"file_format": "xlsx", "include_personal_data": "on"})
    assert refused.status_code == 200 and "Give a reason" in text(refused)
    response = manager.post("/imports/export/", {"file_format": "xlsx", "include_personal_data": "on",
                                                 "reason": "年度回访"})
    assert response.status_code == 200 and response["X-Kehu-Exported"] == "2"
    assert PersonalDataAccess.objects.filter(user=users["branch_manager"], reason="年度回访").count() == 2


def test_csv_upload_in_gbk_through_the_wizard(tmp_path, users, org, settings, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(users["administrator"])
    path = write_csv(tmp_path / "gbk.csv", [["客户编号", "姓名", "门店"], ["G1", "𠮷田", "SH1"]], encoding="gb18030")
    with open(path, "rb") as handle:
        response = client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "gbk"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.detected_encoding == "gb18030"
    client.post(f"/imports/{job.pk}/mapping/", {"column_0": "code", "column_1": "name", "column_2": "branch",
                                                "key": "code", "mode": "all-or-nothing"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/preview/")
    assert Customer.objects.get(code="G1").name == "𠮷田"
