"""One writer of customers (issue 10, item 2): the form/API services and the import's bulk writer apply the same
rules, and the bulk writer refuses what the actor may not write.

Through the real entry points: ``customer_create`` (what the forms and the API call), the import service
(``import_job_create`` + ``import_run``) and ``kehu.customers.upsert.CustomerBulkWriter`` itself.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.core.validators import resident_id_check_digit
from kehu.customers import rules
from kehu.customers.models import Activity, Customer, LifecycleChange, OwnershipTransfer, PersonProfile
from kehu.customers.upsert import (
    CUSTOMER_DEFAULTS,
    PERSON_DEFAULTS,
    CustomerBulkWriter,
    CustomerChange,
    NewCustomer,
    customer_write_scope,
)

HEADERS = ["客户编号", "客户名称", "手机号码", "所属门店", "身份证号码", "钱包份额"]


def _resident_id(born: str, sequence: str) -> str:
    first17 = f"110105{born}{sequence}"
    return first17 + resident_id_check_digit(first17)


def _import(tmp_path, rows, *, user, key="code", name="customers.csv"):
    from kehu.imports.services import import_job_create, import_run

    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    job = import_job_create(target="customers", file_path=path, user=user, key=key, mode="skip-bad", language="en")
    return import_run(job=job)


def _derived(customer: Customer) -> tuple:
    profile = PersonProfile.objects.get(customer=customer)
    return (customer.name_pinyin, customer.name_initials, customer.mobile_last4, customer.relationship_stage,
            customer.version, profile.birth_date, profile.gender)


def test_import_and_form_derive_the_same_values(users, org, make_customer, tmp_path):
    """The same person, entered in the form and imported from a file, gets the same derived values."""
    formed = make_customer("单于飞", mobile="+8613912345678", share_of_wallet=Decimal("65"),
                           person={"id_number": _resident_id("19880512", "231")})
    job = _import(tmp_path, [["P-IMPORTED", "单于飞", "13912345678", "SH1", _resident_id("19880512", "231"), "65"]],
                  user=users["administrator"])
    assert (job.created, job.failed) == (1, 0), list(job.row_errors.values_list("reason", flat=True))
    imported = Customer.objects.get(code="P-IMPORTED")
    assert _derived(imported) == _derived(formed)
    assert _derived(formed)[2:] == ("5678", "stable", 1, dt.date(1988, 5, 12), "male")


def test_import_writes_the_timeline_as_the_services_do(users, org, make_customer, tmp_path):
    """A created customer's first lifecycle record and a changed account manager are on the timeline, with the
    lifecycle record and the transfer they name."""
    job = _import(tmp_path, [["P-1", "王小明", "13800001111", "SH1", "", ""]], user=users["administrator"])
    assert job.created == 1
    customer = Customer.objects.get(code="P-1")
    change = LifecycleChange.objects.get(customer=customer)
    activity = Activity.objects.get(customer=customer, kind="lifecycle")
    assert (activity.subject_type, activity.subject_id) == ("customers.lifecyclechange", change.pk)
    assert activity.data["new"] == customer.lifecycle_status == change.new_value
    assert activity.branch_id == org["sh1"].pk

    path = tmp_path / "owners.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["客户编号", "客户经理"], ["P-1", "am2"]])
    from kehu.imports.services import import_job_create, import_run

    job = import_run(job=import_job_create(target="customers", file_path=path, user=users["administrator"],
                                           key="code", mode="skip-bad", language="en"))
    assert job.updated == 1, list(job.row_errors.values_list("reason", flat=True))
    transfer = OwnershipTransfer.objects.get(customer=customer)
    activity = Activity.objects.get(customer=customer, kind="transfer")
    assert (activity.subject_type, activity.subject_id) == ("customers.ownershiptransfer", transfer.pk)
    assert activity.data["to_owner"] == str(users["other_account_manager"])


def _new(branch, **values) -> NewCustomer:
    customer = {**CUSTOMER_DEFAULTS, "kind": "person", "name": "李四", "branch_id": branch.pk, "code": "", **values}
    return NewCustomer(customer=customer, person=dict(PERSON_DEFAULTS))


def test_bulk_writer_refuses_another_branch(users, org):
    """An account manager's scope: a new customer in another branch is refused, nothing is written."""
    writer = CustomerBulkWriter(scope=customer_write_scope(users["account_manager"]), reason="test",
                                now=timezone.now())
    with pytest.raises(PermissionDenied):
        writer.create([_new(org["sh1"]), _new(org["bj1"])])
    assert not Customer.objects.exists()
    created = writer.create([_new(org["sh1"], mobile="+8613800002222")])
    stored = Customer.objects.get(pk=created[0])
    # account managers own what they create; the code comes from the pattern; the rules filled the keys
    assert stored.owner_id == users["account_manager"].pk
    assert stored.code and stored.mobile_last4 == "2222" and stored.name_pinyin == "lisi"


def test_bulk_writer_refuses_changes_of_customers_out_of_scope(users, org, make_customer):
    """Changing a customer of another branch, or a transfer without the transfer permission, is refused."""
    beijing = make_customer("赵六", branch=org["bj1"])
    shanghai = make_customer("钱七", branch=org["sh1"], owner=users["account_manager"])
    writer = CustomerBulkWriter(scope=customer_write_scope(users["account_manager"]), reason="test",
                                now=timezone.now())
    with pytest.raises(PermissionDenied):
        writer.update([CustomerChange(customer_id=beijing.pk, changes={"notes": "x"})])
    with pytest.raises(PermissionDenied):
        writer.update([CustomerChange(customer_id=shanghai.pk, changes={"owner_id": users["other_account_manager"].pk},
                                      transfer=(users["account_manager"].pk, users["other_account_manager"].pk,
                                                org["sh1"].pk, None))])
    assert writer.update([CustomerChange(customer_id=shanghai.pk, changes={"name": "钱八"})]) == 1
    shanghai.refresh_from_db()
    assert (shanghai.name, shanghai.name_pinyin, shanghai.version) == ("钱八", "qianba", 2)
    assert shanghai.history.count() == 2


@settings(max_examples=200)
@given(st.integers(min_value=13_000_000_000, max_value=19_999_999_999))
def test_mobile_suffix_rule_is_the_national_numbers_last_four_digits(number):
    from kehu.core.validators import national_digits

    e164 = f"+86{number}"
    assert rules.mobile_last4(e164) == national_digits(e164)[-4:] == str(number)[-4:]


@settings(max_examples=200)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()), st.integers(0, 999))
def test_birth_date_and_gender_rule_reads_the_id_number_as_the_validators_do(born, sequence):
    from kehu.core import validators

    number = _resident_id(born.strftime("%Y%m%d"), f"{sequence:03d}")
    derived = rules.birth_date_and_gender_from_id(id_type="resident_id", id_number=number, birth_date=None, gender="")
    assert derived == (validators.resident_id_birth_date(number), validators.resident_id_gender(number)) \
        == (born, "male" if sequence % 2 else "female")
    # given values are kept; other document types derive nothing
    assert rules.birth_date_and_gender_from_id(id_type="resident_id", id_number=number, birth_date=dt.date(2000, 1, 1),
                                               gender="female") == (dt.date(2000, 1, 1), "female")
    assert rules.birth_date_and_gender_from_id(id_type="passport", id_number=number, birth_date=None,
                                               gender="") == (None, "")


def test_rules_name_the_resident_id_type_as_the_model_does():
    assert rules.RESIDENT_ID == PersonProfile.IdType.RESIDENT_ID
