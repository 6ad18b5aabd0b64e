"""Division codes, industry, source and 'customer since' through the API: codes checked (422 with a message), names
filled from them; names alone still accepted and their codes found; the division and industry lists."""

from __future__ import annotations

import pytest

from kehu.customers.models import Customer

from .conftest import error_of


def body(org, **overrides):
    data = {"kind": "organisation", "name": "广州云帆信息科技有限公司", "branch_id": org["sh1"].pk,
            "mobile": "13800138000"}
    data.update(overrides)
    return data


def test_codes_fill_the_names_and_come_back(api_as, org):
    response = api_as("branch_manager").post("/api/customers", body(
        org, province_code="440000", city_code="440100", district_code="440106", industry="65", source="展会",
        customer_since="2019-03-15"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["province"], data["city"], data["district"]) == ("广东省", "广州市", "天河区")
    assert (data["province_code"], data["city_code"], data["district_code"]) == ("440000", "440100", "440106")
    assert (data["industry"], data["industry_label"], data["source"], data["customer_since"]) == (
        "65", "Software and information technology services", "展会", "2019-03-15")


@pytest.mark.parametrize(("fields", "field"), [
    ({"province_code": "999999"}, "province_code"),
    ({"province_code": "440000", "city_code": "110100"}, "city_code"),
    ({"province_code": "440000", "city_code": "440100", "district_code": "110105"}, "district_code"),
    ({"city_code": "440100"}, "city_code"),
    ({"industry": "Z9"}, "industry"),
    ({"customer_since": "9999-12-31"}, "customer_since"),
    ({"customer_since": "0001-01-01"}, "customer_since"),
    ({"province_code": "4400000"}, "province_code"),
])
def test_unknown_or_inconsistent_values_answer_422_naming_the_field(api_as, org, fields, field):
    response = api_as("branch_manager").post("/api/customers", body(org, **fields))
    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"]
    assert not Customer.objects.exists()


def test_names_alone_find_their_codes_and_an_update_by_name_moves_the_codes(api_as, org):
    client = api_as("branch_manager")
    created = client.post("/api/customers", body(org, province="广东", city="深圳", district="南山区")).json()
    assert (created["province"], created["province_code"], created["city_code"], created["district_code"]) == (
        "广东", "440000", "440300", "440305")
    updated = client.patch(f"/api/customers/{created['id']}", {"version": created["version"], "province": "北京",
                                                                "city": "北京", "district": "朝阳区"})
    assert updated.status_code == 200, updated.content
    assert (updated.json()["province_code"], updated.json()["district_code"]) == ("110000", "110105")
    by_code = client.patch(f"/api/customers/{created['id']}", {"version": updated.json()["version"],
                                                               "province_code": "310000", "city_code": "310100"})
    assert (by_code.json()["province"], by_code.json()["city"], by_code.json()["district"]) == ("上海市", "上海市", "")


def test_division_and_industry_lists(api_as, org):
    client = api_as("account_manager")
    provinces = client.get("/api/customers/divisions").json()
    assert len(provinces) == 34 and provinces[0] == {"code": "110000", "name": "北京市", "level": 1}
    cities = client.get("/api/customers/divisions", parent="440000").json()
    assert {"code": "440100", "name": "广州市", "level": 2} in cities
    assert client.get("/api/customers/divisions", parent="123456").status_code == 404
    assert client.get("/api/customers/divisions", parent="1" * 40).status_code == 422
    industries = client.get("/api/customers/industries").json()
    assert {"code": "C", "name": "Manufacturing", "section": "C"} in industries and len(industries) == 117
