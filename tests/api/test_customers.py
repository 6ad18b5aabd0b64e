"""The customers endpoints through the test client with a real token: success, validation (422), 404, 409."""

from __future__ import annotations

import pytest

from kehu.customers.models import CustomAttribute, Customer, LifecycleChange, OwnershipTransfer, Tag

from .conftest import error_of

VALID_ID = "11010519491231002X"
VALID_CREDIT_CODE = "91310000MA1FL0000N"


def person_body(org, **overrides):
    body = {"kind": "person", "name": "张三", "branch_id": org["sh1"].pk, "mobile": "13800138000",
            "email": "Zhang.San@Example.com", "person": {"id_number": VALID_ID}}
    body.update(overrides)
    return body


# ------------------------------------------------------------------------------------------------------------ create
def test_create_person(api_as, org, users):
    response = api_as("branch_manager").post("/api/customers", person_body(org, tags=["VIP", "wedding 2026"]))

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.name == "张三" and customer.mobile == "+8613800138000" and customer.email == "zhang.san@example.com"
    assert customer.person.id_number == VALID_ID and customer.person.gender == "female"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "wedding 2026"]
    assert body["code"].startswith("KH") and body["version"] == 1
    assert body["mobile"] == "138****8000"
    assert body["email"] == "z***@example.com"
    assert body["person"]["id_number"] == "1101**********002X"
    assert body["person"]["birth_date"] == "1949-12-31"
    assert body["organisation"] is None
    assert body["branch"] == {"id": org["sh1"].pk, "code": "SH1", "name": "上海一店"}
    assert sorted(body["tags"]) == ["VIP", "wedding 2026"]


def test_account_manager_owns_what_they_create(api_as, org, users):
    response = api_as("account_manager").post("/api/customers", person_body(org))

    assert response.status_code == 201, response.content
    assert response.json()["owner"]["id"] == users["account_manager"].pk


def test_create_organisation(api_as, org):
    body = {"kind": "organisation", "name": "上海某某科技有限公司", "branch_id": org["sh2"].pk,
            "phone": "021-6888 8888", "organisation": {"credit_code": VALID_CREDIT_CODE, "staff_count": 120}}
    response = api_as("administrator").post("/api/customers", body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "organisation" and data["person"] is None
    assert data["organisation"]["credit_code"] == VALID_CREDIT_CODE
    assert data["organisation"]["staff_count"] == 120
    assert data["phone"] == "021****8888"
    assert Customer.objects.get(pk=data["id"]).phone == "+862168888888"


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"person": {"id_number": "110105194912310021"}}, "person.id_number", "check digit"),
        ({"mobile": "1380013800"}, "mobile", "phone number"),
        ({"email": "not-an-email"}, "email", "email"),
        ({"kind": "organisation", "person": None, "organisation": {"credit_code": "91310000MA1FL0000A"}},
         "organisation.credit_code", "check character"),
        ({"name": "  "}, "name", "name"),
        ({"lifecycle_status": "dormant"}, "lifecycle_status", "valid choice"),
        ({"branch_id": "SH1"}, "branch_id", "whole number"),
        ({"mobil": "13800138000"}, "mobil", "Unknown field"),
        ({"person": {"id_number": VALID_ID, "birth_date": "1950-01-01"}}, "person.id_number", "birth date"),
        ({"share_of_wallet": "120"}, "share_of_wallet", "percentage"),
    ],
)
def test_create_validation_names_each_field(api_as, org, overrides, field, text):
    response = api_as("administrator").post("/api/customers", person_body(org, **overrides))

    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert any(text.lower() in message.lower() for message in error["fields"][field]), error
    assert not Customer.objects.exists()


def test_create_several_bad_fields_named_together(api_as, org):
    body = person_body(org, mobile="12345", email="bad@", person={"id_number": "110105194912310021"})
    response = api_as("administrator").post("/api/customers", body)

    assert response.status_code == 422
    assert {"mobile", "email", "person.id_number"} <= set(error_of(response)["fields"])


