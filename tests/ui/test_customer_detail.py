"""The customer 360 page: masking, reveal with a reason, sections, contacts, consent, status records, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.customers.models import Consent, Contact, PersonalDataAccess, StatusRecord

from .helpers import field_errors, page_text

ID_NUMBER = "11010519491231002X"


def detail(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def test_personal_data_is_masked(client, users, make_customer):
    customer = make_customer("张三", mobile="13800138000", phone="021-62345678", email="zhangsan@example.com",
                             person={"id_number": ID_NUMBER})
    client.force_login(users["branch_manager"])
    response = client.get(detail(customer))
    assert response.status_code == 200
    text = page_text(response)
    assert "138****8000" in text
    assert "1101**********002X" in text
    assert "z***@example.com" in text
    for secret in ("13800138000", "138 0013 8000", ID_NUMBER, "zhangsan@example.com", "62345678"):
        assert secret not in text


def test_reveal_button_only_with_permission(client, users, make_customer):
    customer = make_customer("张三", mobile="13800138000")
    reveal_url = reverse("customers:reveal", args=[customer.pk])
    client.force_login(users["credit_officer"])
    assert reveal_url in client.get(detail(customer)).content.decode()
    client.force_login(users["marketer"])
    assert reveal_url not in client.get(detail(customer)).content.decode()
    response = client.post(reveal_url, {"reason": "curious"})
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_reveal_requires_a_reason(client, users, make_customer):
    customer = make_customer("张三", mobile="13800138000", person={"id_number": ID_NUMBER})
    client.force_login(users["account_manager"])
    url = reverse("customers:reveal", args=[customer.pk])
    response = client.post(url, {"reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx swaps the form back in with its error
    assert field_errors(response.content, "reason")
    assert "13800138000" not in page_text(response)
    response = client.post(url, {"reason": "x"})  # too short for the service
    assert response.status_code == 422
    assert field_errors(response.content, "reason")
    assert not PersonalDataAccess.objects.exists()


def test_reveal_shows_numbers_and_writes_the_access_log(client, users, make_customer):
    customer = make_customer("张三", mobile="13800138000", person={"id_number": ID_NUMBER})
    user = users["account_manager"]
    client.force_login(user)
    response = client.post(reverse("customers:reveal", args=[customer.pk]), {"reason": "客户来电核实身份"},
                           headers={"HX-Request": "true"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    text = page_text(response)
    assert "<html" not in text
    assert "138 0013 8000" in text
    assert ID_NUMBER in text
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.customer, access.action) == (user, customer, "reveal")
    assert access.reason == "客户来电核实身份"
    assert set(access.fields.split(",")) == {"mobile", "phone", "id_number", "email"}
    assert access.ip_address == "10.1.2.3"
    # the page itself stays masked afterwards
    assert "13800138000" not in page_text(client.get(detail(customer)))


def test_reveal_out_of_scope_is_404(client, users, org, make_customer):
    customer = make_customer("北京客户", branch=org["bj1"], mobile="13800138000")
    client.force_login(users["account_manager"])
    response = client.post(reverse("customers:reveal", args=[customer.pk]), {"reason": "客户来电"})
    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_detail_shows_sections(client, users, make_customer):
    from kehu.customers.services import consent_record, customer_update, status_record_create, tag_get_or_create
    from kehu.purchases.services import transaction_create

    admin = users["administrator"]
    customer = make_customer("张三", owner=users["account_manager"], management_class="key",
                             share_of_wallet=Decimal("62.5"), tags=[tag_get_or_create(name="VIP")],
                             person={"employer": "上海电气"})
    customer_update(customer=customer, actor=admin, lifecycle_status="current", reason="首次购买")
    consent_record(customer=customer, actor=admin, channel="sms", granted=True, source="store")
    consent_record(customer=customer, actor=admin, channel="email", granted=True, source="web",
                   recorded_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    consent_record(customer=customer, actor=admin, channel="email", granted=False, source="phone")
    status_record_create(customer=customer, actor=admin, holdings_with_us="定期存款 50 万", satisfaction=4)
    for amount in ("100.00", "250.50"):
        transaction_create(actor=admin, customer=customer, amount=Decimal(amount),
                           occurred_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC), margin=Decimal("10"))
    client.force_login(users["account_manager"])
    response = client.get(detail(customer))
    text = page_text(response)
    assert "上海电气" in text and "VIP" in text
    assert "¥350.50" in text and "¥175.25" in text  # total and average
    assert "定期存款 50 万" in text
    assert "首次购买" in text  # lifecycle history reason
    sms, email, phone, post = (consent for _label, consent in response.context["consents"])
    assert (sms.channel, sms.granted) == ("sms", True)
    assert (email.channel, email.granted) == ("email", False)  # the newest event wins
    assert phone is None and post is None
    assert response.context["can_change"] is True
    assert reverse("customers:edit", args=[customer.pk]) in text


def test_edit_button_hidden_when_not_allowed(client, users, make_customer):
    customer = make_customer("张三", owner=users["other_account_manager"])
    client.force_login(users["account_manager"])
    response = client.get(detail(customer))
    assert response.status_code == 200
    assert reverse("customers:edit", args=[customer.pk]) not in response.content.decode()


def test_out_of_scope_detail_is_404(client, users, org, make_customer):
    customer = make_customer("北京客户", branch=org["bj1"])
    client.force_login(users["branch_manager"])
    assert client.get(detail(customer)).status_code == 404
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404


def test_record_consent(client, users, make_customer):
    customer = make_customer("张三")
    client.force_login(users["service_agent"])
    url = reverse("customers:consent", args=[customer.pk])
    response = client.post(url, {"channel": "sms", "granted": "1", "source": "phone", "purpose": "营销短信"})
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.channel, consent.granted, consent.source, consent.recorded_by) == (
        "sms", True, "phone", users["service_agent"])
    response = client.post(url, {"channel": "sms", "granted": "0", "source": "phone"})
    assert response.status_code == 302
    current = client.get(detail(customer)).context["consents"][0][1]
    assert current.granted is False
    # missing decision: the page comes back with the error, nothing recorded
    response = client.post(url, {"channel": "post", "source": "phone"})
    assert response.status_code == 422
    assert field_errors(response.content, "granted")
    assert Consent.objects.count() == 2


def test_record_consent_needs_permission(client, users, make_customer):
    customer = make_customer("张三")
    client.force_login(users["marketer"])
    response = client.post(reverse("customers:consent", args=[customer.pk]),
                           {"channel": "sms", "granted": "1", "source": "phone"})
    assert response.status_code == 403
    assert not Consent.objects.exists()


def test_add_status_record(client, users, make_customer):
    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    response = client.post(reverse("customers:status_record", args=[customer.pk]),
                           {"main_business": "外贸", "holdings_with_competitors": "招商银行信用卡",
                            "satisfaction": "5"})
    assert response.status_code == 302
    record = StatusRecord.objects.get()
    assert (record.main_business, record.satisfaction, record.recorded_by) == ("外贸", 5, users["account_manager"])
    assert "招商银行信用卡" in page_text(client.get(detail(customer)))
    client.force_login(users["marketer"])
    response = client.post(reverse("customers:status_record", args=[customer.pk]), {"main_business": "x"})
    assert response.status_code == 403
    assert StatusRecord.objects.count() == 1


def test_contacts_add_edit_delete_with_confirmation(client, users, make_customer):
    company = make_customer("华商贸易", kind="organisation", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    response = client.post(reverse("customers:contact_create", args=[company.pk]),
                           {"name": "陈经理", "role": "finance", "mobile": "13600136000", "is_primary": "on"})
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.mobile == "+8613600136000" and contact.is_primary
    text = page_text(client.get(detail(company)))
    assert "陈经理" in text and "136****6000" in text and "13600136000" not in text

    edit_url = reverse("customers:contact_edit", args=[company.pk, contact.pk])
    assert "13600136000" not in page_text(client.get(edit_url))
    # bad mobile: error next to the field
    response = client.post(edit_url, {"name": "陈经理", "role": "finance", "mobile": "12345"})
    assert response.status_code == 200
    assert field_errors(response.content, "mobile")
    # empty mobile keeps the stored number
    response = client.post(edit_url, {"name": "陈总", "role": "general_manager", "mobile": ""})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.role, contact.mobile) == ("陈总", "general_manager", "+8613600136000")

    delete_url = reverse("customers:contact_delete", args=[company.pk, contact.pk])
    confirm = client.get(delete_url)
    assert confirm.status_code == 200 and "陈总" in page_text(confirm)
    assert Contact.objects.filter(pk=contact.pk).exists()  # asking is not deleting
    response = client.post(delete_url)
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    history = client.get(detail(company)).context["history"]
    assert any("deleted" in entry.what or "删除" in entry.what for entry in history)


def test_contacts_cannot_be_changed_by_read_only_roles(client, users, make_customer):
    from kehu.customers.services import contact_create

    company = make_customer("华商贸易", kind="organisation")
    contact = contact_create(customer=company, actor=users["administrator"], name="陈经理")
    client.force_login(users["auditor"])
    assert client.post(reverse("customers:contact_delete", args=[company.pk, contact.pk])).status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()
    client.force_login(users["bj_account_manager"])
    assert client.post(reverse("customers:contact_delete", args=[company.pk, contact.pk])).status_code == 404


def _detail_queries(client, customer) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail(customer))
    assert response.status_code == 200
    return len(queries)


def _add_activity(customer, users, count: int, start: int = 0) -> None:
    from kehu.customers.services import (
        consent_record,
        contact_create,
        customer_transfer,
        customer_update,
        status_record_create,
    )
    from kehu.purchases.services import product_get_or_create, transaction_create

    admin = users["administrator"]
    product = product_get_or_create(sku="P1", name="理财产品")
    owners = [users["account_manager"], users["other_account_manager"]]
    for number in range(start, start + count):
        transaction_create(actor=admin, customer=customer, amount=Decimal(100 + number), product=product,
                           occurred_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=number))
        contact_create(customer=customer, actor=admin, name=f"联系人{number}", mobile=f"1360013{number:04d}")
        consent_record(customer=customer, actor=admin, channel=["sms", "email", "phone", "post"][number % 4],
                       granted=bool(number % 2))
        status_record_create(customer=customer, actor=admin, main_business=f"业务{number}")
        customer.refresh_from_db()
        customer_update(customer=customer, actor=admin, notes=f"第{number}次", reason=f"原因{number}",
                        lifecycle_stage=["cultivation", "growth"][number % 2])
        customer_transfer(customers=[customer], new_owner=owners[number % 2], actor=admin, reason=f"调整{number}")


def test_detail_query_count_does_not_grow_with_activity(client, users, make_customer, django_assert_max_num_queries):
    from kehu.customers.models import CustomAttribute

    CustomAttribute.objects.create(key="wechat", label="微信号")
    company = make_customer("华商贸易", kind="organisation", custom_attributes={"wechat": "hs-trade"})
    _add_activity(company, users, 2)
    client.force_login(users["branch_manager"])
    client.get(detail(company))
    few = _detail_queries(client, company)
    _add_activity(company, users, 28, start=2)
    many = _detail_queries(client, company)
    assert many == few
    from kehu.core.registry import panel_list

    # the page itself (24: session, user, customer, profile, records, inbox count, ...) + each registered panel's
    # declared queries (customer value, contacts, plans, purchases, evaluations, strengthening, loyalty, links,
    # timeline)
    with django_assert_max_num_queries(24 + sum(panel.queries for panel in panel_list())):
        response = client.get(detail(company))
    panels = {item.key: item.data for item in response.context["panels"]}  # purchases moved into its panel
    assert len(panels["purchases"]["recent_transactions"]) == 10
    assert len(response.context["contacts"]) == 30
    assert "hs-trade" in page_text(response)
