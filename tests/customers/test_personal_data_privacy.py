"""Personal data stays where it belongs (issue 11, item 8), through HTTP: the change history, the merge page, searches
by a full identifier, caching of responses, and what each role sees of address and birth date."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

import pytest
from django.test import Client

from kehu.customers.models import PersonalDataAccess
from kehu.customers.services import contact_create, contact_update, customer_update
from tests.api.conftest import ApiClient
from tests.imports.conftest import resident_id

pytestmark = pytest.mark.urls("tests.imports.urls")  # the project's URLs, with /imports/ mounted

ID = resident_id(born="19850315", sequence="246")
BIRTH = dt.date(1985, 3, 15)


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def api_for(user) -> ApiClient:
    from kehu.org.services import api_token_create

    _token, key = api_token_create(user=user, name="tests")
    return ApiClient(key)


def text(response) -> str:
    return html.unescape(response.content.decode())


def assert_not_cacheable(response) -> None:
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private"} <= cache_control, response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


@pytest.fixture
def zhang(make_customer, users):
    return make_customer("张三", code="P1", mobile="13800138000", email="zhangsan@example.com",
                         address="建国路88号5栋1203室", province="北京市", city="北京市", district="朝阳区",
                         person={"id_number": ID, "birth_date": BIRTH}, owner=users["account_manager"])


# ------------------------------------------------------------------------------------------------ change history


def test_history_masks_e_mail_for_everyone_and_address_and_birth_date_by_role(zhang, users, make_customer):
    admin = users["administrator"]
    customer_update(customer=zhang, actor=admin, email="li.new@example.org", address="长安街1号")
    company = make_customer("某某有限公司", kind="organisation", code="O1")
    contact = contact_create(customer=company, actor=admin, name="王五", email="wangwu@example.com")
    contact_update(contact=contact, actor=admin, email="ww@corp.example.com")

    agent = text(client_for(users["service_agent"]).get(f"/customers/{zhang.pk}/"))
    for secret in ("zhangsan@example.com", "li.new@example.org", "建国路88号", "长安街1号", "1985-03-15"):
        assert secret not in agent
    assert "z***@example.com" in agent and "l***@example.org" in agent and "****" in agent
    assert "1985-**-**" in agent  # the profile shows the year of birth only

    manager = text(client_for(users["account_manager"]).get(f"/customers/{zhang.pk}/"))
    assert "li.new@example.org" not in manager and "l***@example.org" in manager  # revealed only on request
    assert "长安街1号" in manager and "建国路88号5栋1203室" in manager and "1985-03-15" in manager

    auditor = text(client_for(users["auditor"]).get(f"/customers/{company.pk}/"))
    assert "wangwu@example.com" not in auditor and "ww@corp.example.com" not in auditor
    assert "w***@example.com" in auditor and "w***@corp.example.com" in auditor


# ------------------------------------------------------------------------------------------------ the merge page


def test_merge_page_masks_personal_data_until_revealed_with_a_reason(make_customer, users):
    keep = make_customer("张三", code="M1", mobile="13800138000", email="a@example.com",
                         person={"id_number": ID})
    other_id = resident_id(born="19850315", sequence="357")
    merge = make_customer("张叁", code="M2", mobile="13900139000", email="b@example.com",
                          person={"id_number": other_id})
    manager = client_for(users["branch_manager"])
    url = f"/customers/merge/?keep={keep.pk}&merge={merge.pk}"
    page = manager.get(url)
    body = text(page)
    assert page.status_code == 200 and "Reveal full numbers" in body
    for secret in ("13800138000", "13900139000", ID, other_id, "a@example.com", "b@example.com"):
        assert secret not in body
    assert "138****8000" in body and "139****9000" in body and f"{ID[:4]}**********{ID[-4:]}" in body
    assert not PersonalDataAccess.objects.exists()

    refused = manager.post(url, {"reveal-reason": ""})
    assert refused.status_code == 200 and "13800138000" not in text(refused)
    assert not PersonalDataAccess.objects.exists()

    revealed = manager.post(url, {"reveal-reason": "核对是否同一人"}, REMOTE_ADDR="10.0.0.9")
    body = text(revealed)
    assert revealed.status_code == 200
    for secret in ("+8613800138000", "+8613900139000", ID, other_id, "a@example.com", "b@example.com"):
        assert secret in body
    assert_not_cacheable(revealed)
    entries = PersonalDataAccess.objects.order_by("customer_id")
    assert [(e.customer, e.action, e.reason, e.ip_address) for e in entries] == [
        (keep, "reveal", "核对是否同一人", "10.0.0.9"), (merge, "reveal", "核对是否同一人", "10.0.0.9")]
    # the reveal merged nothing; the merge itself still works from the masked page
    assert merge.__class__.objects.filter(pk=merge.pk).exists()
    done = manager.post(url, {"reason": "同一人", "choice_name": "keep", "choice_mobile": "keep",
                              "choice_email": "keep", "choice_id_number": "keep", "choice_gender": "keep"})
    assert done.status_code == 302, text(done)


def test_duplicates_list_masks_id_numbers(make_customer, users):
    make_customer("张三", person={"id_number": ID})
    make_customer("张叁", person={"id_number": ID.lower()}, code="D2")
    body = text(client_for(users["administrator"]).get("/customers/duplicates/?by=id_number"))
    assert ID not in body and f"{ID[:4]}**********{ID[-4:]}" in body


# ------------------------------------------------------------------------------------ finding by a full identifier


def test_search_box_by_full_mobile_or_id_is_logged_for_a_service_agent(zhang, users):
    agent = client_for(users["service_agent"])
    found = agent.get("/customers/", {"q": "138 0013 8000"}, REMOTE_ADDR="10.0.0.7")
    assert found.status_code == 200 and "张三" in text(found)
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.customer, entry.action, entry.fields, entry.ip_address) == (
        users["service_agent"], zhang, "search", "phone", "10.0.0.7")
    agent.get("/customers/", {"q": "张"})
    agent.get("/customers/", {"q": "8000"})  # the last 4 digits identify nobody
    agent.get("/customers/", {"q": "13700137000"})  # nobody found: nothing to log
    assert PersonalDataAccess.objects.count() == 1
    agent.get("/customers/", {"q": ID})
    assert PersonalDataAccess.objects.count() == 1  # the search box does not match ID numbers


def test_api_search_by_full_identifier_is_logged(zhang, users):
    api = api_for(users["service_agent"])
    response = api.get("/api/customers", q="+86 138-0013-8000")
    assert response.status_code == 200 and [item["id"] for item in response.json()["items"]] == [zhang.pk]
    assert_not_cacheable(response)
    entry = PersonalDataAccess.objects.get()
    assert (entry.customer, entry.action, entry.fields) == (zhang, "search", "phone")
    assert api.get("/api/customers", q="zhang").status_code == 200
    assert PersonalDataAccess.objects.count() == 1


# --------------------------------------------------------------------------------------------- no-store responses


def test_responses_with_personal_data_are_not_cacheable(zhang, users, tmp_path, settings):
    manager = client_for(users["account_manager"])
    reveal = manager.post(f"/customers/{zhang.pk}/reveal/", {"reason": "客户来电"}, headers={"HX-Request": "true"})
    assert reveal.status_code == 200 and "138 0013 8000" in text(reveal)
    assert_not_cacheable(reveal)
    assert 'hx-history="false"' in text(reveal)  # nor kept in htmx's history snapshot
    api = api_for(users["account_manager"])
    api_reveal = api.post(f"/api/customers/{zhang.pk}/reveal", {"reason": "客户来电"})
    assert api_reveal.status_code == 200 and api_reveal.json()["values"]["mobile"] == "+8613800138000"
    assert_not_cacheable(api_reveal)
    assert_not_cacheable(api.get(f"/api/customers/{zhang.pk}"))
    assert_not_cacheable(api.get("/api/customers/lookup", phone="13800138000"))
    assert_not_cacheable(manager.get(f"/customers/{zhang.pk}/"))
    export = client_for(users["administrator"]).post("/imports/export/", {
        "file_format": "csv", "include_personal_data": "on", "reason": "备份"})
    assert export.status_code == 200 and "+8613800138000" in b"".join(export.streaming_content).decode("utf-8-sig")
    assert_not_cacheable(export)


def test_error_file_download_is_not_cacheable(users, org, tmp_path, settings):
    from kehu.imports.services import import_job_create, import_run
    from tests.imports.conftest import write_csv

    settings.MEDIA_ROOT = tmp_path / "media"
    source = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "手机", "门店"], ["E1", "李四", "13900139000", "XX"]])
    job = import_run(job=import_job_create(target="customers", file_path=source, language="en", key="code",
                                           mode="skip-bad", user=users["administrator"]))
    report = client_for(users["administrator"]).get(f"/imports/{job.pk}/errors.csv")
    assert report.status_code == 200 and "13900139000" in b"".join(report.streaming_content).decode("utf-8-sig")
    assert_not_cacheable(report)


# ---------------------------------------------------------------------------------- address and birth date by role


@pytest.mark.parametrize("role", ["service_agent", "marketer", "auditor"])
def test_api_masks_address_and_birth_date_without_the_personal_data_permission(zhang, users, role):
    body = api_for(users[role]).get(f"/api/customers/{zhang.pk}").json()
    assert body["address"] == "****" and body["district"] == "朝阳区"
    assert body["person"]["birth_date"] is None and body["person"]["birth_year"] == 1985
    assert body["mobile"] == "138****8000"


@pytest.mark.parametrize("role", ["administrator", "branch_manager", "account_manager", "credit_officer"])
def test_api_shows_address_and_birth_date_with_the_personal_data_permission(zhang, users, role):
    body = api_for(users[role]).get(f"/api/customers/{zhang.pk}").json()
    assert body["address"] == "建国路88号5栋1203室"
    assert body["person"]["birth_date"] == "1985-03-15" and body["person"]["birth_year"] == 1985
    assert body["mobile"] == "138****8000"  # phones, e-mail and ID numbers: only through /reveal


def test_export_by_a_role_without_permission_leaves_address_and_birth_date_out(zhang, users):
    response = client_for(users["marketer"]).post("/imports/export/", {"file_format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    content = "\n".join(",".join(row) for row in rows)
    assert "建国路88号" not in content and "1985-03-15" not in content and "朝阳区" in content
    full = client_for(users["administrator"]).post("/imports/export/", {"file_format": "csv"})
    content = b"".join(full.streaming_content).decode("utf-8-sig")
    assert "建国路88号5栋1203室" in content and "1985-03-15" in content and "13800138000" not in content