def test_missing_required_fields(api_as):
    response = api_as("administrator").post("/api/customers", {})

    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert fields["kind"] == ["This field is required."]
    assert {"name", "branch_id"} <= set(fields)


def test_validation_messages_in_the_request_language(api_as, org):
    response = api_as("administrator", language="zh-hans").post("/api/customers", person_body(org, kind="x"))

    assert response.status_code == 422
    english = api_as("administrator").post("/api/customers", person_body(org, kind="x"))
    assert error_of(response)["fields"]["kind"] != error_of(english)["fields"]["kind"]
    assert error_of(english)["fields"]["kind"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_create_in_a_branch_outside_scope_is_refused(api_as, org):
    response = api_as("branch_manager").post("/api/customers", person_body(org, branch_id=org["bj1"].pk))

    assert response.status_code == 422
    assert "branch_id" in error_of(response)["fields"]
    assert not Customer.objects.exists()


def test_create_with_unknown_branch(api_as, org):
    response = api_as("administrator").post("/api/customers", person_body(org, branch_id=987654))

    assert response.status_code == 422
    assert "branch_id" in error_of(response)["fields"]


def test_create_refused_without_permission_creates_no_tags(api_as, org):
    response = api_as("marketer").post("/api/customers", person_body(org, tags=["new tag"]))

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not Customer.objects.exists() and not Tag.objects.exists()


def test_custom_attributes_validated(api_as, org):
    CustomAttribute.objects.create(key="shoe_size", label="Shoe size", type=CustomAttribute.Type.NUMBER)
    client = api_as("administrator")

    bad = client.post("/api/customers", person_body(org, custom_attributes={"shoe_size": "big"}))
    good = client.post("/api/customers", person_body(org, custom_attributes={"shoe_size": "42"}))

    assert bad.status_code == 422
    assert error_of(bad)["fields"]["custom_attributes"] == ["Shoe size must be a number."]
    assert good.status_code == 201 and good.json()["custom_attributes"] == {"shoe_size": 42}


# -------------------------------------------------------------------------------------------------------------- read
def test_read_masks_personal_data(api_as, make_customer):
    customer = make_customer("张三", mobile="13800138000", phone="010-6512 3456", email="zs@example.com",
                             person={"id_number": VALID_ID})

    response = api_as("credit_officer").get(f"/api/customers/{customer.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["mobile"] == "138****8000"
    assert body["phone"] == "010****3456"
    assert body["email"] == "z***@example.com"
    assert body["person"]["id_number"] == "1101**********002X"
    assert "13800138000" not in response.content.decode() and VALID_ID not in response.content.decode()


def test_read_unknown_customer_is_404(api_as):
    response = api_as("administrator").get("/api/customers/999999")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_read_another_branchs_customer_is_404(api_as, make_customer, org):
    customer = make_customer("李四", branch=org["bj1"])

    response = api_as("account_manager").get(f"/api/customers/{customer.pk}")

    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_bad_id_in_path_is_422(api_as):
    response = api_as("administrator").get("/api/customers/abc")

    assert response.status_code == 422
    assert "customer_id" in error_of(response)["fields"]


# -------------------------------------------------------------------------------------------------------------- list
def test_list_search_and_filters(api_as, make_customer, org, users):
    zhang = make_customer("张三", mobile="13800138000", owner=users["account_manager"])
    li = make_customer("李四", mobile="13900139000", branch=org["sh2"], lifecycle_status="current")
    make_customer("王五", branch=org["bj1"])
    client = api_as("branch_manager")

    def names(**query):
        response = client.get("/api/customers", **query)
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()["items"]]

    assert names() == ["李四", "张三"]  # not the Beijing customer: out of the East region's scope
    assert names(q="zs") == ["张三"]
    assert names(q="8000") == ["张三"]
    assert names(branch=org["sh2"].pk) == ["李四"]
    assert names(branch=org["east"].pk) == ["李四", "张三"]
    assert names(owner=users["account_manager"].pk) == ["张三"]
    assert names(lifecycle_status="current") == ["李四"]
    assert names(kind="organisation") == []
    item = client.get("/api/customers", q="zs").json()["items"][0]
    assert item["id"] == zhang.pk and item["mobile"] == "138****8000"
    assert li.pk != zhang.pk


def test_list_filter_by_tag(api_as, make_customer):
    from kehu.customers.services import tag_get_or_create

    vip = tag_get_or_create(name="VIP")
    make_customer("张三", tags=[vip])
    make_customer("李四")

    response = api_as("administrator").get("/api/customers", tag=vip.pk)

    assert [item["name"] for item in response.json()["items"]] == ["张三"]
    assert response.json()["items"][0]["tags"] == ["VIP"]


def test_list_bad_filter_value_is_422(api_as):
    response = api_as("administrator").get("/api/customers", lifecycle_status="dormant", limit="x")

    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"lifecycle_status", "limit"}


