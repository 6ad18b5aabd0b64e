"""Converting a lead through ``POST /api/leads/{id}/convert`` and the conversion page: a new customer or a link to a
match (mobile, e-mail, credit code, name and company), contacts copied to the customer's log, open tasks and
opportunities re-pointed, the lead's history on the customer's timeline; refusals (already converted, disqualified,
not yours, another branch's lead, stale version, duplicate on create) and hostile input."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.customers.models import Activity, Customer
from kehu.relations.models import ContactRecord
from kehu.sales import services as lead_services
from kehu.sales.models import Lead, LeadConversion, LeadEvent, Opportunity
from kehu.work.models import Task

CREDIT_CODE = "91110000600037341L"
pytestmark = pytest.mark.django_db


def _error(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


@pytest.fixture
def worked_lead(users, today):
    """am1's lead with two contacts (the second with a next step: an open follow-up task) and a status change."""
    actor = users["account_manager"]
    lead = lead_services.lead_create(actor=actor, name="韩梅梅", mobile="13911112222", email="meimei@example.com",
                                     company="远景贸易", source="exhibition", notes="展会上认识")
    lead_services.lead_contact_log(actor=actor, lead=lead, channel="phone", summary="首次电话",
                                   occurred_at=lead.created_at + dt.timedelta(minutes=5))
    lead_services.lead_contact_log(actor=actor, lead=lead, channel="meeting", summary="面谈需求",
                                   occurred_at=lead.created_at + dt.timedelta(minutes=10), next_step="寄送报价",
                                   next_step_due=today + dt.timedelta(days=3))
    lead.refresh_from_db()
    lead = lead_services.lead_transition(actor=actor, lead=lead, status="qualified", expected_version=lead.version)
    return Lead.objects.get(pk=lead.pk)


def test_convert_creating_a_customer_moves_contacts_tasks_and_history(api_as, users, worked_lead):
    task = Task.objects.get(kind="lead_follow_up", source_id=worked_lead.pk)
    assert task.customer_id is None
    events = LeadEvent.objects.filter(lead=worked_lead).exclude(kind="contact").count()

    response = api_as("account_manager").post(f"/api/leads/{worked_lead.pk}/convert",
                                              {"version": worked_lead.version, "create": True})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] is True and body["contacts_copied"] == 2 and body["tasks_moved"] == 1
    customer = Customer.objects.get(pk=body["customer_id"])
    assert (customer.name, customer.mobile, customer.email, customer.kind) == (
        "韩梅梅", "+8613911112222", "meimei@example.com", "person")
    assert customer.person.employer == "远景贸易"
    assert customer.owner_id == users["account_manager"].pk and customer.branch_id == worked_lead.branch_id
    lead = Lead.objects.get(pk=worked_lead.pk)
    assert lead.status == "converted" and lead.version > worked_lead.version
    assert LeadConversion.objects.get(lead=lead).customer_id == customer.pk
    records = list(ContactRecord.objects.filter(customer=customer).order_by("occurred_at")
                   .values_list("channel", "summary"))
    assert records == [("phone", "首次电话"), ("visit", "面谈需求")]
    task.refresh_from_db()
    assert task.customer_id == customer.pk and task.status == "open"
    copied = Activity.objects.filter(customer=customer, kind="lead")
    assert copied.count() == events + 1  # every non-contact event, and the conversion
    assert copied.filter(data__event="converted").count() == 1
    assert Activity.objects.filter(customer=customer, kind="contact").count() == 2
    # the customer's timeline reads the lead's history in the reader's language
    timeline = api_as("account_manager").get(f"/api/customers/{customer.pk}/timeline", limit=50).json()
    titles = " | ".join(item["title"] for item in timeline["items"])
    assert "Converted from lead 韩梅梅" in titles and "Lead 韩梅梅: Lead created (source: Exhibition)" in titles
    zh = api_as("account_manager", language="zh-hans").get(f"/api/customers/{customer.pk}/timeline", limit=50)
    zh_titles = " | ".join(item["title"] for item in zh.json()["items"])
    assert "韩梅梅" in zh_titles and "Converted from lead" not in zh_titles


def test_convert_links_to_a_customer_matched_by_mobile(api_as, users, make_customer, worked_lead):
    known = make_customer("韩梅", mobile="13911112222", owner=users["account_manager"])
    api = api_as("account_manager")
    matches = api.get(f"/api/leads/{worked_lead.pk}/customer-matches").json()
    assert [(match["id"], match["reasons"], match["visible"]) for match in matches] == [
        (known.pk, ["mobile"], True)]
    refused = api.post(f"/api/leads/{worked_lead.pk}/convert", {"version": worked_lead.version, "create": True})
    assert refused.status_code == 409
    assert _error(refused)["code"] == "duplicate"
    assert _error(refused)["matches"] == [{"kind": "customer", "id": known.pk}]
    assert Lead.objects.get(pk=worked_lead.pk).status == "qualified"

    response = api.post(f"/api/leads/{worked_lead.pk}/convert",
                        {"version": worked_lead.version, "customer_id": known.pk})

    assert response.status_code == 200, response.content
    assert response.json()["created"] is False and response.json()["customer_id"] == known.pk
    assert Customer.objects.filter(mobile="+8613911112222").count() == 1
    assert ContactRecord.objects.filter(customer=known).count() == 2


