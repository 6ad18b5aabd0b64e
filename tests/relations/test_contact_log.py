"""The contact log through the 360 page, the API and its scope; attachments stored and served safely."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.customers.models import Activity
from kehu.relations.models import ContactAttachment, ContactRecord
from kehu.work.models import Task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ENGLISH = {"Accept-Language": "en"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _form(**changes):
    data = {"channel": "visit", "direction": "outbound", "occurred_at": "2026-01-05T10:30", "duration_minutes": "45",
            "summary": "上门拜访，介绍新产品", "feedback": "对价格有顾虑", "satisfaction": "4",
            "next_step": "寄送报价单", "next_step_due": "2026-01-12"}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_log_a_contact_from_the_360_page_in_two_clicks(client, users, customers):
    customer = customers["mine"]
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    form_url = f"/relations/customers/{customer.pk}/contacts/new/"
    assert f'href="{form_url}"' in page  # click 1: the panel's button
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, _form())  # click 2: save
    assert response.status_code == 302
    record = ContactRecord.objects.get()
    assert (record.channel, record.duration_minutes, record.satisfaction, record.staff) == (
        "visit", 45, 4, users["account_manager"])
    task = record.next_task
    assert (task.title, task.due_date, task.owner, task.source) == (
        "寄送报价单", dt.date(2026, 1, 12), users["account_manager"], record)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "上门拜访，介绍新产品" in page and "寄送报价单" in page
    assert list(Activity.objects.filter(customer=customer, kind__in=["contact", "task"])
                .order_by("occurred_at", "id").values_list("kind", flat=True)) == ["contact", "task"]


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [
    ("other_account_manager", 403),  # same branch, not their customer
    ("auditor", 403),  # read only
    ("bj_account_manager", 404),  # another branch: the customer does not exist for them
    ("branch_manager", 200),  # their branches
    ("service_agent", 200),  # agents log the calls they take
])
def test_who_may_log_contacts(client, users, customers, who, status):
    client.force_login(users[who])
    url = f"/relations/customers/{customers['mine'].pk}/contacts/new/"
    assert client.get(url).status_code == status
    response = client.post(url, _form(next_step="", next_step_due=""))
    assert response.status_code == (302 if status == 200 else status)
    assert ContactRecord.objects.count() == (1 if status == 200 else 0)


@pytest.mark.django_db
def test_attachments_are_checked_and_served_only_within_the_customer_scope(client, users, customers, settings):
    customer = customers["mine"]
    client.force_login(users["account_manager"])
    url = f"/relations/customers/{customer.pk}/contacts/new/"
    response = client.post(url, {**_form(), "attachments": [SimpleUploadedFile("纪要.pdf", PDF, "application/pdf"),
                                                      SimpleUploadedFile("照片.png", PNG, "image/png")]})
    assert response.status_code == 302
    attachment = ContactAttachment.objects.get(name="纪要.pdf")
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert "纪要" not in attachment.file.name and attachment.file.name.startswith("contacts/")

    download = client.get(f"/relations/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
    client.force_login(users["branch_manager"])
    assert client.get(f"/relations/attachments/{attachment.pk}/").status_code == 200
    client.force_login(users["bj_account_manager"])
    assert client.get(f"/relations/attachments/{attachment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/relations/attachments/{attachment.pk}/").status_code == 302  # to the login page


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, message", [
    ("invoice.pdf", b"MZ\x90\x00 this is a program", "not accepted"),  # a program named .pdf
    ("photo.exe", PNG, "not accepted"),  # a picture under a program's name
    ("page.html", b"<script>alert(1)</script>", "not accepted"),
    ("notes.txt", b"\x00\x01\x02binary", "not accepted"),
])
def test_attachments_of_the_wrong_type_are_refused(client, users, customers, name, content, message):
    client.force_login(users["account_manager"])
    url = f"/relations/customers/{customers['mine'].pk}/contacts/new/"
    response = client.post(url, {**_form(), "attachments": [SimpleUploadedFile(name, content)]}, headers=ENGLISH)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ContactRecord.objects.exists() and not Task.objects.exists()


@pytest.mark.django_db
def test_attachments_over_the_size_limit_are_refused(client, users, customers, settings):
    settings.KEHU_ATTACHMENT_MAX_MB = 1
    client.force_login(users["account_manager"])
    big = SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 1))
    response = client.post(f"/relations/customers/{customers['mine'].pk}/contacts/new/",
                           {**_form(), "attachments": [big]}, headers=ENGLISH)
    assert response.status_code == 422 and "larger than 1 MB" in response.content.decode()
    assert not ContactRecord.objects.exists()


@pytest.mark.django_db
def test_api_logs_and_lists_contacts_within_scope(api_as, users, customers):
    api = api_as("account_manager")
    created = api.post("/api/contacts-log", {
        "customer_id": customers["mine"].pk, "channel": "phone", "direction": "inbound",
        "occurred_at": "2026-02-01T09:00:00+08:00", "summary": "客户来电咨询", "satisfaction": 5,
        "next_step": "回电确认", "next_step_due": "2026-02-03", "external_ref": "CALL-1"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["channel"], body["direction"], body["staff"]["username"]) == ("phone", "inbound", "am1")
    assert Task.objects.get(pk=body["next_task_id"]).kind == "call"
    assert api.post("/api/contacts-log", {"customer_id": customers["mine"].pk, "channel": "phone",
                                          "summary": "重复", "external_ref": "CALL-1"}).status_code == 422
    api_as("bj_account_manager").post("/api/contacts-log", {
        "customer_id": customers["beijing"].pk, "channel": "sms", "summary": "北京短信"})
    assert [item["summary"] for item in api.get("/api/contacts-log").json()["items"]] == ["客户来电咨询"]
    assert api.get("/api/contacts-log", customer_id=customers["beijing"].pk).status_code == 404
    everything = api_as("auditor").get("/api/contacts-log").json()
    assert everything["count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("changes, field", [
    ({"satisfaction": 9}, "satisfaction"),
    ({"occurred_at": "9999-12-31T00:00:00"}, "occurred_at"),
    ({"occurred_at": "0001-01-01T00:00:00"}, "occurred_at"),
    ({"summary": "a\u0000b"}, "summary"),
    ({"channel": "telepathy"}, "channel"),
    ({"duration_minutes": 2**40}, "duration_minutes"),
    ({"next_step": "x", "next_step_due": "9999-01-01"}, "next_step_due"),
    ({"staff_id": 2**62}, "staff_id"),
    ({"summary": ""}, "summary"),
])
def test_hostile_contact_input_answers_422(api_as, customers, changes, field):
    body = {"customer_id": customers["mine"].pk, "channel": "phone", "summary": "ok", **changes}
    response = api_as("account_manager").post("/api/contacts-log", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not ContactRecord.objects.exists()


@pytest.mark.django_db
def test_other_branch_customer_reads_as_absent_in_the_api(api_as, customers):
    response = api_as("account_manager").post("/api/contacts-log", {
        "customer_id": customers["beijing"].pk, "channel": "phone", "summary": "x"})
    assert response.status_code == 404
    forbidden = api_as("account_manager").post("/api/contacts-log", {
        "customer_id": customers["colleague"].pk, "channel": "phone", "summary": "x"})
    assert forbidden.status_code == 403
    assert not ContactRecord.objects.exists()


@pytest.mark.django_db
def test_timeline_shows_contacts_newest_first_with_a_constant_number_of_queries(
        api_as, users, customers, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.relations.services import contact_log

    customer = customers["mine"]
    moments = [dt.datetime(2026, 1, day, 10, tzinfo=dt.UTC) for day in (3, 1, 2)]
    for moment, channel in zip(moments, ["gift", "event", "phone"], strict=True):
        contact_log(actor=users["account_manager"], customer=customer, channel=channel, summary=channel,
                    occurred_at=moment)
    api = api_as("account_manager")
    url = f"/api/customers/{customer.pk}/timeline"
    api.get(url)
    with CaptureQueriesContext(connection) as few:
        items = [item for item in api.get(url).json()["items"] if item["kind"] == "contact"]
    assert len(items) == 3
    assert [item["data"]["channel"] for item in items] == ["gift", "phone", "event"]
    assert "Gift" in items[0]["title"]
    for day in range(4, 14):
        contact_log(actor=users["account_manager"], customer=customer, channel="sms", summary=str(day),
                    occurred_at=dt.datetime(2026, 1, day, tzinfo=dt.UTC))
    with CaptureQueriesContext(connection) as many:
        assert len([item for item in api.get(url).json()["items"] if item["kind"] == "contact"]) == 13
    assert len(many.captured_queries) == len(few.captured_queries)
