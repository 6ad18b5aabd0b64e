"""The create and edit forms warn about likely duplicates before saving, with links to the matches the user may see,
and save only once the user chose "save anyway"; customers out of the user's sight are never revealed."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from kehu.customers.models import Customer

from .helpers import page_text

CREATE_PERSON = reverse("customers:create", args=["person"])
CREATE_ORGANISATION = reverse("customers:create", args=["organisation"])
GOOD_ID = "11010519491231002X"
CREDIT_CODE = "91110000600037341L"


def person_data(org, **changes) -> dict:
    data = {
        "name": "张三", "branch": org["sh1"].pk, "mobile": "", "id_type": "resident_id", "id_number": "",
        "lifecycle_status": "prospect", "lifecycle_stage": "identification", "management_class": "regular",
        "relationship_stage": "development",
    }
    data.update(changes)
    return data


def acknowledged(response) -> str:
    """The hidden confirm field of the form as the page renders it."""
    match = re.search(r'<input type="hidden" name="acknowledged_duplicates" value="([^"]*)"', response.content.decode())
    assert match, "no acknowledged_duplicates field with a value"
    return match.group(1)


def warning(response) -> str:
    text = response.content.decode()
    match = re.search(r'<div class="note note-warning" role="alert" id="duplicate-warning">(.*?)</div>', text, re.S)
    return match.group(1) if match else ""


def test_create_form_warns_with_a_link_and_saves_only_when_confirmed(client, users, org, make_customer):
    stored = make_customer("李雷", mobile="13800138000")
    client.force_login(users["account_manager"])
    client.cookies["django_language"] = "en"
    response = client.post(CREATE_PERSON, person_data(org, mobile="138 0013 8000"))
    assert response.status_code == 200
    assert Customer.objects.count() == 1  # nothing saved yet
    shown = warning(response)
    assert reverse("customers:detail", args=[stored.pk]) in shown and stored.code in shown and "李雷" in shown
    assert "Same mobile" in shown
    assert "138****8000" in shown and "13800138000" not in shown  # masked as in the lists
    assert "Save anyway" in shown
    assert acknowledged(response) == f"{stored.pk}:mobile"
    assert 'value="138 0013 8000"' in response.content.decode()  # the user's input is kept

    # submitting again without the confirmation still warns; with it, the customer is created
    again = client.post(CREATE_PERSON, person_data(org, mobile="138 0013 8000"))
    assert warning(again) and Customer.objects.count() == 1
    saved = client.post(CREATE_PERSON, person_data(org, mobile="138 0013 8000",
                                                   acknowledged_duplicates=acknowledged(response)))
    assert saved.status_code == 302
    created = Customer.objects.exclude(pk=stored.pk).get()
    assert (created.name, created.mobile) == ("张三", "+8613800138000")


def test_a_changed_field_that_matches_someone_else_warns_again(client, users, org, make_customer):
    first = make_customer("李雷", mobile="13800138000")
    second = make_customer("韩梅梅", mobile="13900139000")
    client.force_login(users["account_manager"])
    response = client.post(CREATE_PERSON, person_data(org, mobile="13800138000"))
    confirmation = acknowledged(response)
    assert confirmation == f"{first.pk}:mobile"
    # the user changes the mobile to one another customer has: the old confirmation does not cover it
    response = client.post(CREATE_PERSON, person_data(org, mobile="13900139000",
                                                      acknowledged_duplicates=confirmation))
    assert response.status_code == 200 and Customer.objects.count() == 2
    assert second.code in warning(response) and first.code not in warning(response)
    assert acknowledged(response) == f"{second.pk}:mobile"
    # a forged or garbled confirmation is ignored, not an error
    response = client.post(CREATE_PERSON, person_data(org, mobile="13900139000",
                                                      acknowledged_duplicates="x,1:evil,<b>"))
    assert response.status_code == 200 and warning(response)


def test_id_number_credit_code_and_name_with_birth_date_matches(client, users, org, make_customer):
    by_id = make_customer("王五", person={"id_number": GOOD_ID})
    company = make_customer("某某公司", kind="organisation", organisation={"credit_code": CREDIT_CODE})
    namesake = make_customer("赵六", person={"birth_date": dt.date(1985, 3, 1)})
    client.force_login(users["account_manager"])
    client.cookies["django_language"] = "en"

    response = client.post(CREATE_PERSON, person_data(org, name="王小五", id_number=GOOD_ID.lower()))
    assert by_id.code in warning(response) and "Same ID number" in warning(response)
    assert "1101**********002X" in warning(response) and GOOD_ID not in warning(response)

    data = {"name": "某某有限公司", "branch": org["sh1"].pk, "credit_code": CREDIT_CODE.lower(),
            "business_status": "operating", "lifecycle_status": "prospect", "lifecycle_stage": "identification",
            "management_class": "regular", "relationship_stage": "development"}
    response = client.post(CREATE_ORGANISATION, data)
    assert response.status_code == 200
    assert company.code in warning(response) and "Same credit code" in warning(response)
    assert client.post(CREATE_ORGANISATION, {**data, "acknowledged_duplicates": acknowledged(response)}) \
        .status_code == 302

    response = client.post(CREATE_PERSON, person_data(org, name="赵六", birth_date="1985-03-01"))
    assert namesake.code in warning(response) and "Same name and birth date" in warning(response)
    assert client.post(CREATE_PERSON, person_data(org, name="赵六", birth_date="1985-03-02")).status_code == 302


def test_edit_form_warns_on_a_changed_mobile_that_collides(client, users, org, make_customer, edit_data):
    customer = make_customer("张三", mobile="13800138000")
    same_mobile = make_customer("张三丰", mobile="13800138000")  # an old duplicate, already stored
    other = make_customer("李雷", mobile="13900139000")
    client.force_login(users["administrator"])
    edit_url = reverse("customers:edit", args=[customer.pk])
    # an edit that does not change the mobile does not warn about the duplicate that already exists, and the
    # customer itself is never its own duplicate
    assert client.post(edit_url, edit_data(customer, notes="老客户")).status_code == 302
    response = client.post(edit_url, edit_data(customer, mobile="13900139000"))
    assert response.status_code == 200
    shown = warning(response)
    assert other.code in shown and customer.code not in shown and same_mobile.code not in shown
    customer.refresh_from_db()
    assert customer.mobile == "+8613800138000"  # not saved
    response = client.post(edit_url, edit_data(customer, mobile="13900139000",
                                               acknowledged_duplicates=acknowledged(response)))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.mobile == "+8613900139000"


def test_a_match_in_another_branch_is_not_revealed(client, users, org, make_customer):
    hidden = make_customer("北京张三", branch=org["bj1"], mobile="13800138000", person={"id_number": GOOD_ID})
    client.force_login(users["account_manager"])  # store SH1: BJ1's customers are out of sight
    response = client.post(CREATE_PERSON, person_data(org, mobile="13800138000", id_number=GOOD_ID))
    assert response.status_code == 302  # saved as if no customer had this mobile: nothing to warn about
    page = page_text(client.get(response["Location"]))
    assert hidden.code not in page and "北京张三" not in page
    # the administrator, who sees both branches, is warned about both
    client.force_login(users["administrator"])
    response = client.post(CREATE_PERSON, person_data(org, name="李四", mobile="13800138000"))
    assert hidden.code in warning(response) and Customer.objects.count() == 2