def test_pagination(api_as, make_customer, settings):
    for number in range(7):
        make_customer(f"客户{number}")
    client = api_as("administrator")

    first = client.get("/api/customers", limit=3).json()
    third = client.get("/api/customers", limit=3, offset=6).json()
    default = client.get("/api/customers").json()
    too_many = client.get("/api/customers", limit=settings.KEHU_API_PAGE_SIZE_MAX + 1)

    assert first["count"] == 7 and len(first["items"]) == 3
    assert third["count"] == 7 and len(third["items"]) == 1
    assert len(default["items"]) == 7
    ids = [item["id"] for item in first["items"]] + [item["id"] for item in third["items"]]
    assert len(set(ids)) == 4
    assert too_many.status_code == 422 and "limit" in error_of(too_many)["fields"]


def _make_many(make_customer, count):
    from kehu.customers.services import tag_get_or_create

    tag = tag_get_or_create(name="VIP")
    for number in range(count):
        make_customer(f"客户{number}", mobile=f"1380013{number:04d}", tags=[tag])


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow(api_as, make_customer, django_assert_max_num_queries, rows):
    _make_many(make_customer, rows)
    client = api_as("branch_manager")
    client.get("/api/customers")  # token last-used stamp written once

    with django_assert_max_num_queries(9):
        response = client.get("/api/customers", limit=50)

    assert response.json()["count"] == rows


