"""Contacts and consent of a customer."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kehu.customers.models import Consent, Contact
from kehu.customers.services import consent_record

from .conftest import error_of


def test_contact_create_list_update_delete(api_as, make_customer, users):
    company = make_customer("上海某某有限公司", kind="organisation", owner=users["account_manager"])
    client = api_as("account_manager")

    created = client.post(f"/api/customers/{company.pk}/contacts", {
        "name": "王经理", "role": "finance", "mobile": "139 0013 9000", "email": "wang@example.com", "is_primary": True,
    })
    assert created.status_code == 201, created.content
    contact_id = created.json()["id"]
    assert created.json()["mobile"] == "139****9000" and created.json()["email"] == "w***@example.com"
    assert Contact.objects.get(pk=contact_id).mobile == "+8613900139000"

    second = client.post(f"/api/customers/{company.pk}/contacts", {"name": "李会计"})
    listing = client.get(f"/api/customers/{company.pk}/contacts")
    assert listing.status_code == 200
    assert listing.json()["count"] == 2
    assert [item["name"] for item in listing.json()["items"]] == ["王经理", "李会计"]

    updated = client.patch(f"/api/customers/{company.pk}/contacts/{second.json()['id']}",
                           {"title": "会计主管", "is_primary": True})
    assert updated.status_code == 200, updated.content
    assert updated.json()["title"] == "会计主管" and updated.json()["name"] == "李会计"
    assert not Contact.objects.get(pk=contact_id).is_primary  # only one primary contact

    deleted = client.delete(f"/api/customers/{company.pk}/contacts/{contact_id}")
    assert deleted.status_code == 204
    assert list(Contact.objects.values_list("name", flat=True)) == ["李会计"]


def test_contact_validation(api_as, make_customer):
    company = make_customer("上海某某有限公司", kind="organisation")

    response = api_as("administrator").post(f"/api/customers/{company.pk}/contacts", {
        "name": "王经理", "mobile": "12345", "email": "wang@", "role": "boss",
    })

    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"role"}
    response = api_as("administrator").post(f"/api/customers/{company.pk}/contacts", {
        "name": "王经理", "mobile": "12345", "email": "wang@",
    })
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"mobile", "email"}
    assert not Contact.objects.exists()


def test_contact_of_another_customer_is_404(api_as, make_customer, users):
    first = make_customer("甲公司", kind="organisation")
    second = make_customer("乙公司", kind="organisation")
    client = api_as("administrator")
    contact = client.post(f"/api/customers/{first.pk}/contacts", {"name": "王经理"}).json()

    assert client.patch(f"/api/customers/{second.pk}/contacts/{contact['id']}", {"title": "x"}).status_code == 404
    assert client.delete(f"/api/customers/{second.pk}/contacts/{contact['id']}").status_code == 404
    assert Contact.objects.get(pk=contact["id"]).title == ""


def test_consents_current_and_history(api_as, make_customer, users):
    customer = make_customer("张三")
    admin = users["administrator"]
    consent_record(customer=customer, actor=admin, channel="sms", granted=True, source="form",
                   recorded_at=timezone.now() - dt.timedelta(days=30))
    client = api_as("service_agent")

    withdrawn = client.post(f"/api/customers/{customer.pk}/consents",
                            {"channel": "sms", "granted": False, "source": "phone", "purpose": "marketing"})
    assert withdrawn.status_code == 201, withdrawn.content
    assert withdrawn.json()["recorded_by"]["id"] == users["service_agent"].pk

    response = client.get(f"/api/customers/{customer.pk}/consents")
    assert response.status_code == 200
    body = response.json()
    assert body["current"]["sms"]["granted"] is False and body["current"]["sms"]["source"] == "phone"
    assert body["current"]["email"] is None and body["current"]["post"] is None
    assert body["count"] == 2
    assert [item["granted"] for item in body["items"]] == [False, True]
    assert len(client.get(f"/api/customers/{customer.pk}/consents", limit=1).json()["items"]) == 1


def test_consent_validation_and_permission(api_as, make_customer):
    customer = make_customer("张三")

    bad = api_as("service_agent").post(f"/api/customers/{customer.pk}/consents", {"channel": "fax"})
    refused = api_as("marketer").post(f"/api/customers/{customer.pk}/consents", {"channel": "sms", "granted": True})

    assert bad.status_code == 422 and set(error_of(bad)["fields"]) == {"channel", "granted"}
    assert refused.status_code == 403
    assert not Consent.objects.exists()
