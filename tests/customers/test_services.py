import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kehu.customers.models import (
    CodeSettings,
    Consent,
    CustomAttribute,
    LifecycleChange,
    OwnershipTransfer,
    PersonalDataAccess,
)
from kehu.customers.selectors import customer_current_consents, customer_history
from kehu.customers.services import (
    consent_record,
    contact_create,
    customer_transfer,
    customer_transfer_all_from,
    customer_update,
    personal_data_reveal,
)

CREDIT_CODE = "91110000600037341L"


def test_organisation_with_credit_code_and_contacts(make_customer, users):
    company = make_customer("北京某某科技有限公司", kind="organisation",
                            organisation={"credit_code": CREDIT_CODE.lower(), "industry": "软件"})
    assert company.organisation.credit_code == CREDIT_CODE
    assert company.name_initials == "bjmmkjyxgs"
    contact = contact_create(customer=company, actor=users["administrator"], name="李经理", role="general_manager",
                             mobile="13912345678", is_primary=True)
    assert contact.mobile == "+8613912345678"


def test_bad_credit_code_names_the_field(make_customer):
    with pytest.raises(ValidationError) as error:
        make_customer("坏公司", kind="organisation", organisation={"credit_code": "91110000600037341M"})
    assert list(error.value.message_dict) == ["credit_code"]


def test_bad_mobile_and_email_name_their_fields(make_customer):
    with pytest.raises(ValidationError) as error:
        make_customer("张三", mobile="12345", email="not-an-email")
    assert set(error.value.message_dict) == {"mobile", "email"}


def test_code_pattern_is_configurable(make_customer, org):
    CodeSettings.objects.update_or_create(pk=1, defaults={"pattern": "{branch}-{year}-{seq:05d}", "next_number": 7})
    customer = make_customer("张三")
    assert customer.code == f"SH1-{dt.date.today().year}-00007"
    assert make_customer("李四").code.endswith("00008")


def test_custom_attributes_validated(make_customer):
    CustomAttribute.objects.create(
        key="car_brand", label="车辆品牌", type="choice", choices="宝马\n奔驰", required=True
    )
    CustomAttribute.objects.create(key="children", label="子女数", type="number")
    with pytest.raises(ValidationError) as error:
        make_customer("张三")
    assert "custom_attributes" in error.value.message_dict
    with pytest.raises(ValidationError):
        make_customer("张三", custom_attributes={"car_brand": "大众"})
    with pytest.raises(ValidationError):
        make_customer("张三", custom_attributes={"car_brand": "宝马", "children": "two"})
    customer = make_customer("张三", custom_attributes={"car_brand": "宝马", "children": "2"})
    assert customer.custom_attributes == {"car_brand": "宝马", "children": 2}


def test_lifecycle_change_recorded_with_reason(make_customer, users):
    customer = make_customer("张三")
    customer_update(customer=customer, actor=users["administrator"], lifecycle_status="lost",
                    lifecycle_stage="decline", reason="搬家到外地")
    changes = {(c.field, c.old_value, c.new_value, c.reason) for c in LifecycleChange.objects.filter(customer=customer)}
    assert ("status", "prospect", "lost", "搬家到外地") in changes
    assert ("stage", "identification", "decline", "搬家到外地") in changes


def test_share_of_wallet_sets_relationship_stage(make_customer, users):
    customer = make_customer("张三", share_of_wallet=65)
    assert customer.relationship_stage == "stable"
    customer_update(customer=customer, actor=users["administrator"], share_of_wallet=90)
    assert customer.relationship_stage == "strategic"
    with pytest.raises(ValidationError):
        customer_update(customer=customer, actor=users["administrator"], share_of_wallet=120)


def test_history_records_changes_with_masked_numbers(make_customer, users):
    customer = make_customer("张三", mobile="13800138000")
    customer_update(customer=customer, actor=users["administrator"], mobile="13912345678", notes="换号")
    entries = customer_history(customer=customer)
    changed = [e for e in entries if e.changes]
    assert changed, entries
    flat = {(label, old, new) for entry in changed for (label, old, new) in entry.changes}
    assert any(old == "138****8000" and new == "139****5678" for (_label, old, new) in flat)
    assert all("13800138000" not in (old + new) for (_label, old, new) in flat)