def test_list_query_count_is_the_same_for_3_and_30_rows(api_as, make_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as("branch_manager")
    _make_many(make_customer, 3)
    client.get("/api/customers")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/customers", limit=50)
    _make_many(make_customer, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/customers", limit=50)

    assert response.json()["count"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)


# ------------------------------------------------------------------------------------------------------------ update
def test_update(api_as, make_customer, users):
    customer = make_customer("张三", mobile="13800138000", person={"id_number": VALID_ID})

    response = api_as("branch_manager").patch(f"/api/customers/{customer.pk}", {
        "version": 1, "name": "张三丰", "lifecycle_status": "current", "reason": "first purchase",
        "person": {"employer": "Kehu Ltd"}, "tags": ["VIP"], "owner_id": users["account_manager"].pk,
    })

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "张三丰" and body["version"] == 2 and body["tags"] == ["VIP"]
    assert body["person"]["employer"] == "Kehu Ltd"
    assert body["person"]["id_number"] == "1101**********002X"  # untouched
    assert body["owner"]["id"] == users["account_manager"].pk
    customer.refresh_from_db()
    assert customer.name_initials == "zsf" and customer.mobile == "+8613800138000"
    change = LifecycleChange.objects.get(customer=customer, field="status", new_value="current")
    assert change.reason == "first purchase" and change.changed_by == users["branch_manager"]
    assert customer.history.first().history_user == users["branch_manager"]


def test_update_conflict_is_409(api_as, make_customer):
    customer = make_customer("张三")
    client = api_as("administrator")
    assert client.patch(f"/api/customers/{customer.pk}", {"version": 1, "notes": "first"}).status_code == 200

    response = client.patch(f"/api/customers/{customer.pk}", {"version": 1, "notes": "second"})

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "version_conflict" and error["current_version"] == 2
    customer.refresh_from_db()
    assert customer.notes == "first"


def test_update_needs_version(api_as, make_customer):
    customer = make_customer("张三")

    response = api_as("administrator").patch(f"/api/customers/{customer.pk}", {"notes": "x"})

    assert response.status_code == 422
    assert error_of(response)["fields"] == {"version": ["This field is required."]}


def test_update_validation_names_profile_field(api_as, make_customer):
    customer = make_customer("张三", person={"id_number": VALID_ID})

    response = api_as("administrator").patch(f"/api/customers/{customer.pk}", {
        "version": 1, "mobile": "555", "person": {"id_number": "110105194912310021"},
    })

    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"mobile", "person.id_number"}
    customer.refresh_from_db()
    assert customer.version == 1 and customer.person.id_number == VALID_ID


def test_update_profile_of_the_wrong_kind_is_422(api_as, make_customer):
    customer = make_customer("张三")

    response = api_as("administrator").patch(f"/api/customers/{customer.pk}", {
        "version": 1, "organisation": {"industry": "retail"},
    })

    assert response.status_code == 422
    assert "organisation" in error_of(response)["fields"]


def test_update_merges_custom_attributes(api_as, make_customer):
    CustomAttribute.objects.create(key="shoe_size", label="Shoe size", type=CustomAttribute.Type.NUMBER)
    CustomAttribute.objects.create(key="hobby", label="Hobby")
    customer = make_customer("张三", custom_attributes={"shoe_size": 42, "hobby": "golf"})
    client = api_as("administrator")

    response = client.patch(f"/api/customers/{customer.pk}", {"version": 1, "custom_attributes": {"hobby": None}})

    assert response.status_code == 200, response.content
    assert response.json()["custom_attributes"] == {"shoe_size": 42}


# ------------------------------------------------------------------------------------------------------------ reveal
def test_reveal_needs_a_reason(api_as, make_customer):
    from kehu.customers.models import PersonalDataAccess

    customer = make_customer("张三", mobile="13800138000")

    response = api_as("account_manager").post(f"/api/customers/{customer.pk}/reveal", {"fields": ["mobile"]})

    assert response.status_code == 422
    assert "reason" in error_of(response)["fields"]
    assert not PersonalDataAccess.objects.exists()


def test_reveal_returns_plain_values_and_logs(api_as, make_customer, users):
    from kehu.customers.models import PersonalDataAccess

    customer = make_customer("张三", mobile="13800138000", person={"id_number": VALID_ID})

    response = api_as("account_manager").post(f"/api/customers/{customer.pk}/reveal", {
        "fields": ["mobile", "id_number"], "reason": "customer asked to confirm",
    })

    assert response.status_code == 200, response.content
    assert response.json() == {"customer_id": customer.pk,
                               "values": {"mobile": "+8613800138000", "id_number": VALID_ID}}
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.customer, access.action) == (users["account_manager"], customer, "reveal")
    assert access.fields == "mobile,id_number" and access.reason == "customer asked to confirm"


@pytest.mark.parametrize("role", ["service_agent", "marketer", "auditor"])
def test_reveal_without_the_permission_is_403(api_as, make_customer, role):
    from kehu.customers.models import PersonalDataAccess

    customer = make_customer("张三", mobile="13800138000")

    response = api_as(role).post(f"/api/customers/{customer.pk}/reveal", {"reason": "curious"})

    assert response.status_code == 403
    assert "13800138000" not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_reveal_of_another_branchs_customer_is_404(api_as, make_customer, org):
    customer = make_customer("张三", mobile="13800138000", branch=org["bj1"])

    response = api_as("account_manager").post(f"/api/customers/{customer.pk}/reveal", {"reason": "curious"})

    assert response.status_code == 404


