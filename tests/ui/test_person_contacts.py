"""Persons can have contacts too: a spouse, an assistant, a guardian (issue 12 item 3)."""

from __future__ import annotations

from django.urls import reverse

from kehu.customers.models import Contact

from .helpers import page_text


def test_a_person_gets_a_spouse_and_a_guardian(client, users, make_customer):
    person = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    form = client.get(reverse("customers:contact_create", args=[person.pk]), headers={"Accept-Language": "en"})
    assert form.status_code == 200
    offered = {value for value, _label in form.context["form"].fields["role"].choices}
    assert offered == {"spouse", "assistant", "guardian", "other"}
    assert "Relation" in page_text(form)

    response = client.post(reverse("customers:contact_create", args=[person.pk]),
                           {"name": "李梅", "role": "spouse", "mobile": "13600136000", "is_primary": "on"})
    assert response.status_code == 302
    client.post(reverse("customers:contact_create", args=[person.pk]), {"name": "张父", "role": "guardian"})
    assert sorted(Contact.objects.filter(customer=person).values_list("role", flat=True)) == ["guardian", "spouse"]
    text = page_text(client.get(reverse("customers:detail", args=[person.pk]), headers={"Accept-Language": "zh-hans"}))
    assert "李梅" in text and "配偶" in text and "监护人" in text and "136****6000" in text


def test_an_organisation_role_is_refused_for_a_person(client, users, make_customer):
    person = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    response = client.post(reverse("customers:contact_create", args=[person.pk]),
                           {"name": "王会计", "role": "finance"})
    assert response.status_code == 200 and response.context["form"].errors["role"]
    assert not Contact.objects.filter(customer=person).exists()


def test_an_organisation_keeps_its_roles(client, users, make_customer):
    company = make_customer("华商贸易", kind="organisation", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    form = client.get(reverse("customers:contact_create", args=[company.pk]))
    offered = {value for value, _label in form.context["form"].fields["role"].choices}
    assert "finance" in offered and "spouse" not in offered and "guardian" not in offered


def test_person_contacts_need_the_right_to_change_the_customer(client, users, make_customer):
    person = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["marketer"])
    assert client.get(reverse("customers:contact_create", args=[person.pk])).status_code == 403
    client.force_login(users["bj_account_manager"])
    assert client.get(reverse("customers:contact_create", args=[person.pk])).status_code == 404
