"""Imports lose no data and obey the rules of the forms and the API (issue 11, items 1 and 7).

Through the real entry points: ``kehu import`` (``call_command``), the import wizard over HTTP and
``PATCH /api/customers/{id}`` with a real token.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from kehu.customers.models import Contact, Customer, OwnershipTransfer, PersonProfile
from kehu.imports.models import ImportJob

from .conftest import errors_of, kehu_import, resident_id, write_csv

pytestmark = pytest.mark.urls("tests.imports.urls")

ID_NUMBER = resident_id(born="19850315", sequence="224")



def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def page_text(response) -> str:
    """The page's text without tags, whitespace runs collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def api_patch(user, customer: Customer, body: dict[str, Any]):
    from kehu.org.services import api_token_create

    _token, key = api_token_create(user=user, name="tests")
    return Client().patch(f"/api/customers/{customer.pk}", data=json.dumps(body), content_type="application/json",
                          headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})


def wizard_upload(client: Client, source: Path) -> ImportJob:
    with open(source, "rb") as handle:
        response = client.post("/imports/new/", {"target": "customers", "file": handle, "encoding": "auto",
                                                 "sheet": ""})
    assert response.status_code == 302, page_text(response)
    return last_job()


@pytest.fixture
def ma(make_customer, users):
    """马敏丽 of store SH1, owned by account manager am1, with a mobile, an e-mail and a resident ID number."""
    return make_customer("马敏丽", code="K1", mobile="13800138000", email="ma@example.com",
                         owner=users["account_manager"], person={"id_number": ID_NUMBER})


# ------------------------------------------------------------------------------------ item 1: no data lost


def test_an_empty_id_cell_keeps_the_stored_id_number_unless_asked_to_clear(ma, users, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "手机号码", "身份证号", "邮箱"],
                                          ["K1", "马敏丽", "13800138000", "", ""]])
    status, lines = kehu_import("customers", path, "--key", "code", "--user", "manager1")
    assert status == 0 and lines[-1] == "created 0, updated 0, unchanged 1, failed 0", lines
    ma.refresh_from_db()
    assert (ma.person.id_number, ma.email, ma.version) == (ID_NUMBER, "ma@example.com", 1)
    # the same file again: still unchanged
    assert kehu_import("customers", path, "--key", "code", "--user", "manager1")[1][-1] == (
        "created 0, updated 0, unchanged 1, failed 0")
    status, lines = kehu_import("customers", path, "--key", "code", "--user", "manager1", "--clear-empty")
    assert status == 0 and lines[-1] == "created 0, updated 1, unchanged 0, failed 0", lines
    assert PersonProfile.objects.get(customer=ma).id_number == ""
    ma.refresh_from_db()
    assert ma.email == ""


def test_an_empty_cell_keeps_a_contacts_stored_value_unless_asked_to_clear(org, make_customer, tmp_path):
    from .conftest import CREDIT_CODE

    company = make_customer("某某公司", kind="organisation", code="O1", organisation={"credit_code": CREDIT_CODE})
    Contact.objects.create(customer=company, name="王经理", mobile="+8613800138000", title="总经理")
    path = write_csv(tmp_path / "c.csv", [["客户编号", "联系人", "手机号码", "职务"], ["O1", "王经理", "", "董事长"]])
    status, lines = kehu_import("contacts", path, "--key", "code", "--user", "manager1")
    assert lines[-1] == "created 0, updated 1, unchanged 0, failed 0", lines
    contact = Contact.objects.get(customer=company, name="王经理")
    assert (contact.mobile, contact.title) == ("+8613800138000", "董事长")
    kehu_import("contacts", path, "--key", "code", "--user", "manager1", "--clear-empty")
    contact.refresh_from_db()
    assert contact.mobile == ""


