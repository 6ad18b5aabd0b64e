"""A won opportunity: the sale as purchase transactions (one per product line), three onboarding tasks, the service
and finance roles told; winning through the API, the board's move and the retry endpoint write nothing twice; the
360 page's opportunities panel and the screen pop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kehu.purchases.models import Transaction
from kehu.sales.models import Onboarding
from kehu.sales.opportunities import services as opportunity_services
from kehu.work.models import Notification, Task

pytestmark = pytest.mark.django_db


def _lines(products):
    return [{"product": products["sofa"].pk, "quantity": 2}, {"product": products["desk"].pk, "quantity": 1,
                                                              "unit_price": "1000"}]


def test_win_records_transactions_starts_three_tasks_and_notifies(api_as, users, customers, products,
                                                                   make_opportunity, today):
    opportunity = make_opportunity(lines=_lines(products))
    response = api_as("account_manager").post(f"/api/opportunities/{opportunity.pk}/won",
                                              {"version": opportunity.version})
    assert response.status_code == 200, response.content

    customer = customers["mine"]
    rows = list(Transaction.objects.filter(customer=customer).order_by("amount")
                .values_list("product__sku", "quantity", "amount", "channel"))
    assert rows == [("DESK-1", Decimal("1.000"), Decimal("1000.00"), "manager"),
                    ("SOFA-1", Decimal("2.000"), Decimal("6000.00"), "manager")]
    assert sum(row[2] for row in rows) == opportunity.amount
    tasks = list(Task.objects.filter(kind="onboarding", customer=customer).order_by("due_date"))
    assert [(task.due_date - today).days for task in tasks] == [7, 30, 60]
    assert all(task.owner_id == users["account_manager"].pk and task.source_id == opportunity.pk for task in tasks)
    assert "first-week call" in tasks[0].title and "30-day visit" in tasks[1].title
    told = set(Notification.objects.filter(kind="customer_won").values_list("recipient__username", flat=True))
    assert told == {"agent1", "credit1"}  # the service agent and the credit officer (finance) of SH1
    onboarding = Onboarding.objects.get(opportunity=opportunity)
    assert sorted(onboarding.transaction_ids) == sorted(Transaction.objects.values_list("pk", flat=True))
    assert onboarding.notified == 2
    assert api_as("account_manager").get(f"/api/opportunities/{opportunity.pk}/onboarding").json()[
        "task_ids"] == onboarding.task_ids


def test_retry_and_a_second_win_create_nothing_new(api_as, users, products, make_opportunity):
    opportunity = make_opportunity(lines=_lines(products))
    opportunity_services.opportunity_win(actor=users["account_manager"], opportunity=opportunity)
    counts = (Transaction.objects.count(), Task.objects.filter(kind="onboarding").count(),
              Notification.objects.filter(kind="customer_won").count(), Onboarding.objects.count())
    assert counts == (2, 3, 2, 1)
    api = api_as("account_manager")

    retry = api.post(f"/api/opportunities/{opportunity.pk}/onboarding")
    again = api.post(f"/api/opportunities/{opportunity.pk}/won", {"version": opportunity.version + 1})

    assert retry.status_code == 200 and retry.json()["transaction_ids"] == Onboarding.objects.get().transaction_ids
    assert again.status_code in (409, 422)  # closed: it cannot be won twice
    from kehu.sales.conversion.services import opportunity_onboard

    opportunity_onboard(actor=users["branch_manager"], opportunity=opportunity.pk)
    Onboarding.objects.all().delete()  # even without the record the references keep the sale single
    opportunity_onboard(actor=users["account_manager"], opportunity=opportunity.pk)
    assert Transaction.objects.count() == 2
    assert Notification.objects.filter(kind="customer_won").count() == 2  # dedupe key


def test_onboarding_refusals(api_as, users, products, make_opportunity, today):
    from kehu.sales import services as lead_services

    api = api_as("account_manager")
    open_one = make_opportunity(lines=_lines(products))
    response = api.post(f"/api/opportunities/{open_one.pk}/onboarding")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_won"
    lead = lead_services.lead_create(actor=users["account_manager"], name="李雷", mobile="13912345678")
    for_lead = opportunity_services.opportunity_create(actor=users["account_manager"], name="线索", lead=lead,
                                                       expected_close=today, lines=_lines(products))
    opportunity_services.opportunity_win(actor=users["account_manager"], opportunity=for_lead)
    response = api.post(f"/api/opportunities/{for_lead.pk}/onboarding")
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_customer"
    assert not Transaction.objects.exists() and not Task.objects.filter(kind="onboarding").exists()
    beijing = api_as("bj_account_manager")
    assert beijing.post(f"/api/opportunities/{open_one.pk}/onboarding").status_code == 404
    for pk in (0, 2**62):
        assert api.post(f"/api/opportunities/{pk}/onboarding").status_code == 404


def test_onboarding_offsets_are_configurable(settings, users, products, make_opportunity, today):
    settings.KEHU_ONBOARDING_STEPS = [("first_week_call", 3), ("satisfaction_check", 90)]
    opportunity = make_opportunity(lines=_lines(products))
    opportunity_services.opportunity_win(actor=users["account_manager"], opportunity=opportunity)
    assert sorted((task.due_date - today).days for task in Task.objects.filter(kind="onboarding")) == [3, 90]


def test_the_360_page_shows_open_opportunities(client, users, customers, products, make_opportunity, today):
    first = make_opportunity(name="年度沙发", lines=_lines(products), close_in=20)
    soon = make_opportunity(name="书桌补货", lines=[{"product": products["desk"].pk, "quantity": 3}], close_in=5)
    won = make_opportunity(name="已成交", lines=_lines(products))
    opportunity_services.opportunity_win(actor=users["account_manager"], opportunity=won)
    client.force_login(users["account_manager"])

    response = client.get(f"/customers/{customers['mine'].pk}/")

    html = response.content.decode()
    assert 'id="opportunities"' in html
    panel = html.split('id="opportunities"')[1].split("</section>")[0]
    assert panel.index("书桌补货") < panel.index("年度沙发") and "已成交" not in panel
    assert "3600.00" in html and first.stage.name in html and soon.expected_close.strftime("%Y-%m-%d") in html
    client.force_login(users["service_agent"])  # no sales.view_opportunity: no panel
    assert 'id="opportunities"' not in client.get(f"/customers/{customers['mine'].pk}/").content.decode()
    zh = client.get(f"/customers/{customers['mine'].pk}/", headers={"Accept-Language": "zh-hans"})
    assert zh.status_code == 200


def test_the_screen_pop_carries_the_open_opportunities(api_as, customers, products, make_opportunity):
    opportunity = make_opportunity(lines=_lines(products))
    item = api_as("administrator").get("/api/customers/lookup", phone="", q=customers["mine"].name).json()
    if "items" not in item:  # the lookup needs a phone
        from kehu.customers.services import customer_update

        customer_update(customer=customers["mine"], actor=customers["mine"].owner, mobile="13700001111")
        item = api_as("administrator").get("/api/customers/lookup", phone="13700001111").json()
    found = item["items"][0]
    assert found["open_opportunity_count"] == 1
    assert found["open_opportunities"][0]["id"] == opportunity.pk
    assert found["open_opportunities"][0]["amount"] in ("7000.00", 7000.0, "7000")
    agent = api_as("service_agent").get("/api/customers/lookup", phone="13700001111").json()
    assert agent["items"][0]["open_opportunities"] is None  # without sales.view_opportunity


def test_expected_close_of_the_panel_is_a_date(make_opportunity, products, users, customers):
    from kehu.sales.conversion.panels import opportunities_load

    make_opportunity(lines=_lines(products))
    data = opportunities_load([customers["mine"].pk, customers["beijing"].pk], users["account_manager"], full=True)
    assert data[customers["beijing"].pk] == {"open_opportunities": [], "open_opportunity_count": 0}
    assert isinstance(data[customers["mine"].pk]["open_opportunities"][0].expected_close, dt.date)


def test_the_demo_has_converted_leads_and_onboarded_wins():
    from kehu.sales.models import LeadConversion
    from tests.demo.test_demo import run_demo

    run_demo()
    conversions = LeadConversion.objects.select_related("lead")
    assert conversions.count() >= 3
    assert all(conversion.lead.status == "converted" and conversion.created for conversion in conversions)
    onboarded = Onboarding.objects.all()
    assert onboarded.count() >= 3
    for onboarding in onboarded:
        assert Task.objects.filter(pk__in=onboarding.task_ids, kind="onboarding").count() == 3
        assert Transaction.objects.filter(pk__in=onboarding.transaction_ids,
                                          external_ref__startswith=f"opp-{onboarding.opportunity_id}-").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_onboard_once_on_postgresql(users, customers, products):
    import threading

    from django.db import connection

    from kehu.sales.conversion.services import opportunity_onboard
    from kehu.sales.models import Opportunity

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    opportunity = opportunity_services.opportunity_create(
        actor=users["account_manager"], name="并发", customer=customers["mine"],
        expected_close=dt.date.today(), lines=_lines(products))
    Opportunity.objects.filter(pk=opportunity.pk).update(status="won")  # won without the hook: retries race
    from django.utils import timezone

    Opportunity.objects.filter(pk=opportunity.pk).update(closed_at=timezone.now())
    callers = [users["account_manager"], users["branch_manager"], users["administrator"]]
    barrier = threading.Barrier(len(callers))
    results: list[str] = []

    def onboard(user) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(str(opportunity_onboard(actor=user, opportunity=opportunity.pk).pk))
        except Exception as error:  # noqa: BLE001 - shown in the assertion below
            results.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=onboard, args=(user,)) for user in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0].isdigit(), results
    assert Transaction.objects.count() == 2 and Task.objects.filter(kind="onboarding").count() == 3