def test_reveal_unknown_field_is_422(api_as, make_customer):
    customer = make_customer("张三")

    response = api_as("account_manager").post(f"/api/customers/{customer.pk}/reveal",
                                              {"fields": ["salary"], "reason": "x y"})

    assert response.status_code == 422
    assert "fields.0" in error_of(response)["fields"]


# ---------------------------------------------------------------------------------------------------------- transfer
def test_transfer_many(api_as, make_customer, users, org):
    first = make_customer("张三", owner=users["other_account_manager"])
    second = make_customer("李四", owner=users["other_account_manager"])

    response = api_as("branch_manager").post("/api/customers/transfer", {
        "customer_ids": [first.pk, second.pk], "new_owner_id": users["account_manager"].pk,
        "reason": "am2 leaves", "new_branch_id": org["sh2"].pk,
    })

    assert response.status_code == 200, response.content
    assert response.json() == {"transferred": 2}
    assert set(Customer.objects.values_list("owner_id", "branch_id")) == {(users["account_manager"].pk, org["sh2"].pk)}
    assert OwnershipTransfer.objects.filter(reason="am2 leaves").count() == 2


def test_transfer_needs_a_reason(api_as, make_customer, users):
    customer = make_customer("张三")

    response = api_as("branch_manager").post("/api/customers/transfer", {
        "customer_ids": [customer.pk], "new_owner_id": users["account_manager"].pk,
    })

    assert response.status_code == 422
    assert "reason" in error_of(response)["fields"]
    customer.refresh_from_db()
    assert customer.owner is None


def test_transfer_of_invisible_customer_is_404_and_moves_nothing(api_as, make_customer, users, org):
    mine = make_customer("张三")
    theirs = make_customer("李四", branch=org["bj1"])

    response = api_as("branch_manager").post("/api/customers/transfer", {
        "customer_ids": [mine.pk, theirs.pk], "new_owner_id": users["account_manager"].pk, "reason": "x",
    })

    assert response.status_code == 404
    assert not Customer.objects.filter(owner__isnull=False).exists()


def test_transfer_without_permission_is_403(api_as, make_customer, users):
    customer = make_customer("张三", owner=users["account_manager"])

    response = api_as("account_manager").post("/api/customers/transfer", {
        "customer_ids": [customer.pk], "new_owner_id": users["other_account_manager"].pk, "reason": "x",
    })

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.owner == users["account_manager"]


def test_transfer_to_unknown_staff_is_422(api_as, make_customer):
    customer = make_customer("张三")

    response = api_as("administrator").post("/api/customers/transfer", {
        "customer_ids": [customer.pk], "new_owner_id": 987654, "reason": "x",
    })

    assert response.status_code == 422
    assert "new_owner_id" in error_of(response)["fields"]


def test_blank_tag_name_is_422(api_as, org):
    response = api_as("administrator").post("/api/customers", person_body(org, tags=["VIP", "  "]))

    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["tags.1"]
    assert not Tag.objects.exists()


def test_list_count_is_capped(api_as, make_customer, settings):
    settings.KEHU_LIST_COUNT_CAP = 3
    for number in range(7):
        make_customer(f"客户{number}")
    client = api_as("administrator")

    first = client.get("/api/customers", limit=2).json()
    middle = client.get("/api/customers", limit=2, offset=2).json()
    end = client.get("/api/customers", limit=2, offset=6).json()
    beyond = client.get("/api/customers", limit=2, offset=8).json()

    assert (first["count"], first["count_is_exact"], len(first["items"])) == (3, False, 2)
    assert (middle["count"], middle["count_is_exact"]) == (5, False)  # counted 3 past the offset
    assert (end["count"], end["count_is_exact"], len(end["items"])) == (7, True, 1)
    assert (beyond["count"], beyond["count_is_exact"], beyond["items"]) == (7, True, [])
    assert client.get("/api/customers", q="客户", limit=2).json()["count_is_exact"] is False
    # a page larger than the cap is counted whole
    wide = client.get("/api/customers", limit=5).json()
    assert (wide["count"], wide["count_is_exact"], len(wide["items"])) == (5, False, 5)