def test_bulk_transfer_when_staff_leaves(make_customer, users):
    leaving, successor = users["account_manager"], users["other_account_manager"]
    customers = [make_customer(f"客户{i}", owner=leaving) for i in range(5)]
    moved = customer_transfer_all_from(from_owner=leaving, new_owner=successor, actor=users["branch_manager"],
                                       reason="员工离职")
    assert moved == 5
    assert all(c.owner == successor for c in type(customers[0]).objects.filter(pk__in=[c.pk for c in customers]))
    assert OwnershipTransfer.objects.filter(reason="员工离职", from_owner=leaving).count() == 5
    assert len(set(OwnershipTransfer.objects.values_list("batch", flat=True))) == 1


def test_transfer_needs_permission_and_reason(make_customer, users):
    customer = make_customer("张三", owner=users["account_manager"])
    with pytest.raises(PermissionDenied):
        customer_transfer(customers=[customer], new_owner=users["other_account_manager"],
                          actor=users["account_manager"], reason="x")
    with pytest.raises(ValidationError):
        customer_transfer(customers=[customer], new_owner=users["other_account_manager"],
                          actor=users["branch_manager"], reason=" ")


def test_transfer_refuses_customers_out_of_scope(make_customer, users, org):
    bj = make_customer("王五", branch=org["bj1"])
    with pytest.raises(PermissionDenied):
        customer_transfer(customers=[bj], new_owner=users["account_manager"], actor=users["branch_manager"],
                          reason="调整")


def test_transfer_refuses_a_new_owner_outside_the_actors_branches(make_customer, users):
    """The service itself checks the new owner, whatever entry point calls it: an East manager cannot hand a customer
    to a Beijing account manager, and nothing moves."""
    customer = make_customer("张三", owner=users["account_manager"])
    with pytest.raises(ValidationError) as raised:
        customer_transfer(customers=[customer], new_owner=users["bj_account_manager"], actor=users["branch_manager"],
                          reason="调整")
    assert "owner" in raised.value.message_dict
    customer.refresh_from_db()
    assert customer.owner == users["account_manager"]
    assert not OwnershipTransfer.objects.filter(customer=customer).exists()


def test_consent_newest_event_wins(make_customer, users):
    customer = make_customer("张三")
    agent = users["service_agent"]
    consent_record(customer=customer, actor=agent, channel="sms", granted=True, source="store")
    consent_record(customer=customer, actor=agent, channel="sms", granted=False, source="phone")
    current = customer_current_consents(customer=customer)
    assert current["sms"].granted is False and current["sms"].source == "phone"
    assert current["email"] is None
    assert Consent.objects.filter(customer=customer).count() == 2


def test_reveal_requires_permission_reason_and_is_logged(make_customer, users):
    customer = make_customer("张三", mobile="13800138000", person={"id_number": "11010519491231002X"},
                             owner=users["account_manager"])
    with pytest.raises(PermissionDenied):
        personal_data_reveal(customer=customer, actor=users["marketer"], fields=["mobile"], reason="营销")
    with pytest.raises(ValidationError):
        personal_data_reveal(customer=customer, actor=users["account_manager"], fields=["mobile"], reason="")
    values = personal_data_reveal(customer=customer, actor=users["account_manager"],
                                  fields=["mobile", "id_number"], reason="客户来电核实身份")
    assert values == {"mobile": "+8613800138000", "id_number": "11010519491231002X"}
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.customer, log.action, log.fields, log.reason) == (
        users["account_manager"], customer, "reveal", "mobile,id_number", "客户来电核实身份"
    )


def test_auditor_changes_nothing(make_customer, users):
    customer = make_customer("张三")
    with pytest.raises(PermissionDenied):
        customer_update(customer=customer, actor=users["auditor"], notes="x")


def test_history_shows_labels_and_newest_changes(make_customer, users):
    customer = make_customer("张三")
    admin = users["administrator"]
    for index in range(8):
        customer_update(customer=customer, actor=admin, notes=f"note {index}")
    customer_update(customer=customer, actor=admin, lifecycle_status="current", owner=users["account_manager"],
                    reason="首次购买")
    with translation.override("en"):
        entries = customer_history(customer=customer, limit=5)
    assert len(entries) == 5
    newest = entries[0]
    assert newest.reason == "首次购买"
    changes = {label: (old, new) for label, old, new in newest.changes}
    assert changes["lifecycle status"] == ("Prospect", "Current")
    assert any(new == str(users["account_manager"]) for _old, new in changes.values())
    assert entries[1].changes[0][2] == "note 7"