def test_wizard_preview_shows_old_and_new_values_and_renames_only_when_confirmed(
        ma, users, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(users["branch_manager"])
    source = tmp_path / "c.csv"
    write_csv(source, [["客户编号", "姓名", "手机号码", "地址", "身份证号"],
                       ["K1", "马敏莉", "13900139000", "上海市", ""]])
    job = wizard_upload(client, source)
    body = page_text(client.get(f"/imports/{job.pk}/preview/"))
    assert "Mobile : +8613800138000 → +8613900139000" in body
    assert "Address : — → 上海市" in body
    assert "Name : 马敏丽 → 马敏莉" in body
    assert "ID number" not in body.split("Name changes")[0].split("Address : — → 上海市")[1]  # empty ID: no change
    assert "Name changes" in body and "Row 2: 马敏丽 → 马敏莉" in body
    assert ID_NUMBER in body  # the row's ID number cell shows what stays stored, not the empty cell
    assert "confirm the name changes" in body
    # started without confirming: the row is a problem, nothing of it is stored
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/imports/{job.pk}/preview/").status_code == 302
    job.refresh_from_db()
    assert (job.status, job.updated, job.failed) == ("rejected", 0, 1)  # all-or-nothing by default
    assert "renames this customer from “马敏丽” to “马敏莉”" in errors_of(job)[0][2]
    ma.refresh_from_db()
    assert (ma.name, ma.mobile, ma.person.id_number) == ("马敏丽", "+8613800138000", ID_NUMBER)
    # confirmed: renamed, and the empty ID cell still keeps the stored ID number
    job = wizard_upload(client, source)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/preview/", {"accept_name_changes": "on"})
    job.refresh_from_db()
    assert (job.status, job.updated, job.failed) == ("done", 1, 0)
    ma.refresh_from_db()
    assert (ma.name, ma.mobile, ma.address, ma.person.id_number) == ("马敏莉", "+8613900139000", "上海市", ID_NUMBER)


def test_wizard_mapping_option_makes_empty_cells_clear_stored_values(ma, users, tmp_path, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(users["branch_manager"])
    job = wizard_upload(client, write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "身份证号"], ["K1", "马敏丽", ""]]))
    response = client.post(f"/imports/{job.pk}/mapping/", {
        "column_0": "code", "column_1": "name", "column_2": "id_number", "key": "code", "mode": "skip-bad",
        "clear_empty": "on",
    })
    assert response.status_code == 302
    body = page_text(client.get(f"/imports/{job.pk}/preview/"))
    assert "Empty cells clear the stored values" in body
    assert f"ID number : {ID_NUMBER} → —" in body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/preview/")
    assert PersonProfile.objects.get(customer=ma).id_number == ""


def test_preview_masks_phones_and_id_numbers_for_users_without_personal_data_permission(
        ma, users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    Group.objects.get(name="branch_manager").permissions.remove(
        Permission.objects.get(content_type__app_label="customers", codename="view_personal_data"))
    client = client_for(users["branch_manager"])
    job = wizard_upload(client, write_csv(tmp_path / "c.csv", [["客户编号", "手机号码", "身份证号"],
                                                               ["K1", "13900139000", resident_id()]]))
    body = page_text(client.get(f"/imports/{job.pk}/preview/"))
    assert "Mobile : 138****8000 → 139****9000" in body
    assert f"ID number : {ID_NUMBER[:4]}" in body and ID_NUMBER not in body and resident_id() not in body
    assert "13800138000" not in body and "13900139000" not in body


# --------------------------------------------------------------- item 7: the rules of the forms and the API


def test_account_manager_without_transfer_permission_cannot_change_owner_by_import_or_api(ma, users, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "客户经理"], ["K1", "马敏丽", "am2"]])
    status, lines = kehu_import("customers", path, "--key", "code", "--user", "am1", "--mode", "skip-bad")
    assert lines[-1] == "created 0, updated 0, unchanged 0, failed 1", lines
    [(row, column, reason)] = errors_of(last_job())
    assert (row, column) == (2, "客户经理") and "permission to transfer customers" in reason
    response = api_patch(users["account_manager"], ma, {"version": ma.version,
                                                         "owner_id": users["other_account_manager"].pk})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied" and "permission to transfer customers" in error["message"]
    ma.refresh_from_db()
    assert (ma.owner, ma.version) == (users["account_manager"], 1)
    assert not OwnershipTransfer.objects.exists()
    # the same owner as stored is no change and needs no permission
    same = write_csv(tmp_path / "same.csv", [["客户编号", "客户经理"], ["K1", "am1"]])
    status, lines = kehu_import("customers", same, "--key", "code", "--user", "am1")
    assert lines[-1] == "created 0, updated 0, unchanged 1, failed 0", lines


