"""Contacts of persons through the API: relations (spouse, assistant, guardian, other); organisation roles refused."""

from __future__ import annotations

from kehu.customers.models import Contact


def test_person_contacts_through_the_api(api_as, make_customer, users):
    person = make_customer("张三", owner=users["account_manager"])
    client = api_as("account_manager")
    created = client.post(f"/api/customers/{person.pk}/contacts", {"name": "李梅", "role": "spouse",
                                                                   "mobile": "13600136000"})
    assert created.status_code == 201, created.content
    assert created.json()["role"] == "spouse"
    refused = client.post(f"/api/customers/{person.pk}/contacts", {"name": "王会计", "role": "finance"})
    assert refused.status_code in (400, 422)
    changed = client.patch(f"/api/customers/{person.pk}/contacts/{created.json()['id']}", {"role": "legal_rep"})
    assert changed.status_code in (400, 422)
    assert list(Contact.objects.filter(customer=person).values_list("role", flat=True)) == ["spouse"]
    listing = client.get(f"/api/customers/{person.pk}/contacts")
    assert [item["name"] for item in listing.json()["items"]] == ["李梅"]


def test_organisations_refuse_family_relations(api_as, make_customer, users):
    company = make_customer("华商贸易", kind="organisation", owner=users["account_manager"])
    client = api_as("account_manager")
    assert client.post(f"/api/customers/{company.pk}/contacts",
                       {"name": "某人", "role": "guardian"}).status_code in (400, 422)
    assert client.post(f"/api/customers/{company.pk}/contacts",
                       {"name": "助理", "role": "assistant"}).status_code == 201
