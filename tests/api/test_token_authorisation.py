"""Token requests are authorised from the database on every request: revocations and role, permission and branch
changes apply to the very next request (nothing about the token's user is kept between requests)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from kehu.org.models import ApiToken
from kehu.org.services import api_token_create, api_token_revoke, staff_set_roles

from .conftest import ApiClient

PHONE = "13800138000"


@pytest.fixture
def agent_client(users, make_customer):
    """A service agent of store SH1 with a token, and a customer of SH1 reachable by ``PHONE``."""
    make_customer("张三", mobile=PHONE)
    _token, key = api_token_create(user=users["service_agent"], name="softphone")
    return ApiClient(key)


def lookup_status(client: ApiClient) -> int:
    return client.get("/api/customers/lookup", phone=PHONE).status_code


def test_revoked_token_is_refused_at_once(users, agent_client):
    assert lookup_status(agent_client) == 200
    token = ApiToken.objects.get(user=users["service_agent"])

    api_token_revoke(token=token)

    assert lookup_status(agent_client) == 401


def test_token_revoked_without_signals_is_refused_at_once(users, agent_client):
    # a bulk update (admin action, SQL console) sends no signals; nothing cached may outlive it
    assert lookup_status(agent_client) == 200
    ApiToken.objects.filter(user=users["service_agent"]).update(is_active=False)
    assert lookup_status(agent_client) == 401


def test_deleted_token_and_deactivated_user_are_refused_at_once(users, agent_client):
    user = users["service_agent"]
    assert lookup_status(agent_client) == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert lookup_status(agent_client) == 401

    type(user).objects.filter(pk=user.pk).update(is_active=True)
    assert lookup_status(agent_client) == 200
    ApiToken.objects.filter(user=user).delete()
    assert lookup_status(agent_client) == 401


def test_role_change_applies_to_the_next_request(users, agent_client):
    user = users["service_agent"]
    assert lookup_status(agent_client) == 200

    staff_set_roles(user=user, roles=[])
    assert lookup_status(agent_client) == 404  # no permission to view customers: nothing is found
    assert agent_client.get("/api/customers").json()["count"] == 0

    staff_set_roles(user=user, roles=["service_agent"])
    assert lookup_status(agent_client) == 200


def test_permission_change_of_a_role_applies_to_the_next_request(agent_client):
    group = Group.objects.get(name="service_agent")
    view_customer = Permission.objects.get(content_type__app_label="customers", codename="view_customer")
    assert lookup_status(agent_client) == 200

    group.permissions.remove(view_customer)
    assert lookup_status(agent_client) == 404

    group.permissions.add(view_customer)
    assert lookup_status(agent_client) == 200


def test_direct_user_permission_applies_to_the_next_request(users, agent_client, make_customer, org):
    user = users["service_agent"]
    make_customer("李四", mobile="13900139000")
    staff_set_roles(user=user, roles=[])
    assert lookup_status(agent_client) == 404

    user.user_permissions.add(Permission.objects.get(content_type__app_label="customers", codename="view_customer"))
    assert lookup_status(agent_client) == 200


def test_branch_change_applies_to_the_next_request(users, org, agent_client):
    user = users["service_agent"]
    assert lookup_status(agent_client) == 200

    user.branches.set([org["bj1"]])
    assert lookup_status(agent_client) == 404  # the customer of SH1 is now outside the agent's scope

    user.branches.set([org["east"]])  # the region: SH1 is below it
    assert lookup_status(agent_client) == 200


def test_superuser_without_roles_sees_every_branch(make_user, make_customer, org):
    from kehu.org.models import User

    make_customer("张三", mobile=PHONE, branch=org["bj1"])
    root = make_user("marketer", org["sh1"])
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    root.groups.clear()
    _token, key = api_token_create(user=root, name="t")

    response = ApiClient(key).get("/api/customers/lookup", phone=PHONE)

    assert response.status_code == 200 and response.json()["count"] == 1


def test_last_used_is_recorded_at_most_once_a_minute(users, agent_client, django_assert_num_queries):
    token = ApiToken.objects.get(user=users["service_agent"])
    assert token.last_used_at is None
    agent_client.get("/api/customers", limit=1)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    # the token, then the user's roles, permissions and branches: two queries, and no write within the minute
    with django_assert_num_queries(2 + 2):  # + the capped count and the page
        agent_client.get("/api/customers", limit=1, q="nobody")
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=5))
    agent_client.get("/api/customers", limit=1)
    token.refresh_from_db()
    assert token.last_used_at > first_use
