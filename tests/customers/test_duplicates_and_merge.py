"""Duplicate detection (warnings and the managers' list) and merging two customers with per-field choices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.validators import resident_id_check_digit
from kehu.customers.merge import customer_merge, customer_merge_fields
from kehu.customers.models import (
    Consent,
    Contact,
    Customer,
    CustomerRelationship,
    LifecycleChange,
    MergeRecord,
    PersonalDataAccess,
    StatusRecord,
)
from kehu.customers.selectors import (
    customer_duplicate_groups,
    customer_duplicate_members,
    customer_history,
    customer_likely_duplicates,
)
from kehu.purchases.models import Transaction

CREDIT_CODE = "91110000600037341L"


def resident_id(region: str = "110105", born: str = "19900101", sequence: str = "123") -> str:
    body = region + born + sequence
    return body + resident_id_check_digit(body)


ID = resident_id(born="19800505", sequence="135")


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert English message texts."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_likely_duplicates_by_mobile_id_credit_code_and_name_with_birth_date(make_customer, users, org):
    zhang = make_customer("张三", mobile="13800138000", person={"id_number": ID})
    company = make_customer("某某公司", kind="organisation", organisation={"credit_code": CREDIT_CODE})
    make_customer("张三", branch=org["bj1"], mobile="13800138000")  # outside an SH1 user's scope
    admin = users["administrator"]
    found = customer_likely_duplicates(user=admin, mobile="138 0013 8000")
    assert len(found) == 2
    found = customer_likely_duplicates(user=users["account_manager"], mobile="13800138000", id_number=ID.lower())
    assert found == [zhang]
    assert [str(reason) for reason in found[0].duplicate_reasons] == ["Same mobile", "Same ID number"]
    assert customer_likely_duplicates(user=admin, credit_code=CREDIT_CODE.lower()) == [company]
    assert customer_likely_duplicates(user=admin, name="张三", birth_date=dt.date(1980, 5, 5)) == [zhang]
    assert customer_likely_duplicates(user=admin, mobile="13800138000", exclude_pk=zhang.pk)[0] != zhang
    assert customer_likely_duplicates(user=admin, mobile="not a phone") == []


def test_duplicate_groups_for_managers(make_customer, users, org, django_assert_max_num_queries):
    for name in ("张三", "张叁", "章三"):
        make_customer(name, mobile="13800138000")
    make_customer("李四", mobile="13900139000")
    make_customer("李四", person={"birth_date": dt.date(1970, 1, 1)})
    make_customer("李四", person={"birth_date": dt.date(1970, 1, 1)})
    admin = users["administrator"]
    groups = list(customer_duplicate_groups(user=admin, criterion="mobile"))
    assert groups == [{"key": "+8613800138000", "count": 3}]
    by_name = list(customer_duplicate_groups(user=admin, criterion="name_birth_date"))
    assert by_name == [{"key": "李四\t1970-01-01", "count": 2}]
    with django_assert_max_num_queries(3):
        members = customer_duplicate_members(user=admin, criterion="name_birth_date", keys=[by_name[0]["key"]])
        assert len(members["李四\t1970-01-01"]) == 2
    assert list(customer_duplicate_groups(user=users["bj_account_manager"], criterion="mobile")) == []


@pytest.fixture
def pair(make_customer, users, org):
    keep = make_customer("张三", mobile="13800138000", email="", address="上海徐汇", notes="老客户",
                         person={"id_number": ID, "employer": "甲公司"}, owner=users["account_manager"])
    merge = make_customer("张三", mobile="13900139000", email="zs@example.com", address="", notes="",
                          person={"employer": "乙公司", "position": "经理"})
    return keep, merge


def test_merge_fields_show_conflicts(pair):
    keep, merge = pair
    fields = {field.name: field for field in customer_merge_fields(keep=keep, merge=merge)}
    assert fields["mobile"].conflict and fields["employer"].conflict
    assert not fields["email"].conflict and fields["email"].result_from_merged
    assert not fields["address"].conflict and not fields["address"].result_from_merged
    assert not fields["name"].conflict


def test_merge_requires_a_choice_for_each_conflict(pair, users):
    keep, merge = pair
    with pytest.raises(ValidationError) as error:
        customer_merge(keep=keep, merge=merge, actor=users["administrator"], choices={"mobile": "keep"})
    assert "employer" in str(error.value).lower() or "工作单位" in str(error.value)
    assert Customer.objects.filter(pk=merge.pk).exists()


def test_merge_moves_everything_and_records_what_was_dropped(pair, users, make_customer):
    keep, merge = pair
    admin = users["administrator"]
    Contact.objects.create(customer=merge, name="家属")
    Transaction.objects.create(customer=merge, occurred_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), amount=10)
    Consent.objects.create(customer=merge, channel="sms", granted=True, recorded_at=dt.datetime(2025, 1, 1,
                                                                                                  tzinfo=dt.UTC))
    StatusRecord.objects.create(customer=merge, main_business="零售")
    PersonalDataAccess.objects.create(customer=merge, action="reveal", fields="mobile", reason="核实")
    friend = make_customer("王五")
    CustomerRelationship.objects.create(from_customer=friend, to_customer=merge, kind="referred")
    CustomerRelationship.objects.create(from_customer=friend, to_customer=keep, kind="referred")
    CustomerRelationship.objects.create(from_customer=merge, to_customer=keep, kind="family")
    from kehu.customers.services import tag_get_or_create

    keep.tags.add(tag_get_or_create(name="VIP"))
    merge.tags.add(tag_get_or_create(name="团购"))
    record = customer_merge(keep=keep, merge=merge, actor=admin, reason="同一人",
                            choices={"mobile": "merge", "employer": "keep"})
    assert not Customer.objects.filter(pk=merge.pk).exists()
    keep.refresh_from_db()
    assert keep.mobile == "+8613900139000"  # chosen from the merged customer
    assert keep.email == "zs@example.com"  # only the merged customer had one
    assert keep.address == "上海徐汇" and keep.notes == "老客户"
    assert keep.person.employer == "甲公司" and keep.person.position == "经理"
    assert keep.person.id_number == ID
    assert sorted(keep.tags.values_list("name", flat=True)) == ["VIP", "团购"]
    for model in (Contact, Transaction, Consent, StatusRecord, PersonalDataAccess):
        assert model.objects.filter(customer=keep).count() >= 1
    assert LifecycleChange.objects.filter(customer_id=merge.pk).count() == 0
    assert CustomerRelationship.objects.filter(to_customer=keep).count() == 1  # the duplicate link collapsed
    assert not CustomerRelationship.objects.filter(from_customer=keep, to_customer=keep).exists()
    assert record.merged_code == merge.code and record.kept_customer == keep
    assert record.field_choices["mobile"]["dropped_value"] == "+8613800138000"
    assert record.field_choices["employer"]["dropped_value"] == "乙公司"
    assert record.merged_snapshot["email"] == "zs@example.com"
    assert record.moved["purchases.Transaction"] == 1
    assert MergeRecord.objects.count() == 1
    assert any(f"Merged with {merge.code}" in entry.reason for entry in customer_history(customer=keep))
    assert Customer.history.filter(id=merge.pk, history_type="-").exists()


def test_only_managers_merge_customers_they_may_change(pair, users, org, make_customer):
    keep, merge = pair
    with pytest.raises(PermissionDenied):
        customer_merge(keep=keep, merge=merge, actor=users["account_manager"], choices={})
    far = make_customer("张三", branch=org["bj1"])
    with pytest.raises(PermissionDenied):
        customer_merge(keep=keep, merge=far, actor=users["branch_manager"], choices={})
    company = make_customer("某公司", kind="organisation")
    with pytest.raises(ValidationError):
        customer_merge(keep=keep, merge=company, actor=users["administrator"], choices={})
    assert Customer.objects.filter(pk__in=[merge.pk, far.pk, company.pk]).count() == 3