def test_a_transfer_by_import_or_api_is_recorded_with_its_reason(ma, users, tmp_path, org):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "客户经理"], ["K1", "am2"]])
    status, lines = kehu_import("customers", path, "--key", "code", "--user", "manager1")
    assert lines[-1] == "created 0, updated 1, unchanged 0, failed 0", lines
    job = last_job()
    ma.refresh_from_db()
    assert ma.owner == users["other_account_manager"]
    transfer = OwnershipTransfer.objects.get(customer=ma)
    assert (transfer.from_owner, transfer.to_owner, transfer.transferred_by, transfer.reason) == (
        users["account_manager"], users["other_account_manager"], users["branch_manager"], f"Import #{job.pk}")
    assert (transfer.from_branch, transfer.to_branch) == (org["sh1"], None)
    response = api_patch(users["branch_manager"], ma, {"version": ma.version, "owner_id": users["account_manager"].pk,
                                                       "transfer_reason": "客户要求更换客户经理"})
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == users["account_manager"].pk
    latest = OwnershipTransfer.objects.filter(customer=ma).order_by("-pk").first()
    assert (latest.from_owner, latest.to_owner, latest.reason) == (
        users["other_account_manager"], users["account_manager"], "客户要求更换客户经理")
    ma.refresh_from_db()
    api_patch(users["branch_manager"], ma, {"version": ma.version, "owner_id": users["other_account_manager"].pk})
    assert OwnershipTransfer.objects.filter(customer=ma).order_by("-pk").first().reason == "Changed through the API"


def test_owners_in_another_branch_are_refused(ma, users, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店", "客户经理"],
                                          ["K1", "马敏丽", "SH1", "bjam1"],
                                          ["K2", "新客户", "SH1", "bjam1"]])
    status, lines = kehu_import("customers", path, "--key", "code", "--user", "manager1", "--mode", "skip-bad")
    assert lines[-1] == "created 0, updated 0, unchanged 0, failed 2", lines
    assert errors_of(last_job()) == [
        (2, "客户经理", "You may only give customers to staff of your own branches."),
        (3, "客户经理", "You may only give customers to staff of your own branches."),
    ]
    assert not Customer.objects.filter(code="K2").exists()
    ma.refresh_from_db()
    assert ma.owner == users["account_manager"]
    response = api_patch(users["branch_manager"], ma, {"version": ma.version,
                                                       "owner_id": users["bj_account_manager"].pk})
    assert response.status_code == 422 and "owner_id" in response.json()["error"]["fields"]
    assert not OwnershipTransfer.objects.exists()


@pytest.fixture
def hidden(make_customer, users, org):
    """A customer of store BJ1 (region North), outside the scope of the staff of SH1."""
    return make_customer("北京客户", branch=org["bj1"], code="BJ-1", mobile="13700137000",
                         owner=users["bj_account_manager"], person={"id_number": ID_NUMBER})


def test_a_customer_out_of_scope_reads_as_an_unknown_customer(hidden, users, tmp_path):
    # keyed by mobile, without a name: the hidden customer's row fails exactly as an unknown customer's does (a
    # matched customer would keep its stored name)
    rows = [["手机号码", "姓名", "门店"], ["13700137000", "", "SH1"], ["13600136000", "", "SH1"]]
    kehu_import("customers", write_csv(tmp_path / "a.csv", rows), "--key", "mobile", "--user", "am1",
                "--mode", "skip-bad")
    [(_row_a, column_a, reason_a), (_row_b, column_b, reason_b)] = errors_of(last_job())
    assert (column_a, reason_a) == (column_b, reason_b) == ("姓名", "A name is required.")
    # with a branch: both are new customers of the importer's store; the hidden one is untouched
    rows = [["手机号码", "姓名", "门店", "身份证号"], ["13700137000", "王五", "SH1", ""],
            ["13600136000", "赵六", "SH1", ""]]
    status, lines = kehu_import("customers", write_csv(tmp_path / "b.csv", rows), "--key", "mobile", "--user", "am1")
    assert lines[-1] == "created 2, updated 0, unchanged 0, failed 0", lines
    assert not any("BJ-1" in line or "look like" in line for line in lines)
    hidden.refresh_from_db()
    assert (hidden.name, hidden.version, hidden.owner) == ("北京客户", 1, users["bj_account_manager"])
    # the managers who see both find the pair on the duplicates page (not a silent duplicate)
    assert Customer.objects.filter(mobile="+8613700137000").count() == 2
    # keyed by code: the hidden customer's code cannot be taken, and the message does not say why
    rows = [["客户编号", "姓名", "门店"], ["BJ-1", "王五", "SH1"], ["NEW-1", "赵六", "SH1"]]
    status, lines = kehu_import("customers", write_csv(tmp_path / "c.csv", rows), "--key", "code", "--user", "am1",
                                "--mode", "skip-bad")
    assert lines[-1] == "created 1, updated 0, unchanged 0, failed 1", lines
    assert errors_of(last_job()) == [
        (2, "客户编号", "The code BJ-1 is not available for a new customer: choose another code.")]
    hidden.refresh_from_db()
    assert (hidden.name, hidden.version) == ("北京客户", 1)