def test_name_and_company_match_an_organisation(api_as, users, make_customer):
    organisation = make_customer("远景贸易有限公司", kind="organisation", owner=users["account_manager"])
    lead = lead_services.lead_create(actor=users["account_manager"], name="远景贸易有限公司", kind="organisation",
                                     company="远景贸易有限公司", mobile="13800009999")
    matches = api_as("account_manager").get(f"/api/leads/{lead.pk}/customer-matches").json()
    assert [(match["id"], match["reasons"]) for match in matches] == [(organisation.pk, ["name_company"])]


def test_converting_moves_the_leads_opportunities_and_a_won_one_is_onboarded(api_as, users, worked_lead, products,
                                                                              today):
    from kehu.purchases.models import Transaction
    from kehu.sales.opportunities import services as opportunity_services

    actor = users["account_manager"]
    opportunity = opportunity_services.opportunity_create(
        actor=actor, name="展厅采购", lead=worked_lead, expected_close=today,
        lines=[{"product": products["desk"].pk, "quantity": 1}])
    opportunity_services.opportunity_win(actor=actor, opportunity=opportunity)
    assert not Transaction.objects.exists()  # a lead's deal waits for a customer
    worked_lead.refresh_from_db()

    response = api_as("account_manager").post(f"/api/leads/{worked_lead.pk}/convert",
                                              {"version": worked_lead.version, "create": True})

    assert response.status_code == 200, response.content
    customer_id = response.json()["customer_id"]
    opportunity.refresh_from_db()
    assert (opportunity.customer_id, opportunity.lead_id) == (customer_id, None)
    assert list(Transaction.objects.values_list("customer_id", "amount")) == [(customer_id, products["desk"]
                                                                              .list_price)]
    assert Task.objects.filter(kind="onboarding", customer_id=customer_id).count() == 3


def test_double_convert_disqualified_and_stale_version_are_refused(api_as, users, worked_lead):
    api = api_as("account_manager")
    first = api.post(f"/api/leads/{worked_lead.pk}/convert", {"version": worked_lead.version, "create": True})
    assert first.status_code == 200
    customers = Customer.objects.count()
    again = api.post(f"/api/leads/{worked_lead.pk}/convert", {"version": worked_lead.version + 1, "create": True})
    assert again.status_code == 409 and _error(again)["code"] == "already_converted"
    assert Customer.objects.count() == customers and LeadConversion.objects.count() == 1

    other = lead_services.lead_create(actor=users["account_manager"], name="李雷", mobile="13922223333")
    stale = api.post(f"/api/leads/{other.pk}/convert", {"version": other.version + 5, "create": True})
    assert stale.status_code == 409 and _error(stale)["code"] == "version_conflict"
    lead_services.lead_transition(actor=users["account_manager"], lead=other, status="disqualified",
                                  reason="no_need")
    other.refresh_from_db()
    refused = api.post(f"/api/leads/{other.pk}/convert", {"version": other.version, "create": True})
    assert refused.status_code == 409 and _error(refused)["code"] == "disqualified"
    assert Lead.objects.get(pk=other.pk).status == "disqualified"


def test_not_yours_is_403_and_another_branchs_lead_is_404(api_as, users, worked_lead):
    colleague = api_as("other_account_manager")
    # am2 sees am1's lead? No: account managers see their own and the pool; so 404 for them
    assert colleague.post(f"/api/leads/{worked_lead.pk}/convert",
                          {"version": worked_lead.version, "create": True}).status_code == 404
    marketer = api_as("marketer")  # sees the branch's leads, may not work them
    refused = marketer.post(f"/api/leads/{worked_lead.pk}/convert", {"version": worked_lead.version, "create": True})
    assert refused.status_code == 403 and _error(refused)["code"] == "not_yours"
    beijing = api_as("bj_account_manager")
    assert beijing.post(f"/api/leads/{worked_lead.pk}/convert",
                        {"version": worked_lead.version, "create": True}).status_code == 404
    assert beijing.get(f"/api/leads/{worked_lead.pk}/customer-matches").status_code == 404
    assert Lead.objects.get(pk=worked_lead.pk).status == "qualified"


def test_linking_to_a_customer_outside_ones_scope_is_refused(api_as, customers, worked_lead):
    response = api_as("account_manager").post(f"/api/leads/{worked_lead.pk}/convert",
                                              {"version": worked_lead.version, "customer_id": customers["beijing"].pk})
    assert response.status_code == 422
    assert Lead.objects.get(pk=worked_lead.pk).status == "qualified"


