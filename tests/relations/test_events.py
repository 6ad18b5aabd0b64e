"""Events (invitees, bulk invitation, attendance writing contact records and timeline rows, set-based), the
invitee export neutralising formulas, gifts from the 360 page, scope and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.models import Activity, Customer
from kehu.relations.models import ContactRecord, Event, EventInvitee, Gift
from kehu.relations.plans import services


@pytest.fixture
def event(users, customers, today):
    return services.event_create(actor=users["account_manager"], name="2026年客户联谊会", kind="gathering",
                                 date=today - dt.timedelta(days=1), place="会议中心", cost=Decimal("5000"))


@pytest.mark.django_db
def test_attendance_writes_one_contact_and_one_timeline_row_per_attendee(event, users, customers, make_customer,
                                                                          django_assert_num_queries):
    guests = [customers["mine"], customers["colleague"]] + [
        make_customer(f"嘉宾{index}", owner=users["account_manager"]) for index in range(5)]
    assert services.event_invite(actor=users["account_manager"], event=event, customers=guests) == 7
    assert services.event_invite(actor=users["account_manager"], event=event, customers=guests[:3]) == 0
    came = [guest.pk for guest in guests[:5]]
    # lock, invitees, contacts INSERT, invitees UPDATE, timeline INSERT (+ savepoint): whatever the number
    with django_assert_num_queries(7):
        assert services.event_mark_attendance(actor=users["account_manager"], event=event, customer_ids=came) == 5
    assert services.event_mark_attendance(actor=users["account_manager"], event=event, customer_ids=came) == 0
    records = ContactRecord.objects.filter(channel="event")
    assert sorted(records.values_list("customer_id", flat=True)) == sorted(came)
    assert set(EventInvitee.objects.filter(attended=True).values_list("contact_id", flat=True)) == set(
        records.values_list("pk", flat=True))
    assert Activity.objects.filter(kind="event", subject_id=event.pk).count() == 5
    assert EventInvitee.objects.filter(attended=True, status="accepted").count() == 5


@pytest.mark.django_db
def test_attendance_only_after_the_event_and_only_by_who_may_change_it(users, customers, today):
    coming = services.event_create(actor=users["account_manager"], name="新品发布会", kind="launch",
                                   date=today + dt.timedelta(days=3))
    services.event_invite(actor=users["account_manager"], event=coming, customers=[customers["mine"]])
    with pytest.raises(ValidationError):
        services.event_mark_attendance(actor=users["account_manager"], event=coming,
                                       customer_ids=[customers["mine"].pk])
    with pytest.raises(PermissionDenied):  # a colleague sees the event, does not organise it
        services.event_invite(actor=users["other_account_manager"], event=coming, customers=[customers["mine"]])
    with pytest.raises(Event.DoesNotExist):  # another branch: does not exist for them
        services.event_invite(actor=users["bj_account_manager"], event=coming, customers=[customers["beijing"]])
    with pytest.raises(Customer.DoesNotExist):  # another branch's customer
        services.event_invite(actor=users["account_manager"], event=coming, customers=[customers["beijing"]])
    assert EventInvitee.objects.count() == 1 and ContactRecord.objects.count() == 0


@pytest.mark.django_db
def test_event_pages_invite_by_class_mark_attendance_and_export(client, event, users, customers, make_customer):
    key = [make_customer(f"关键{index}", owner=users["account_manager"], management_class="key") for index in range(3)]
    formula = make_customer("=1+1", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    url = f"/relations/events/{event.pk}/"
    assert client.post(url + "invite/", {"management_class": "key", "only_mine": "on"}).status_code == 302
    assert EventInvitee.objects.filter(event=event).count() == 3
    assert client.post(url + "invite/", {"customer_codes": f"{formula.code}, NOPE"}).status_code == 422
    assert client.post(url + "invite/", {"customer_codes": formula.code}).status_code == 302
    assert client.post(url + "attendance/", {"answer": "attended",
                                             "customer": [key[0].pk, key[1].pk]}).status_code == 302
    assert ContactRecord.objects.filter(channel="event").count() == 2
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('name="customer"') == 4 and 'value="unattended"' in page  # every invitee: mark or undo
    assert client.post(url + "attendance/", {"answer": "unattended", "customer": [key[1].pk]}).status_code == 302
    assert list(ContactRecord.objects.filter(channel="event").values_list("customer_id", flat=True)) == [key[0].pk]
    export = client.get(url + "invitees.csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert "'=1+1" in text and "\n=1+1" not in text and ",=1+1" not in text
    client.force_login(users["bj_account_manager"])
    assert client.get(url).status_code == 404 and client.get(url + "invitees.csv").status_code == 404


@pytest.mark.django_db
def test_event_list_has_an_empty_state_a_search_and_a_fixed_number_of_queries(client, users, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["branch_manager"])
    assert "No events yet" in client.get("/relations/events/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    services.event_create(actor=users["branch_manager"], name="客户俱乐部", kind="club", date=today)
    with CaptureQueriesContext(connection) as few:
        client.get("/relations/events/")
    for index in range(5):
        services.event_create(actor=users["branch_manager"], name=f"联谊会{index}", date=today)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/relations/events/").content.decode()
    assert len(few) == len(many) and page.count('href="/relations/events/') >= 6
    assert client.get("/relations/events/", {"q": "俱乐部"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode().count("客户俱乐部") == 1


@pytest.mark.django_db
def test_gift_from_the_360_page(client, users, customers, today):
    client.force_login(users["account_manager"])
    url = f"/relations/customers/{customers['mine'].pk}/gifts/new/"
    response = client.post(url, {"description": "中秋礼盒", "cost": "300", "given_on": today.isoformat(),
                                 "occasion": "festival"})
    assert response.status_code == 302
    gift = Gift.objects.get()
    assert (gift.cost, gift.contact.channel, gift.given_by) == (Decimal("300.00"), "gift", users["account_manager"])
    assert Activity.objects.filter(kind="gift", customer=customers["mine"]).count() == 1
    page = client.get(f"/customers/{customers['mine'].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "中秋礼盒" in page
    assert client.post(url, {"description": "礼品", "cost": "1e20", "given_on": today.isoformat(),
                             "occasion": "festival"}).status_code == 422
    assert client.post(url, {"description": "礼品", "cost": "1", "given_on": "9999-01-01",
                             "occasion": "festival"}).status_code == 422
    for who, status in (("auditor", 403), ("other_account_manager", 403), ("bj_account_manager", 404)):
        client.force_login(users[who])
        assert client.post(url, {"description": "礼品", "cost": "1", "given_on": today.isoformat(),
                                 "occasion": "festival"}).status_code == status
    assert Gift.objects.count() == 1


@pytest.mark.django_db
def test_attendance_marked_by_mistake_is_undone_and_the_figures_follow(event, users, customers, make_customer, today):
    from kehu.relations.plans.selectors import event_list

    guests = [make_customer(f"嘉宾{index}", owner=users["account_manager"]) for index in range(3)]
    services.event_invite(actor=users["account_manager"], event=event, customers=guests)
    ids = [guest.pk for guest in guests]
    services.event_mark_attendance(actor=users["account_manager"], event=event, customer_ids=ids)
    mistaken = guests[2]
    contact_id = EventInvitee.objects.get(event=event, customer=mistaken).contact_id
    with pytest.raises(PermissionDenied):  # a colleague sees the event, does not organise it
        services.event_undo_attendance(actor=users["other_account_manager"], event=event, customer_ids=[mistaken.pk])
    assert services.event_undo_attendance(actor=users["account_manager"], event=event,
                                          customer_ids=[mistaken.pk, customers["beijing"].pk]) == 1
    assert services.event_undo_attendance(actor=users["account_manager"], event=event,
                                          customer_ids=[mistaken.pk]) == 0  # already undone
    invitee = EventInvitee.objects.get(event=event, customer=mistaken)
    assert not invitee.attended and invitee.contact_id is None
    assert not ContactRecord.objects.filter(pk=contact_id).exists()
    assert sorted(ContactRecord.objects.filter(channel="event").values_list("customer_id", flat=True)) == sorted(
        ids[:2])
    listed = {row.pk: row for row in event_list(user=users["account_manager"])}
    assert listed[event.pk].attended_count == 2 and listed[event.pk].cost == Decimal("5000.00")
    rows = list(Activity.objects.filter(kind="event", subject_id=event.pk, customer=mistaken).order_by("id")
                .values_list("data__action", flat=True))
    assert rows == ["attended", "attendance_undone"]  # the timeline keeps both, never rewritten
    # marked again (it was right after all): a new contact record
    assert services.event_mark_attendance(actor=users["account_manager"], event=event, customer_ids=[mistaken.pk]) == 1
    assert ContactRecord.objects.filter(channel="event", customer=mistaken).count() == 1


@pytest.mark.django_db
def test_undoing_attendance_through_the_api(api_as, event, users, customers):
    services.event_invite(actor=users["account_manager"], event=event, customers=[customers["mine"]])
    services.event_mark_attendance(actor=users["account_manager"], event=event, customer_ids=[customers["mine"].pk])
    am = api_as("account_manager")
    url = f"/api/events/{event.pk}/attendance/undo"
    assert api_as("auditor").post(url, {"customer_ids": [customers["mine"].pk]}).status_code in (403, 404)
    response = am.post(url, {"customer_ids": [customers["mine"].pk]})
    assert response.status_code == 200 and response.json() == {"count": 1}
    assert am.post(url, {"customer_ids": []}).status_code == 422
    assert api_as("bj_account_manager").post(url, {"customer_ids": [customers["mine"].pk]}).status_code == 404
    assert not EventInvitee.objects.get(event=event).attended
