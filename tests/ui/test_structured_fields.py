"""Structured fields of issue 12 item 4 in the staff UI: the province → city → district picker of national division
codes, the industry (GB/T 4754), source and 'customer since' in the customer form, and the status record's choices."""

from __future__ import annotations

import importlib

from django.urls import reverse

from kehu.customers.models import Customer, StatusRecord

from .helpers import field_errors, page_text

CREATE_ORGANISATION = reverse("customers:create", args=["organisation"])


def organisation_data(org, **changes) -> dict:
    data = {"name": "广州云帆信息科技有限公司", "branch": org["sh1"].pk, "mobile": "13800138000",
            "lifecycle_status": "prospect", "lifecycle_stage": "identification", "management_class": "regular",
            "relationship_stage": "development", "business_status": "operating"}
    data.update(changes)
    return data


def test_the_picker_offers_each_level_for_the_level_above(client, users, org):
    client.force_login(users["account_manager"])
    form = client.get(CREATE_ORGANISATION).context["form"]
    provinces = [code for code, _label in form.fields["province_code"].choices if code]
    assert len(provinces) == 34 and form.fields["city_code"].choices == [("", "—")]
    assert form["province_code"].field.widget.attrs["data-division-child"] == "city_code"
    page = client.get(CREATE_ORGANISATION).content.decode()
    assert "kehu/divisions" in page and "<script>" not in page  # a static file, no inline script
    options = client.get(reverse("customers:divisions"), {"parent": "440000"}).json()["options"]
    assert ["440100", "广州市"] in options
    assert client.get(reverse("customers:divisions"), {"parent": "xx"}).status_code == 404


def test_codes_chosen_store_names_industry_source_and_since(client, users, org):
    client.force_login(users["account_manager"])
    response = client.post(CREATE_ORGANISATION, organisation_data(
        org, province_code="440000", city_code="440100", district_code="440106", industry="65", source="展会",
        customer_since="2019-03-15"))
    assert response.status_code == 302, page_text(response)
    customer = Customer.objects.get()
    assert (customer.province, customer.city, customer.district) == ("广东省", "广州市", "天河区")
    assert (customer.district_code, customer.industry, customer.source, str(customer.customer_since)) == (
        "440106", "65", "展会", "2019-03-15")
    detail = page_text(client.get(reverse("customers:detail", args=[customer.pk])))
    assert "软件和信息技术服务业" in detail or "Software and information technology services" in detail
    assert "2019-03-15" in detail


def test_a_district_of_another_city_and_a_future_since_are_refused(client, users, org):
    client.force_login(users["account_manager"])
    response = client.post(CREATE_ORGANISATION, organisation_data(
        org, province_code="440000", city_code="440100", district_code="110105", customer_since="9999-01-01"))
    assert response.status_code == 200
    assert field_errors(response.content, "district_code") and field_errors(response.content, "customer_since")
    assert not Customer.objects.exists()


def test_status_record_choices_and_the_migration_keeping_free_text(client, users, make_customer):
    customer = make_customer("张三")
    client.force_login(users["administrator"])
    response = client.post(reverse("customers:status_record", args=[customer.pk]), {
        "preferred_channel": "wechat", "contact_frequency": "monthly", "development_potential": "high",
        "notes": "周末联系"})
    assert response.status_code == 302
    record = StatusRecord.objects.get()
    assert (record.preferred_channel, record.contact_frequency, record.development_potential) == (
        "wechat", "monthly", "high")
    refused = client.post(reverse("customers:status_record", args=[customer.pk]), {"preferred_channel": "飞鸽传书"})
    assert StatusRecord.objects.count() == 1, refused.status_code
    # records written as free text before the choices: matching text mapped, the rest kept in the notes
    old = StatusRecord.objects.create(customer=customer, preferred_channel="微信", contact_frequency="看心情",
                                      development_potential="较大")
    migration = importlib.import_module("kehu.customers.migrations.0015_status_record_choices_and_division_codes")
    from django.apps import apps

    migration.status_records_forward(apps, None)
    old.refresh_from_db()
    assert (old.preferred_channel, old.contact_frequency, old.development_potential) == ("wechat", "", "high")
    assert old.notes == "联系频率: 看心情"