@pytest.mark.parametrize("body", [
    {"version": 1},  # neither a customer nor create
    {"version": 1, "create": True, "customer_id": 1},  # both
    {"version": 0, "create": True},
    {"version": 2**40, "create": True},
    {"version": "=1+1", "create": True},
    {"version": 1, "customer_id": 2**70},
    {"version": 1, "customer_id": -5},
    {"version": 1, "create": True, "extra": "\x00"},
    {"version": 1, "create": "yes please"},
])
def test_hostile_input_answers_4xx(api_as, worked_lead, body):
    response = api_as("account_manager").post(f"/api/leads/{worked_lead.pk}/convert", body)
    assert 400 <= response.status_code < 500, response.content
    assert Lead.objects.get(pk=worked_lead.pk).status == "qualified"


def test_hostile_lead_ids_answer_404(api_as):
    api = api_as("account_manager")
    for lead_id in (0, 2**62, 999999):
        assert api.post(f"/api/leads/{lead_id}/convert", {"version": 1, "create": True}).status_code == 404


def test_the_conversion_page_confirms_then_converts(client, users, make_customer, worked_lead):
    known = make_customer("韩梅", email="meimei@example.com", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    detail = client.get(f"/sales/leads/{worked_lead.pk}/")
    assert f"/sales/leads/{worked_lead.pk}/convert/" in detail.content.decode()
    page = client.get(f"/sales/leads/{worked_lead.pk}/convert/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{known.pk}"' in html and "same e-mail" in html and 'value="new"' in html
    assert Lead.objects.get(pk=worked_lead.pk).status == "qualified"  # GET converts nothing

    response = client.post(f"/sales/leads/{worked_lead.pk}/convert/",
                           {"target": str(known.pk), "version": worked_lead.version})

    assert response.status_code == 302 and response["Location"] == f"/customers/{known.pk}/"
    assert LeadConversion.objects.get(lead=worked_lead).customer_id == known.pk
    again = client.get(f"/sales/leads/{worked_lead.pk}/convert/", headers={"Accept-Language": "en"})
    assert "was converted" in again.content.decode()


def test_the_conversion_page_in_chinese_and_its_hostile_input(client, users, worked_lead):
    client.force_login(users["account_manager"])
    page = client.get(f"/sales/leads/{worked_lead.pk}/convert/", headers={"Accept-Language": "zh-hans"})
    assert page.status_code == 200 and "Which customer is this?" not in page.content.decode()
    for target in ("=1+1", "\x00", "9" * 40, "-1", ""):
        response = client.post(f"/sales/leads/{worked_lead.pk}/convert/", {"target": target, "version": "1"})
        assert response.status_code == 200
    assert Lead.objects.get(pk=worked_lead.pk).status == "qualified"
    client.force_login(users["bj_account_manager"])
    assert client.get(f"/sales/leads/{worked_lead.pk}/convert/").status_code == 404
    assert client.post(f"/sales/leads/{worked_lead.pk}/convert/",
                       {"target": "new", "version": worked_lead.version}).status_code == 404
    assert not Opportunity.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_converters_of_one_lead_one_wins_on_postgresql(users):
    import threading

    from django.db import connection

    from kehu.sales.conversion import services

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    lead = lead_services.lead_create(actor=users["account_manager"], name="韩梅梅", mobile="13911112222")
    converters = [users["account_manager"], users["branch_manager"], users["administrator"]]
    barrier = threading.Barrier(len(converters))
    results: list[str] = []

    def convert(user) -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.lead_convert(actor=user, lead=lead.pk, create=True)
            results.append("won")
        except services.ConversionRefused as error:
            results.append(error.code)
        except Exception as error:  # noqa: BLE001 - shown in the assertion below
            results.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=convert, args=(user,)) for user in converters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_converted", "already_converted", "won"]
    assert Customer.objects.filter(mobile="+8613911112222").count() == 1
    assert LeadConversion.objects.count() == 1


def test_a_converted_lead_links_to_its_customer_and_a_won_deal_shows_its_onboarding(client, users, worked_lead,
                                                                                   products, today):
    from kehu.sales.conversion import services
    from kehu.sales.opportunities import services as opportunity_services

    actor = users["account_manager"]
    conversion = services.lead_convert(actor=actor, lead=worked_lead, create=True)
    deal = opportunity_services.opportunity_create(actor=actor, name="首单", customer=conversion.customer,
                                                   expected_close=today,
                                                   lines=[{"product": products["sofa"].pk, "quantity": 1}])
    opportunity_services.opportunity_win(actor=actor, opportunity=deal)
    client.force_login(actor)
    lead_page = client.get(f"/sales/leads/{worked_lead.pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert f"/customers/{conversion.customer_id}/" in lead_page and "/convert/" not in lead_page
    deal_page = client.get(f"/sales/opportunities/{deal.pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert "1 purchase lines recorded, 3 onboarding tasks" in deal_page
