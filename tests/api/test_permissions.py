"""The API half of the permission matrix: every role × own branch (SH1) / other branch (BJ1) × read / write."""

from __future__ import annotations

import pytest

from kehu.customers.models import Customer

# role → (read SH1, read BJ1, write SH1, write BJ1); SH1's customer is owned by users["account_manager"]
MATRIX = {
    "administrator": (200, 200, 200, 200),
    "branch_manager": (200, 404, 200, 404),
    "account_manager": (200, 404, 200, 404),
    "other_account_manager": (200, 404, 403, 404),
    "service_agent": (200, 404, 403, 404),
    "marketer": (200, 404, 403, 404),
    "credit_officer": (200, 404, 403, 404),
    "auditor": (200, 200, 403, 403),
    "bj_account_manager": (404, 200, 404, 403),
}


@pytest.fixture
def customers(make_customer, users, org):
    return {
        "sh1": make_customer("上海客户", branch=org["sh1"], owner=users["account_manager"]),
        "bj1": make_customer("北京客户", branch=org["bj1"]),
    }


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("where", ["sh1", "bj1"])
def test_read(api_as, customers, role, where):
    expected = MATRIX[role][0 if where == "sh1" else 1]
    customer = customers[where]

    response = api_as(role).get(f"/api/customers/{customer.pk}")

    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["id"] == customer.pk
    else:
        assert response.json()["error"]["code"] == "not_found"
        assert customer.name not in response.content.decode()


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("where", ["sh1", "bj1"])
def test_write(api_as, customers, role, where):
    expected = MATRIX[role][2 if where == "sh1" else 3]
    customer = customers[where]

    response = api_as(role).patch(f"/api/customers/{customer.pk}", {"version": 1, "notes": f"changed by {role}"})

    assert response.status_code == expected, response.content
    stored = Customer.objects.get(pk=customer.pk)
    if expected == 200:
        assert stored.notes == f"changed by {role}" and stored.version == 2
    else:
        assert response.json()["error"]["code"] == {403: "permission_denied", 404: "not_found"}[expected]
        assert (stored.notes, stored.version) == ("", 1)
        assert stored.history.count() == 1


@pytest.mark.parametrize("role", list(MATRIX))
def test_list_shows_only_scope(api_as, customers, role):
    read_sh1, read_bj1, _write_sh1, _write_bj1 = MATRIX[role]
    expected = {customers["sh1"].pk} if read_sh1 == 200 else set()
    expected |= {customers["bj1"].pk} if read_bj1 == 200 else set()

    response = api_as(role).get("/api/customers")

    assert {item["id"] for item in response.json()["items"]} == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize("role", list(MATRIX))
def test_contact_write_follows_the_customer_write_rule(api_as, customers, role):
    customer = customers["sh1"]
    expected = {200: 201}.get(MATRIX[role][2], MATRIX[role][2])

    response = api_as(role).post(f"/api/customers/{customer.pk}/contacts", {"name": "王经理", "mobile": "13900139000"})

    assert response.status_code == expected, response.content
    assert customer.contacts.count() == (1 if expected == 201 else 0)
