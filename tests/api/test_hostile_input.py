"""Hostile input to the API answers 4xx in the one error shape, never 500, and stores nothing the pages cannot show.

Year 1 and 9999 dates, NUL bytes in the body, query and path, a lone surrogate, huge offsets and numbers, a body over
the request limit, 10,000 tags, and an idempotent create replayed with a different body.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kehu.customers.models import Consent, Customer, PersonProfile, Tag
from kehu.purchases.models import Transaction

from .conftest import error_of

EXTREME_DATETIMES = ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59",
                     "0001-01-01T00:00:00Z"]


@pytest.fixture
def admin_api(api_as):
    return api_as("administrator")


@pytest.fixture
def customer(make_customer):
    return make_customer("张三")


def sale(customer, **fields):
    return {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00+08:00", "amount": "10.00", **fields}


# ------------------------------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize("when", EXTREME_DATETIMES)
def test_transaction_at_an_extreme_time_is_422_and_pages_still_answer(admin_api, customer, when):
    response = admin_api.post("/api/transactions", sale(customer, occurred_at=when))

    assert response.status_code == 422, response.content
    assert "occurred_at" in error_of(response)["fields"]
    assert not Transaction.objects.exists()
    assert admin_api.get("/api/transactions").status_code == 200
    assert admin_api.get(f"/api/customers/{customer.pk}").status_code == 200


@pytest.mark.parametrize("when", EXTREME_DATETIMES)
def test_consent_at_an_extreme_time_is_422(admin_api, customer, when):
    response = admin_api.post(f"/api/customers/{customer.pk}/consents",
                              {"channel": "sms", "granted": True, "recorded_at": when})

    assert response.status_code == 422, response.content
    assert "recorded_at" in error_of(response)["fields"]
    assert not Consent.objects.exists()


@pytest.mark.parametrize("birth_date", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_impossible_birth_date_is_422(admin_api, org, birth_date):
    response = admin_api.post("/api/customers", {"kind": "person", "name": "王五", "branch_id": org["sh1"].pk,
                                                 "person": {"birth_date": birth_date}})

    assert response.status_code == 422, response.content
    assert "person.birth_date" in error_of(response)["fields"]
    assert not Customer.objects.exists()


def test_birth_date_in_range_is_stored(admin_api, org):
    response = admin_api.post("/api/customers", {"kind": "person", "name": "王五", "branch_id": org["sh1"].pk,
                                                 "person": {"birth_date": "1950-06-01"}})

    assert response.status_code == 201, response.content
    assert str(PersonProfile.objects.get().birth_date) == "1950-06-01"


@pytest.mark.parametrize("founded_on", ["9999-12-31", "0001-01-01"])
def test_impossible_founding_date_is_422(admin_api, org, founded_on):
    response = admin_api.post("/api/customers", {"kind": "organisation", "name": "某公司", "branch_id": org["sh1"].pk,
                                                 "organisation": {"founded_on": founded_on}})

    assert response.status_code == 422, response.content
    assert "organisation.founded_on" in error_of(response)["fields"]


@pytest.mark.parametrize("query", [{"since": "0001-01-01T00:00:00+08:00"}, {"until": "9999-12-31T23:59:59-12:00"}])
def test_extreme_filter_time_is_422(admin_api, customer, query):
    response = admin_api.get("/api/transactions", **query)

    assert response.status_code == 422, response.content
    assert set(error_of(response)["fields"]) == set(query)


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01"])
def test_scoring_run_at_an_extreme_date_is_422(admin_api, as_of):
    response = admin_api.post("/api/scoring/runs", {"as_of": as_of})

    assert response.status_code == 422, response.content
    assert "as_of" in error_of(response)["fields"]


def test_date_message_is_in_the_users_language(api_as, customer):
    response = api_as("administrator", language="zh-hans").post("/api/transactions",
                                                                 sale(customer, occurred_at="9999-12-31T00:00:00Z"))

    assert response.status_code == 422
    message = error_of(response)["fields"]["occurred_at"][0]
    assert any("\u4e00" <= char <= "\u9fff" for char in message), message


# ---------------------------------------------------------------------------------------------- NUL and surrogates
@pytest.mark.parametrize(("body", "field"), [
    ({"name": "张\x00三"}, "name"),
    ({"notes": "备注\x00"}, "notes"),
    ({"tags": ["ok", "t\x00g"]}, "tags.1"),
    ({"person": {"employer": "\x00"}}, "person.employer"),
    ({"custom_attributes": {"k\x00": "v"}}, "custom_attributes"),
    ({"name": "张\ud800三"}, "name"),
])
def test_nul_byte_or_lone_surrogate_in_the_body_is_422(admin_api, org, body, field):
    payload = {"kind": "person", "name": "张三", "branch_id": org["sh1"].pk, **body}

    response = admin_api.post("/api/customers", payload)

    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"], error_of(response)
    assert not Customer.objects.exists()


def test_nul_byte_in_a_transaction_reference_is_422(admin_api, customer):
    response = admin_api.post("/api/transactions", sale(customer, external_ref="POS\x001"))

    assert response.status_code == 422, response.content
    assert "external_ref" in error_of(response)["fields"]


@pytest.mark.parametrize("path", ["/api/customers", "/api/transactions", "/api/staff"])
def test_nul_byte_in_the_query_is_422(admin_api, customer, path):
    response = admin_api.get(path, q="张\x00")

    assert response.status_code == 422, response.content
    assert "q" in error_of(response)["fields"]


def test_nul_byte_in_lookup_phone_is_422(admin_api, customer):
    response = admin_api.get("/api/customers/lookup", phone="138\x00")

    assert response.status_code == 422, response.content
    assert "phone" in error_of(response)["fields"]


@pytest.mark.parametrize("path", ["/api/scoring/schemes/a%00b/distribution", "/api/customers/1%00",
                                  "/api/customers/%00/contacts"])
def test_nul_byte_in_the_path_is_4xx(admin_api, path):
    response = admin_api.get(path)

    assert 400 <= response.status_code < 500, response.content
    error_of(response)


# -------------------------------------------------------------------------------------------------------- numbers
HUGE = "99999999999999999999"


@pytest.mark.parametrize("path", ["/api/customers", "/api/transactions", "/api/branches", "/api/scoring/runs",
                                  "/api/scoring/alerts"])
def test_huge_offset_is_422(admin_api, customer, path):
    response = admin_api.get(path, offset=HUGE)

    assert response.status_code == 422, response.content
    assert "offset" in error_of(response)["fields"]


def test_largest_offset_allowed_answers_an_empty_page(admin_api, customer):
    from kehu.api.pagination import OFFSET_MAX

    response = admin_api.get("/api/transactions", offset=OFFSET_MAX)

    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


def test_limit_over_the_maximum_is_422(admin_api, customer):
    from django.conf import settings

    response = admin_api.get("/api/customers", limit=settings.KEHU_API_PAGE_SIZE_MAX + 1)

    assert response.status_code == 422
    assert "limit" in error_of(response)["fields"]


@pytest.mark.parametrize("path", [f"/api/customers/{HUGE}", f"/api/customers/{HUGE}/contacts",
                                  f"/api/scoring/runs/{HUGE}", f"/api/scoring/customers/{HUGE}"])
def test_huge_id_in_the_path_is_404(admin_api, path):
    response = admin_api.get(path)

    assert response.status_code in {404, 422}, response.content
    error_of(response)


@pytest.mark.parametrize("query", [{"customer_id": HUGE}, {"customer_id": "-" + HUGE}])
def test_huge_id_in_the_query_is_4xx(admin_api, query):
    response = admin_api.get("/api/transactions", **query)

    assert response.status_code in {404, 422}, response.content
    error_of(response)


@pytest.mark.parametrize(("field", "value"), [("amount", "1" * 20), ("amount", "1e30"), ("margin", "-" + "9" * 16),
                                              ("quantity", "1" * 15), ("amount", "0.001")])
def test_number_beyond_the_column_is_422(admin_api, customer, field, value):
    response = admin_api.post("/api/transactions", sale(customer, **{field: value}))

    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"]
    message = error_of(response)["fields"][field][0]
    assert "digit" in message or "decimal" in message, message


@pytest.mark.parametrize(("profile", "field"), [({"staff_count": int(HUGE)}, "organisation.staff_count"),
                                                ({"staff_count": -1}, "organisation.staff_count"),
                                                ({"annual_revenue": "1" * 30}, "organisation.annual_revenue")])
def test_organisation_numbers_beyond_the_column_are_422(admin_api, org, profile, field):
    response = admin_api.post("/api/customers", {"kind": "organisation", "name": "某公司", "branch_id": org["sh1"].pk,
                                                 "organisation": profile})

    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize(("field", "value"), [("branch_id", int(HUGE)), ("owner_id", int(HUGE)),
                                              ("owner_id", -int(HUGE)), ("share_of_wallet", "1" * 30),
                                              ("share_of_wallet", "1e400")])
def test_huge_share_of_wallet_and_ids_in_a_body_are_422(admin_api, org, field, value):
    body = {"kind": "person", "name": "张三", "branch_id": org["sh1"].pk, field: value}

    response = admin_api.post("/api/customers", body)

    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"]


# ------------------------------------------------------------------------------------------------- request size
def test_body_over_the_limit_is_413(admin_api, customer, settings):
    settings.KEHU_MAX_REQUEST_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = admin_api.post("/api/transactions", sale(customer, notes="x" * 20_000))

    assert response.status_code == 413, response.content
    assert error_of(response)["code"] == "request_too_large"
    assert not Transaction.objects.exists()


def test_body_over_the_limit_without_a_length_header_is_413(users, customer, settings):
    """A body whose size the middleware cannot see in advance is refused when it is read."""
    from kehu.org.services import api_token_create

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.KEHU_MAX_REQUEST_BYTES = 10**9  # the header check lets it through; reading the body stops it
    _token, key = api_token_create(user=users["administrator"], name="tests")
    response = Client().post("/api/transactions", data=json.dumps(sale(customer, notes="x" * 20_000)),
                             content_type="application/json", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 413, response.content
    assert error_of(response)["code"] == "request_too_large"


# ---------------------------------------------------------------------------------------------------------- tags
def test_ten_thousand_tags_are_422_and_create_no_tag(admin_api, org):
    tags = [f"tag{n}" for n in range(10_000)]

    response = admin_api.post("/api/customers", {"kind": "person", "name": "张三", "branch_id": org["sh1"].pk,
                                                 "tags": tags})

    assert response.status_code == 422, response.content
    assert "tags" in error_of(response)["fields"]
    assert not Tag.objects.exists()
    assert not Customer.objects.exists()


def test_too_long_tag_is_422(admin_api, customer):
    response = admin_api.patch(f"/api/customers/{customer.pk}", {"version": customer.version, "tags": ["x" * 51]})

    assert response.status_code == 422, response.content
    assert "tags.0" in error_of(response)["fields"]


def test_tags_up_to_the_cap_are_kept(admin_api, customer):
    from kehu.core.validators import TAGS_PER_CUSTOMER_MAX

    tags = [f"t{n}" for n in range(TAGS_PER_CUSTOMER_MAX)]
    response = admin_api.patch(f"/api/customers/{customer.pk}", {"version": customer.version, "tags": tags})

    assert response.status_code == 200, response.content
    assert sorted(response.json()["tags"]) == sorted(tags)


# --------------------------------------------------------------------------------------------------- idempotency
@pytest.mark.parametrize("change", [{"amount": "11.00"}, {"occurred_at": "2025-03-02T10:00:00+08:00"},
                                    {"channel": "online"}, {"margin": "1.00"}, {"quantity": "2"}])
def test_replay_with_a_different_body_is_409(api_as, customer, change):
    client = api_as("administrator", language="zh-hans")
    body = sale(customer, external_ref="POS-1")
    assert client.post("/api/transactions", body).status_code == 201

    response = client.post("/api/transactions", {**body, **change})

    assert response.status_code == 409, response.content
    error = error_of(response)
    assert error["code"] == "idempotency_conflict"
    assert any("\u4e00" <= char <= "\u9fff" for char in error["message"]), error["message"]
    assert Transaction.objects.get().amount == 10


def test_replay_with_another_customer_is_409(admin_api, customer, make_customer):
    other = make_customer("李四")
    assert admin_api.post("/api/transactions", sale(customer, external_ref="POS-1")).status_code == 201

    response = admin_api.post("/api/transactions", sale(other, external_ref="POS-1"))

    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "idempotency_conflict"


def test_replay_naming_another_branch_is_409(admin_api, customer, org):
    body = sale(customer, external_ref="POS-1")
    assert admin_api.post("/api/transactions", body).status_code == 201

    response = admin_api.post("/api/transactions", {**body, "branch_id": org["sh2"].pk})

    assert response.status_code == 409, response.content
    assert set(error_of(response)["fields"]) == {"branch_id"}


def test_identical_replay_is_200_also_when_spelt_differently(admin_api, customer):
    body = sale(customer, external_ref="POS-1", amount="10.00", quantity="1")
    first = admin_api.post("/api/transactions", body)

    # the same time in UTC, the same amounts written differently
    replay = admin_api.post("/api/transactions", {**body, "occurred_at": "2025-03-01T02:00:00Z", "amount": "10",
                                                  "quantity": "1.000", "branch_id": customer.branch_id})

    assert first.status_code == 201
    assert replay.status_code == 200, replay.content
    assert replay.json()["id"] == first.json()["id"]
