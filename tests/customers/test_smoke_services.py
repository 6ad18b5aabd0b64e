import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.services import ConcurrentUpdateError, customer_update


def test_create_person_sets_keys_and_code(make_customer):
    customer = make_customer("张三", mobile="138 0013 8000", person={"id_number": "11010519491231002X"})
    assert customer.code.startswith("KH")
    assert (customer.name_pinyin, customer.name_initials) == ("zhangsan", "zs")
    assert customer.mobile == "+8613800138000"
    assert customer.mobile_last4 == "8000"
    assert customer.person.birth_date.isoformat() == "1949-12-31"
    assert customer.person.gender == "female"


@pytest.mark.parametrize("query", ["zs", "zhangsan", "zhang", "张", "8000", "13800138000"])
def test_search(make_customer, users, query):
    customer = make_customer("张三", mobile="13800138000")
    make_customer("李四", mobile="13900139000")
    found = list(customer_list(user=users["administrator"], filters=CustomerFilters(query=query)))
    assert found == [customer]


def test_bad_id_rejected(make_customer):
    with pytest.raises(ValidationError) as error:
        make_customer("王五", person={"id_number": "110105194912310021"})
    assert "id_number" in error.value.message_dict


def test_id_number_of_the_other_gender_rejected(make_customer):
    # 11010519491231002X is a woman's number (17th digit 2, even)
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        make_customer("王五", person={"id_number": "11010519491231002X", "gender": "male"})
    assert " ".join(error.value.message_dict["id_number"]) == "证件号码属于女性，但填写的性别是男。"
    customer = make_customer("王六", person={"id_number": "11010519491231002X", "gender": "female"})
    assert customer.person.gender == "female"


def test_concurrent_update_detected(make_customer, users):
    customer = make_customer("张三")
    admin = users["administrator"]
    customer_update(customer=customer, actor=admin, expected_version=1, notes="first")
    with pytest.raises(ConcurrentUpdateError):
        customer_update(customer=customer, actor=admin, expected_version=1, notes="second")


def test_account_manager_edits_only_own(make_customer, users):
    own = make_customer("张三", owner=users["account_manager"])
    other = make_customer("李四", owner=users["other_account_manager"])
    customer_update(customer=own, actor=users["account_manager"], notes="mine")
    with pytest.raises(PermissionDenied):
        customer_update(customer=other, actor=users["account_manager"], notes="not mine")
