"""Hostile input to the staff UI answers 4xx or a form error in the user's language, never 500, and stores nothing.

Year 1 and 9999 dates, NUL bytes in forms, queries and paths, huge page numbers, a body over the request limit and
thousands of tags. The API's counterpart is ``tests/api/test_hostile_input.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.customers.models import Customer, Tag
from kehu.purchases.models import Transaction

from .helpers import field_errors, page_text

CREATE_PERSON = reverse("customers:create", args=["person"])
CREATE_ORGANISATION = reverse("customers:create", args=["organisation"])
LIST = reverse("customers:list")
HUGE = "99999999999999999999"


def person_data(org, **changes) -> dict:
    data = {"name": "张三", "branch": org["sh1"].pk, "lifecycle_status": "prospect",
            "lifecycle_stage": "identification", "management_class": "regular", "relationship_stage": "development",
            "id_type": "resident_id"}
    data.update(changes)
    return data


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["administrator"])
    return client


# ------------------------------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize("birth_date", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_impossible_birth_date_is_a_form_error(admin_client, org, birth_date):
    response = admin_client.post(CREATE_PERSON, person_data(org, birth_date=birth_date))

    assert response.status_code == 200
    assert any("1900-01-01" in message for message in field_errors(response.content, "birth_date"))
    assert not Customer.objects.exists()


def test_birth_date_message_is_in_chinese(client, users, org):
    client.force_login(users["administrator"])
    with translation.override("zh-hans"):
        response = client.post(CREATE_PERSON, person_data(org, birth_date="9999-12-31"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    messages = field_errors(response.content, "birth_date")
    assert messages and any("\u4e00" <= char <= "\u9fff" for char in messages[0]), messages


@pytest.mark.parametrize("founded_on", ["9999-12-31", "0001-01-01"])
def test_impossible_founding_date_is_a_form_error(admin_client, org, founded_on):
    data = {"name": "某公司", "branch": org["sh1"].pk, "lifecycle_status": "prospect",
            "lifecycle_stage": "identification", "management_class": "regular", "relationship_stage": "development",
            "business_status": "operating", "founded_on": founded_on}

    response = admin_client.post(CREATE_ORGANISATION, data)

    assert response.status_code == 200
    assert field_errors(response.content, "founded_on")
    assert not Customer.objects.exists()


def test_pages_show_a_purchase_stored_at_the_end_of_the_calendar(admin_client, api_client_as_admin, make_customer,
                                                                 users):
    """A row stored before the bounds existed (or written around them) must not take the customer's pages down."""
    customer = make_customer("张三", mobile="13800138000")
    Transaction.objects.bulk_create([
        Transaction(customer=customer, occurred_at=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC),
                    amount=Decimal("1.00"), branch=customer.branch),
        Transaction(customer=customer, occurred_at=dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC),
                    amount=Decimal("2.00"), branch=customer.branch),
    ])

    assert admin_client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    assert api_client_as_admin.get("/api/transactions").status_code == 200
    assert api_client_as_admin.get("/api/customers/lookup", phone="13800138000").status_code == 200


@pytest.fixture
def api_client_as_admin(users):
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    _token, key = api_token_create(user=users["administrator"], name="tests")
    return ApiClient(key)


# ---------------------------------------------------------------------------------------------------------- NUL
@pytest.mark.parametrize("field", ["name", "notes", "employer", "new_tags"])
def test_nul_byte_in_a_form_field_is_a_form_error(admin_client, org, field):
    response = admin_client.post(CREATE_PERSON, person_data(org, **{field: "张\x00三"}))

    assert response.status_code == 200
    assert field_errors(response.content, field), page_text(response)[:2000]
    assert not Customer.objects.exists()
    assert not Tag.objects.exists()


@pytest.mark.parametrize("query", [{"q": "张\x00"}, {"q\x00": "x"}, {"page": "1\x00"}])
def test_nul_byte_in_the_query_is_400(admin_client, query):
    response = admin_client.get(LIST, query)

    assert response.status_code == 400
    with translation.override("zh-hans"):  # the UI's default language
        expected = translation.gettext("Null characters are not allowed.")
    assert expected != "Null characters are not allowed."
    assert expected in page_text(response)


@pytest.mark.parametrize("path", ["/customers/1%00/", "/customers/%00", "/value/schemes/a%00/tiers/A/"])
def test_nul_byte_in_the_path_is_4xx(admin_client, path):
    response = admin_client.get(path)

    assert 400 <= response.status_code < 500


# ------------------------------------------------------------------------------------------------------ numbers
@pytest.mark.parametrize("url", [LIST, reverse("imports:list"), reverse("scoring:runs"), reverse("scoring:alerts")])
def test_huge_page_number_shows_the_last_page(admin_client, make_customer, url):
    make_customer("张三")

    response = admin_client.get(url, {"page": HUGE})

    assert response.status_code == 200


def test_huge_page_number_of_a_long_list_shows_its_last_page(admin_client, make_customer, settings):
    settings.KEHU_PAGE_SIZE = 2
    for number in range(5):
        make_customer(f"客户{number}")

    response = admin_client.get(LIST, {"page": HUGE})

    assert response.status_code == 200
    assert response.context["page"].number == 3


# ---------------------------------------------------------------------------------------------------- body size
def test_form_over_the_request_limit_is_413(admin_client, org, settings):
    settings.KEHU_MAX_REQUEST_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = admin_client.post(CREATE_PERSON, person_data(org, notes="x" * 20_000))

    assert response.status_code == 413
    assert "请求过大" in page_text(response)  # the UI's default language
    assert not Customer.objects.exists()


# ---------------------------------------------------------------------------------------------------------- tags
def test_thousands_of_new_tags_are_a_form_error(admin_client, org):
    tags = ",".join(f"t{n}" for n in range(10_000))

    response = admin_client.post(CREATE_PERSON, person_data(org, new_tags=tags))

    assert response.status_code == 200
    assert field_errors(response.content, "new_tags")
    assert not Tag.objects.exists() and not Customer.objects.exists()


def test_more_tags_than_a_customer_may_have_is_a_form_error(admin_client, org):
    from kehu.core.validators import TAGS_PER_CUSTOMER_MAX
    from kehu.customers.services import tag_get_or_create

    existing = [tag_get_or_create(name=f"t{n}").pk for n in range(TAGS_PER_CUSTOMER_MAX)]

    response = admin_client.post(CREATE_PERSON, person_data(org, tags=existing, new_tags="one more"))

    assert response.status_code == 200
    assert any(str(TAGS_PER_CUSTOMER_MAX) in message for message in field_errors(response.content, "new_tags"))
    assert not Customer.objects.exists()
    assert not Tag.objects.filter(name="one more").exists()


def test_too_long_new_tag_is_a_form_error(admin_client, org):
    response = admin_client.post(CREATE_PERSON, person_data(org, new_tags="x" * 60))

    assert response.status_code == 200
    assert field_errors(response.content, "new_tags")
    assert not Tag.objects.exists()
