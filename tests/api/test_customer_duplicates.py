"""``POST /api/customers`` and ``PATCH /api/customers/{id}`` answer 409 ``duplicate`` for a likely duplicate unless
the request says ``allow_duplicate``; only matches the caller may see are listed, others are never hinted at."""

from __future__ import annotations

from kehu.customers.models import Customer

from .conftest import error_of

URL = "/api/customers"
GOOD_ID = "11010519491231002X"
CREDIT_CODE = "91110000600037341L"


def person(org, **fields) -> dict:
    return {"kind": "person", "name": "张三", "branch_id": org["sh1"].pk, **fields}


def test_create_answers_409_with_the_matches(api_as, org, make_customer):
    stored = make_customer("李雷", mobile="13800138000", person={"id_number": GOOD_ID})
    api = api_as("account_manager")
    response = api.post(URL, person(org, mobile="138 0013 8000", person={"id_number": GOOD_ID.lower()}))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate"
    assert stored.code in error["message"] and "allow_duplicate" in error["message"]
    assert error["matches"] == [{"id": stored.pk, "code": stored.code, "name": "李雷",
                                 "reasons": ["mobile", "id_number"]}]
    assert set(error["fields"]) == {"mobile", "person.id_number"}
    assert Customer.objects.count() == 1

    forced = api.post(URL, person(org, mobile="138 0013 8000", person={"id_number": GOOD_ID}, allow_duplicate=True))
    assert forced.status_code == 201, forced.json()
    assert forced.json()["mobile"] == "138****8000"
    assert Customer.objects.count() == 2


def test_credit_code_and_name_with_birth_date_matches(api_as, org, make_customer):
    company = make_customer("某某公司", kind="organisation", organisation={"credit_code": CREDIT_CODE})
    namesake = make_customer("赵六", person={"birth_date": "1985-03-01"})
    api = api_as("account_manager")
    response = api.post(URL, {"kind": "organisation", "name": "某某有限公司", "branch_id": org["sh1"].pk,
                              "organisation": {"credit_code": CREDIT_CODE}})
    assert response.status_code == 409
    assert error_of(response)["matches"] == [{"id": company.pk, "code": company.code, "name": "某某公司",
                                              "reasons": ["credit_code"]}]
    assert error_of(response)["fields"] == {"organisation.credit_code": [f"Customer {company.code} has the same "
                                                                         "value."]}
    response = api.post(URL, person(org, name="赵六", person={"birth_date": "1985-03-01"}))
    assert response.status_code == 409
    assert error_of(response)["matches"][0]["id"] == namesake.pk
    assert error_of(response)["matches"][0]["reasons"] == ["name_birth_date"]
    assert set(error_of(response)["fields"]) == {"name", "person.birth_date"}
    assert api.post(URL, person(org, name="赵六", person={"birth_date": "1985-03-02"})).status_code == 201


def test_a_match_in_another_branch_is_not_revealed(api_as, org, make_customer):
    hidden = make_customer("北京张三", branch=org["bj1"], mobile="13800138000", person={"id_number": GOOD_ID})
    response = api_as("account_manager").post(URL, person(org, mobile="13800138000", person={"id_number": GOOD_ID}))
    assert response.status_code == 201  # as if nobody had this mobile: not even a hint that someone does
    assert hidden.code not in response.content.decode() and "北京" not in response.content.decode()
    created = response.json()["id"]
    # the administrator sees both branches and is told about both customers
    response = api_as("administrator").post(URL, person(org, name="李四", mobile="13800138000"))
    assert response.status_code == 409
    assert {match["id"] for match in error_of(response)["matches"]} == {hidden.pk, created}


def test_patch_answers_409_when_a_changed_mobile_collides(api_as, make_customer):
    customer = make_customer("张三", mobile="13800138000")
    make_customer("张三丰", mobile="13800138000")  # an old duplicate
    other = make_customer("李雷", mobile="13900139000")
    api = api_as("administrator")
    # unchanged identifiers (or the customer's own mobile sent again) never count
    response = api.patch(f"{URL}/{customer.pk}", {"version": 1, "notes": "老客户", "mobile": "13800138000"})
    assert response.status_code == 200, response.json()
    response = api.patch(f"{URL}/{customer.pk}", {"version": 2, "mobile": "13900139000"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate"
    assert error["matches"] == [{"id": other.pk, "code": other.code, "name": "李雷", "reasons": ["mobile"]}]
    customer.refresh_from_db()
    assert (customer.mobile, customer.version) == ("+8613800138000", 2)
    response = api.patch(f"{URL}/{customer.pk}", {"version": 2, "mobile": "13900139000", "allow_duplicate": True})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.mobile == "+8613900139000"
    # a stale version is still the other 409
    response = api.patch(f"{URL}/{customer.pk}", {"version": 1, "notes": "x"})
    assert response.status_code == 409 and error_of(response)["code"] == "version_conflict"


def test_openapi_documents_allow_duplicate_and_the_409(api_as):
    schema = api_as("administrator").get("/api/openapi.json").json()
    create = schema["paths"]["/api/customers"]["post"]
    assert "409" in create["responses"]
    patch = schema["paths"]["/api/customers/{customer_id}"]["patch"]
    assert "409" in patch["responses"]
    components = schema["components"]["schemas"]
    assert "allow_duplicate" in components["CustomerCreateIn"]["properties"]
    assert "matches" in components["ConflictBody"]["properties"]
