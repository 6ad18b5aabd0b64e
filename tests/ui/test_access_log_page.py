"""The personal-data access log is usable: filters by staff member, customer, action and dates, a search, a CSV export
(itself logged, formula-safe) and field names in words (issue 12 item 7)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import PersonalDataAccess
from kehu.customers.services import personal_data_access_log, personal_data_reveal

from .helpers import page_text

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def logged(users, make_customer):
    """Reveals of two customers by two staff members, an export, and one entry backdated to 1 March 2026."""
    zhang = make_customer("张三", mobile="13800138000")
    li = make_customer("李四", mobile="13900139000")
    personal_data_reveal(customer=zhang, actor=users["credit_officer"], fields=["mobile", "id_number"],
                         reason="核实身份")
    personal_data_reveal(customer=li, actor=users["account_manager"], fields=["email"], reason="寄送合同")
    personal_data_access_log(actor=users["administrator"], action=PersonalDataAccess.Action.EXPORT,
                             fields="mobile,phone", customer=li, reason="=HYPERLINK(\"http://evil\")")
    old = personal_data_access_log(actor=users["account_manager"], action=PersonalDataAccess.Action.LOOKUP,
                                   fields="phone", customer=zhang, reason="来电")
    march = timezone.make_aware(dt.datetime(2026, 3, 1, 10, 0))
    PersonalDataAccess.objects.filter(pk=old.pk).update(accessed_at=march)
    return {"zhang": zhang, "li": li}


def reasons(response) -> list[str]:
    return [entry.reason for entry, _words in response.context["rows"]]


def test_field_names_are_shown_in_words(client, users, logged):
    client.force_login(users["auditor"])
    english = page_text(client.get(reverse("access_log"), headers=ENGLISH))
    assert "mobile, ID number" in english and "id_number" not in english
    chinese = page_text(client.get(reverse("access_log"), headers={"Accept-Language": "zh-hans"}))
    assert "手机、证件号码" in chinese


def test_filters_by_staff_member_customer_action_and_dates(client, users, logged):
    client.force_login(users["auditor"])
    url = reverse("access_log")
    assert reasons(client.get(url, {"user": users["credit_officer"].pk})) == ["核实身份"]
    assert sorted(reasons(client.get(url, {"customer": logged["li"].code}))) == sorted(["寄送合同",
                                                                                        "=HYPERLINK(\"http://evil\")"])
    assert sorted(reasons(client.get(url, {"customer": "张"}))) == ["来电", "核实身份"]
    assert reasons(client.get(url, {"customer": str(logged["zhang"].pk), "action": "lookup"})) == ["来电"]
    assert reasons(client.get(url, {"action": "export"})) == ["=HYPERLINK(\"http://evil\")"]
    assert reasons(client.get(url, {"date_from": "2026-02-01", "date_to": "2026-03-01"})) == ["来电"]
    assert "来电" not in reasons(client.get(url, {"date_from": "2026-03-02"}))


def test_search_over_reason_staff_and_customer(client, users, logged):
    client.force_login(users["auditor"])
    url = reverse("access_log")
    assert reasons(client.get(url, {"q": "合同"})) == ["寄送合同"]
    assert reasons(client.get(url, {"q": "credit"})) == ["核实身份"]  # the staff member's username
    assert sorted(reasons(client.get(url, {"q": "李四"}))) == sorted(["寄送合同", "=HYPERLINK(\"http://evil\")"])
    empty = client.get(url, {"q": "没有这样的理由"}, headers=ENGLISH)
    assert "No entries match these filters." in page_text(empty)


@pytest.mark.parametrize("params", [
    {"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "2026-02-30"},
    {"user": "99999999999999999999999"}, {"user": "-1"}, {"user": "abc"}, {"customer": "9" * 40},
    {"customer": "=cmd|' /C calc'!A0"}, {"action": "drop"}, {"per_page": "100000"}, {"page": "9" * 30},
    {"q": "%_%"}, {"q": "x" * 500},
])
def test_hostile_filters_answer_a_page_never_500(client, users, logged, params):
    client.force_login(users["auditor"])
    response = client.get(reverse("access_log"), params)
    assert response.status_code == 200
    export = client.get(reverse("access_log_export"), params)
    assert export.status_code == 200
    b"".join(export.streaming_content)


def test_export_is_csv_formula_safe_filtered_and_logged(client, users, logged):
    client.force_login(users["auditor"])
    before = PersonalDataAccess.objects.count()
    response = client.get(reverse("access_log_export"), {"customer": logged["li"].code}, headers=ENGLISH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["When", "Staff member"]
    assert len(rows) == 3  # the two entries about 李四
    by_reason = {row[6]: row for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in by_reason  # neutralised: no spreadsheet runs it
    assert by_reason["寄送合同"][5] == "email" and by_reason["寄送合同"][3] == "李四"
    # the export itself is written to the log
    assert PersonalDataAccess.objects.count() == before + 1
    entry = PersonalDataAccess.objects.order_by("-id").first()
    assert (entry.user, entry.action, entry.fields) == (users["auditor"], "export", "access_log")
    page = page_text(client.get(reverse("access_log"), {"action": "export"}, headers=ENGLISH))
    assert "access log" in page


def test_only_readers_of_the_log_may_see_or_export_it(client, users, logged):
    for role in ("marketer", "account_manager", "branch_manager", "service_agent"):
        client.force_login(users[role])
        assert client.get(reverse("access_log")).status_code == 403, role
        assert client.get(reverse("access_log_export")).status_code == 403, role
    assert not PersonalDataAccess.objects.filter(fields="access_log").exists()
    client.logout()
    assert client.get(reverse("access_log_export")).status_code == 302  # to the sign-in page


def test_access_log_queries_do_not_grow_with_entries(client, users, logged, make_customer):
    client.force_login(users["auditor"])
    url = reverse("access_log")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "a"})
    for number in range(15):
        customer = make_customer(f"客户{number}", mobile=f"1370013{number:04d}")
        personal_data_reveal(customer=customer, actor=users["account_manager" if number % 2 else "credit_officer"],
                             fields=["mobile"], reason=f"a{number}")
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"q": "a"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_log_pages_with_a_page_size_choice(client, users, logged, settings):
    settings.KEHU_PAGE_SIZE = 2
    client.force_login(users["auditor"])
    first = client.get(reverse("access_log"), headers=ENGLISH)
    assert len(first.context["rows"]) == 2 and "4 entries" in page_text(first) and "Page 1 of 2" in page_text(first)
    assert len(client.get(reverse("access_log"), {"per_page": "25"}).context["rows"]) == 4


def test_the_360_page_links_auditors_to_the_customers_entries(client, users, logged):
    zhang = logged["zhang"]
    client.force_login(users["auditor"])
    text = client.get(f"/customers/{zhang.pk}/").content.decode()
    link = f'href="{reverse("access_log")}?customer={zhang.pk}"'
    assert link in text
    assert sorted(reasons(client.get(reverse("access_log"), {"customer": zhang.pk}))) == ["来电", "核实身份"]
    client.force_login(users["account_manager"])
    assert link not in client.get(f"/customers/{zhang.pk}/").content.decode()
