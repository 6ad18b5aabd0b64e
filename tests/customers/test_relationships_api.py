"""Links between customers (``CustomerRelationship``): the API, the 360 panel with a confirmation before removing,
the scope (another branch's customer is 404 and never shown), hostile input, history on the timeline."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Activity, CustomerRelationship

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def people(make_customer, users, org):
    return {
        "mine": make_customer("王一", owner=users["account_manager"]),
        "friend": make_customer("王友", owner=users["account_manager"]),
        "colleague": make_customer("王二", owner=users["other_account_manager"]),
        "beijing": make_customer("赵北", branch=org["bj1"], owner=users["bj_account_manager"]),
    }


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    def make(who: str):
        _token, key = api_token_create(user=users[who], name="tests")
        return ApiClient(key)

    return make


@pytest.mark.django_db
def test_add_list_and_remove_links_through_the_api(api_as, people):
    api = api_as("account_manager")
    mine, friend = people["mine"], people["friend"]
    url = f"/api/customers/{mine.pk}/relationships"
    response = api.post(url, {"other_customer_id": friend.pk, "kind": "referred", "notes": "老客户介绍"})
    assert response.status_code == 201, response.content
    link = response.json()
    assert (link["direction"], link["label"], link["other"]["name"]) == ("outgoing", "Referred", "王友")
    other_side = api.get(f"/api/customers/{friend.pk}/relationships").json()
    assert other_side["count"] == 1 and other_side["items"][0]["label"] == "Referred by"
    employer = api.post(url, {"other_customer_id": friend.pk, "kind": "employer", "direction": "incoming"})
    assert employer.status_code == 201 and employer.json()["label"] == "Employs"
    assert api.get(url).json()["count"] == 2
    again = api.post(url, {"other_customer_id": friend.pk, "kind": "referred"})
    assert again.status_code == 422
    family = api.post(url, {"other_customer_id": friend.pk, "kind": "family"})
    assert family.status_code == 201
    reverse_family = api.post(f"/api/customers/{friend.pk}/relationships",
                              {"other_customer_id": mine.pk, "kind": "family"})
    assert reverse_family.status_code == 422  # family reads the same both ways
    assert api.delete(f"{url}/{link['id']}").status_code == 204
    assert CustomerRelationship.objects.count() == 2
    removed = Activity.objects.filter(kind="relationship", data__action="removed")
    assert sorted(removed.values_list("customer_id", flat=True)) == sorted([mine.pk, friend.pk])


@pytest.mark.django_db
def test_another_branchs_customers_are_404_and_never_shown(api_as, people):
    from kehu.customers.relationships import relationship_add

    mine, beijing = people["mine"], people["beijing"]
    am = api_as("account_manager")
    assert am.post(f"/api/customers/{mine.pk}/relationships",
                   {"other_customer_id": beijing.pk, "kind": "family"}).status_code == 404
    assert am.get(f"/api/customers/{beijing.pk}/relationships").status_code == 404
    # an administrator links them: the account manager still does not see the Beijing side
    from kehu.org.models import User

    admin = User.objects.get(username="admin1")
    link = relationship_add(actor=admin, customer=mine, other=beijing, kind="family")
    assert am.get(f"/api/customers/{mine.pk}/relationships").json() == {"count": 0, "items": []}
    assert am.delete(f"/api/customers/{mine.pk}/relationships/{link.pk}").status_code == 404
    assert api_as("administrator").get(f"/api/customers/{mine.pk}/relationships").json()["count"] == 1
    assert api_as("auditor").get(f"/api/customers/{beijing.pk}/relationships").json()["count"] == 1
    assert CustomerRelationship.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("account_manager", 201), ("branch_manager", 201),
                                         ("other_account_manager", 403), ("auditor", 403),
                                         ("bj_account_manager", 404)])
def test_who_may_link(api_as, people, who, status):
    response = api_as(who).post(f"/api/customers/{people['mine'].pk}/relationships",
                                {"other_customer_id": people["friend"].pk, "kind": "spouse"})
    assert response.status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"kind": "family"}, {"other_customer_id": 0, "kind": "family"}, {"other_customer_id": 2**63, "kind": "family"},
    {"other_customer_id": "SELF", "kind": "family"}, {"other_customer_id": "FRIEND", "kind": "enemy"},
    {"other_customer_id": "FRIEND", "kind": "family", "direction": "sideways"},
    {"other_customer_id": "FRIEND", "kind": "family", "notes": "x" * 256},
    {"other_customer_id": "FRIEND", "kind": "family", "extra": 1},
    {"other_customer_id": "FRIEND", "kind": "family", "notes": "\x00"},
])
def test_hostile_input_answers_4xx(api_as, people, body):
    body = {key: (people["mine"].pk if value == "SELF" else people["friend"].pk if value == "FRIEND" else value)
            for key, value in body.items()}
    response = api_as("account_manager").post(f"/api/customers/{people['mine'].pk}/relationships", body)
    assert 400 <= response.status_code < 500, response.content
    assert not CustomerRelationship.objects.exists()
    assert api_as("account_manager").delete(
        f"/api/customers/{people['mine'].pk}/relationships/99999999999").status_code == 404


@pytest.mark.django_db
def test_the_panel_adds_and_removes_with_a_confirmation(client, users, people):
    mine, friend = people["mine"], people["friend"]
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{mine.pk}/", headers=ENGLISH).content.decode()
    add = f"/customers/{mine.pk}/relationships/new/"
    assert 'id="relationships"' in page and add in page
    assert client.post(add, {"direction": "outgoing", "kind": "referred",
                             "other_code": people["beijing"].code}).status_code == 422  # not in scope: unknown
    assert client.post(add, {"direction": "outgoing", "kind": "referred", "other_code": friend.code}).status_code == 302
    link = CustomerRelationship.objects.get()
    page = client.get(f"/customers/{mine.pk}/", headers=ENGLISH).content.decode()
    assert "Referred" in page and "王友" in page
    remove = f"/customers/{mine.pk}/relationships/{link.pk}/remove/"
    confirm = client.get(remove, headers=ENGLISH)
    assert confirm.status_code == 200 and "Remove the link" in confirm.content.decode()
    assert CustomerRelationship.objects.exists()
    assert client.post(remove).status_code == 302
    assert not CustomerRelationship.objects.exists()
    client.force_login(users["auditor"])
    assert add not in client.get(f"/customers/{mine.pk}/").content.decode()


@pytest.mark.django_db
def test_the_panel_loader_reads_its_declared_number_of_queries(users, people):
    from kehu.core.registry import panels
    from kehu.customers.relationships import relationship_add

    panel = panels["relationships"]
    admin = users["administrator"]
    for other in ("friend", "colleague", "beijing"):
        relationship_add(actor=admin, customer=people["mine"], other=people[other], kind="other")
    ids = [customer.pk for customer in people.values()]
    panel.loader(ids, admin, full=True)
    with CaptureQueriesContext(connection) as queries:
        data = panel.loader(ids, admin, full=True)
    assert len(queries.captured_queries) == panel.queries
    assert len(data[people["mine"].pk]["links"]) == 3 and len(data[people["beijing"].pk]["links"]) == 1