def test_likely_duplicate_warnings_name_only_customers_the_importer_may_see(hidden, users, tmp_path):
    rows = [["客户编号", "姓名", "门店", "身份证号"], ["NEW-2", "王五", "SH1", ID_NUMBER]]
    status, lines = kehu_import("customers", write_csv(tmp_path / "a.csv", rows), "--key", "code", "--user", "am1")
    assert lines[-1] == "created 1, updated 0, unchanged 0, failed 0", lines
    assert not last_job().row_errors.filter(is_warning=True).exists()
    rows = [["客户编号", "姓名", "门店", "身份证号"], ["NEW-3", "王五", "SH1", ID_NUMBER]]
    kehu_import("customers", write_csv(tmp_path / "b.csv", rows), "--key", "code", "--user", "admin1")
    assert "BJ-1" in last_job().row_errors.get(is_warning=True).reason  # the administrator sees both


def test_a_key_shared_with_a_customer_out_of_scope_matches_only_the_visible_one(hidden, make_customer, users,
                                                                                tmp_path):
    mine = make_customer("王五", code="K5", mobile="13700137000", owner=users["account_manager"])
    path = write_csv(tmp_path / "a.csv", [["手机号码", "地址"], ["13700137000", "上海市"]])
    status, lines = kehu_import("customers", path, "--key", "mobile", "--user", "am1")
    assert lines[-1] == "created 0, updated 1, unchanged 0, failed 0", lines  # not "several customers"
    mine.refresh_from_db()
    hidden.refresh_from_db()
    assert (mine.address, hidden.address, hidden.version) == ("上海市", "", 1)
    # the administrator sees both: ambiguous
    status, lines = kehu_import("customers", path, "--key", "mobile", "--user", "admin1", "--mode", "skip-bad")
    assert "Several stored customers" in errors_of(last_job())[0][2]


def test_contacts_of_a_customer_out_of_scope_read_as_of_an_unknown_customer(org, users, make_customer, tmp_path):
    from .conftest import CREDIT_CODE

    make_customer("北京公司", kind="organisation", code="BJ-O", branch=org["bj1"],
                  organisation={"credit_code": CREDIT_CODE})
    path = write_csv(tmp_path / "c.csv", [["客户编号", "联系人"], ["BJ-O", "王经理"], ["NO-SUCH", "李经理"]])
    kehu_import("contacts", path, "--key", "code", "--user", "manager1", "--mode", "skip-bad")
    assert [reason for _row, _column, reason in errors_of(last_job())] == [
        "Unknown customer “BJ-O”.", "Unknown customer “NO-SUCH”."]
    assert not Contact.objects.exists()


def test_an_empty_cell_keeps_a_purchases_stored_margin_unless_asked_to_clear(org, make_customer, tmp_path):
    from decimal import Decimal

    from kehu.purchases.models import Transaction

    make_customer("张三", code="K1")
    header = ["订单号", "客户编号", "交易时间", "金额", "毛利"]
    kehu_import("transactions", write_csv(tmp_path / "a.csv", [header, ["O1", "K1", "2025-01-01", "10", "3"]]),
                "--key", "code", "--user", "manager1")
    blank = write_csv(tmp_path / "b.csv", [header, ["O1", "K1", "2025-01-01", "12", ""]])
    status, lines = kehu_import("transactions", blank, "--key", "code", "--user", "manager1")
    assert lines[-1] == "created 0, updated 1, unchanged 0, failed 0", lines
    assert (Transaction.objects.get().amount, Transaction.objects.get().margin) == (Decimal("12.00"), Decimal("3.00"))
    kehu_import("transactions", blank, "--key", "code", "--user", "manager1", "--clear-empty")
    assert Transaction.objects.get().margin == Decimal("0.00")
