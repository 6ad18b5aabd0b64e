"""The lead pages in both languages: list (filters, empty states, pool), the form's duplicate warning with "attach to
this one", the detail with its timeline and actions, scope and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.sales import services
from kehu.sales.models import Lead, LeadEvent

pytestmark = pytest.mark.django_db

FORM = {"kind": "person", "name": "李雷", "mobile": "13912345678", "email": "", "company": "", "credit_code": "",
        "source": "store_visit", "campaign": "", "money": "unknown", "authority": "unknown", "need": "yes",
        "man_notes": "", "timing": "month", "notes": ""}


def test_empty_states_in_both_languages(client, users):
    client.force_login(users["account_manager"])
    page = client.get("/sales/leads/", headers={"Accept-Language": "en"}).content.decode()
    assert "No leads yet." in page and 'href="/sales/leads/new/"' in page
    page = client.get("/sales/leads/", headers={"Accept-Language": "zh-Hans"}).content.decode()
    assert "还没有线索" in page
    page = client.get("/sales/leads/pool/", headers={"Accept-Language": "en"}).content.decode()
    assert "The pool is empty" in page


def test_create_from_the_form_then_the_same_mobile_shows_the_match_and_attaches(client, users):
    client.force_login(users["account_manager"])
    response = client.post("/sales/leads/new/", FORM)
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert response["Location"] == f"/sales/leads/{lead.pk}/"
    again = client.post("/sales/leads/new/", {**FORM, "source": "event", "campaign": "车展"},
                        headers={"Accept-Language": "en"})
    assert again.status_code == 200
    page = again.content.decode()
    assert "This prospect may already be known" in page and f'value="lead:{lead.pk}"' in page
    assert "create the lead anyway" not in page  # same mobile: a seller attaches, only a manager overrides
    assert Lead.objects.count() == 1
    attached = client.post("/sales/leads/new/", {**FORM, "source": "event", "campaign": "车展",
                                                  "attach": f"lead:{lead.pk}"})
    assert attached.status_code == 302 and attached["Location"] == f"/sales/leads/{lead.pk}/"
    assert LeadEvent.objects.filter(lead=lead, kind="attached").count() == 1
    detail = client.get(f"/sales/leads/{lead.pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert "Came in again (source: Event)" in detail and "车展" in detail


def test_a_manager_may_create_over_a_match(client, users):
    services.lead_create(actor=users["account_manager"], name="李雷", mobile="13912345678")
    client.force_login(users["branch_manager"])
    page = client.post("/sales/leads/new/", FORM).content.decode()
    assert 'name="force" value="none"' in page
    assert client.post("/sales/leads/new/", {**FORM, "force": "none"}).status_code == 302
    assert Lead.objects.count() == 2


def test_a_seller_cannot_force_past_a_mobile_match(client, users):
    services.lead_create(actor=users["other_account_manager"], name="李雷", mobile="13912345678")
    client.force_login(users["account_manager"])
    response = client.post("/sales/leads/new/", {**FORM, "force": "none"}, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and Lead.objects.count() == 1
    assert "held by someone else" in response.content.decode()  # a colleague's lead: no name, no owner shown
    assert "李雷 ·" not in response.content.decode()
    assert f"#{Lead.objects.get().pk}" in response.content.decode()


def test_name_and_company_warn_and_may_be_created_anyway(client, users):
    services.lead_create(actor=users["account_manager"], name="张三", mobile="13911110000", company="某某公司")
    client.force_login(users["account_manager"])
    form = {**FORM, "name": "张三", "company": "某某公司", "mobile": "13911110001"}
    page = client.post("/sales/leads/new/", form, headers={"Accept-Language": "en"}).content.decode()
    assert "same name and company" in page and 'name="force" value="identifiers"' in page
    assert client.post("/sales/leads/new/", {**form, "force": "identifiers"}).status_code == 302
    assert Lead.objects.count() == 2


def test_invalid_form_input_answers_422(client, users):
    client.force_login(users["account_manager"])
    response = client.post("/sales/leads/new/", {**FORM, "mobile": "123", "credit_code": "=1+1"})
    assert response.status_code == 422 and not Lead.objects.exists()


def test_detail_status_contact_and_edit_with_a_stale_version(client, users):
    lead = services.lead_create(actor=users["account_manager"], name="李雷", mobile="13912345678")
    client.force_login(users["account_manager"])
    logged = client.post(f"/sales/leads/{lead.pk}/contacts/", {"channel": "phone", "summary": "约到店"})
    assert logged.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted"
    response = client.post(f"/sales/leads/{lead.pk}/status/", {"status": "converted", "version": lead.version},
                           headers={"Accept-Language": "en"}, follow=True)
    assert "cannot become Converted" in response.content.decode()
    assert client.post(f"/sales/leads/{lead.pk}/status/", {"status": "qualified",
                                                          "version": lead.version}).status_code == 302
    page = client.get(f"/sales/leads/{lead.pk}/", headers={"Accept-Language": "zh-Hans"}).content.decode()
    assert "约到店" in page and "线索动态" in page
    stale = client.post(f"/sales/leads/{lead.pk}/edit/", {**FORM, "version": lead.version})
    assert stale.status_code == 409
    lead.refresh_from_db()
    fresh = client.post(f"/sales/leads/{lead.pk}/edit/", {**FORM, "campaign": "秋季", "version": lead.version})
    assert fresh.status_code == 302
    assert Lead.objects.get(pk=lead.pk).campaign == "秋季"


def test_pages_are_scoped(client, users):
    theirs = services.lead_create(actor=users["bj_account_manager"], name="钱北", mobile="13511112222")
    client.force_login(users["account_manager"])
    assert client.get(f"/sales/leads/{theirs.pk}/").status_code == 404
    assert client.post(f"/sales/leads/{theirs.pk}/claim/").status_code == 404
    client.force_login(users["auditor"])
    page = client.get(f"/sales/leads/{theirs.pk}/").content.decode()
    assert "钱北" in page and "/contacts/" not in page
    assert client.get("/sales/leads/new/").status_code == 403


def test_claim_from_the_pool_page(client, users):
    lead = services.lead_create(actor=users["account_manager"], name="李雷", mobile="13912345678")
    services.lead_assign(actor=users["branch_manager"], lead=lead, owner=None)
    client.force_login(users["other_account_manager"])
    page = client.get("/sales/leads/pool/").content.decode()
    assert f'action="/sales/leads/{lead.pk}/claim/"' in page
    assert client.post(f"/sales/leads/{lead.pk}/claim/").status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == users["other_account_manager"]


def test_list_filters_and_query_count(client, users):
    am = users["account_manager"]
    services.lead_create(actor=am, name="客户0", mobile="13912345600", source="event")
    client.force_login(am)
    client.get("/sales/leads/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/sales/leads/").status_code == 200
    for index in range(1, 9):
        services.lead_create(actor=am, name=f"客户{index}", mobile=f"1391234560{index}",
                             source="event" if index % 2 else "phone")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/sales/leads/").content.decode()
    assert len(many) == len(few)
    assert page.count('href="/sales/leads/') >= 9
    filtered = client.get("/sales/leads/", {"source": "phone"}, headers={"Accept-Language": "en"}).content.decode()
    assert "4 leads" in filtered
    assert "No leads match these filters." in client.get("/sales/leads/", {"q": "无此人"},
                                                         headers={"Accept-Language": "en"}).content.decode()
