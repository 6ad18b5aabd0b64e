"""The UI half of the permission matrix: every role × customer in their branch / another branch × read / write.

Read is GET of the 360 page (200, or 404 so that other branches' customers are not revealed); write is POST of the
edit form (a redirect after saving, or 404/403 with nothing changed).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.models import Customer

ALLOWED = "allowed"

# customer keys: sh1_own (SH1, owned by users["account_manager"]), sh1_other (SH1, owned by other_account_manager),
# bj1 (BJ1, owned by bj_account_manager)
READ = {
    "administrator": {"sh1_own": 200, "sh1_other": 200, "bj1": 200},
    "branch_manager": {"sh1_own": 200, "sh1_other": 200, "bj1": 404},
    "account_manager": {"sh1_own": 200, "sh1_other": 200, "bj1": 404},
    "other_account_manager": {"sh1_own": 200, "sh1_other": 200, "bj1": 404},
    "service_agent": {"sh1_own": 200, "sh1_other": 200, "bj1": 404},
    "marketer": {"sh1_own": 200, "sh1_other": 200, "bj1": 404},
    "credit_officer": {"sh1_own": 200, "sh1_other": 200, "bj1": 404},
    "auditor": {"sh1_own": 200, "sh1_other": 200, "bj1": 200},
    "bj_account_manager": {"sh1_own": 404, "sh1_other": 404, "bj1": 200},
}
WRITE = {
    "administrator": {"sh1_own": ALLOWED, "sh1_other": ALLOWED, "bj1": ALLOWED},
    "branch_manager": {"sh1_own": ALLOWED, "sh1_other": ALLOWED, "bj1": 404},
    "account_manager": {"sh1_own": ALLOWED, "sh1_other": 403, "bj1": 404},
    "other_account_manager": {"sh1_own": 403, "sh1_other": ALLOWED, "bj1": 404},
    "service_agent": {"sh1_own": 403, "sh1_other": 403, "bj1": 404},
    "marketer": {"sh1_own": 403, "sh1_other": 403, "bj1": 404},
    "credit_officer": {"sh1_own": 403, "sh1_other": 403, "bj1": 404},
    "auditor": {"sh1_own": 403, "sh1_other": 403, "bj1": 403},
    "bj_account_manager": {"sh1_own": 404, "sh1_other": 404, "bj1": ALLOWED},
}
CASES = [(role, key) for role in READ for key in READ[role]]


@pytest.fixture
def customers(users, org, make_customer):
    return {
        "sh1_own": make_customer("张三", owner=users["account_manager"], person={"employer": "上海电气"}),
        "sh1_other": make_customer("李四", owner=users["other_account_manager"]),
        "bj1": make_customer("北京客户", branch=org["bj1"], owner=users["bj_account_manager"]),
    }


def test_the_matrix_covers_every_role(users):
    assert set(READ) == set(WRITE) == set(users)


@pytest.mark.parametrize(("role", "key"), CASES)
def test_read(client, users, customers, role, key):
    client.force_login(users[role])
    customer = customers[key]
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == READ[role][key]
    if response.status_code == 404:
        assert customer.name not in response.content.decode()
    # the list agrees with the page
    listed = client.get(reverse("customers:list")).context["page"].paginator.object_list
    assert listed.filter(pk=customer.pk).exists() == (READ[role][key] == 200)


@pytest.mark.parametrize(("role", "key"), CASES)
def test_write(client, users, customers, edit_data, role, key):
    customer = customers[key]
    before = Customer.objects.get(pk=customer.pk)
    data = edit_data(customer, notes=f"changed by {role}", employer="新单位")
    client.force_login(users[role])
    edit_url = reverse("customers:edit", args=[customer.pk])
    response = client.post(edit_url, data)
    after = Customer.objects.select_related("person").get(pk=customer.pk)
    expected = WRITE[role][key]
    if expected == ALLOWED:
        assert response.status_code == 302, response.content.decode()[:500]
        assert after.notes == f"changed by {role}"
        assert after.person.employer == "新单位"
        assert after.version == before.version + 1
        assert client.get(edit_url).status_code == 200
    else:
        assert response.status_code == expected
        assert (after.notes, after.version, after.person.employer) == (before.notes, before.version,
                                                                       before.person.employer)
        assert after.history.count() == before.history.count()
        assert client.get(edit_url).status_code == expected
        # the 360 page offers no Edit button to those who may read but not write
        if READ[role][key] == 200:
            assert edit_url not in client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
