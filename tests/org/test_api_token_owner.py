"""The token's user as the API receives it has the same roles, permissions and branch scope as the user read the
usual way (``org.selectors.api_token_owner`` fills the per-request caches of ``user_roles``, ``branch_ids_in_scope``
and Django's ModelBackend from its own queries)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from kehu.org.models import ApiToken, User
from kehu.org.roles import ALL_ROLES
from kehu.org.selectors import api_token_owner, branch_ids_in_scope, user_is_read_only, user_roles
from kehu.org.services import api_token_create


def owner_of(user: User) -> User:
    _token, key = api_token_create(user=user, name="t")
    owner = api_token_owner(digest=ApiToken.hash_key(key))
    assert owner is not None
    return owner.user


def assert_same_authority(loaded: User, fresh: User) -> None:
    assert loaded.pk == fresh.pk and loaded.username == fresh.username
    assert user_roles(loaded) == user_roles(fresh)
    assert branch_ids_in_scope(loaded) == (None if branch_ids_in_scope(fresh) is None
                                           else sorted(branch_ids_in_scope(fresh) or []))
    assert user_is_read_only(loaded) == user_is_read_only(fresh)
    assert loaded.get_all_permissions() == fresh.get_all_permissions()
    assert loaded.get_user_permissions() == fresh.get_user_permissions()
    assert loaded.get_group_permissions() == fresh.get_group_permissions()
    for permission in ("customers.view_customer", "customers.change_customer", "customers.view_personal_data",
                       "scoring.run_scoring", "customers.view_personaldataaccess"):
        assert loaded.has_perm(permission) == fresh.has_perm(permission), permission


@pytest.mark.parametrize("role", [*ALL_ROLES, "other_account_manager", "bj_account_manager"])
def test_every_role_loads_the_same_authority(users, role, django_assert_num_queries):
    user = users[role]
    _token, key = api_token_create(user=user, name="t")
    with django_assert_num_queries(2):
        owner = api_token_owner(digest=ApiToken.hash_key(key))
        assert owner is not None
        # answered from what the two queries loaded
        _ = (user_roles(owner.user), branch_ids_in_scope(owner.user), owner.user.has_perm("customers.view_customer"))
    assert_same_authority(owner.user, User.objects.get(pk=user.pk))


def test_direct_permissions_and_several_branches(users, org):
    user = users["marketer"]
    user.user_permissions.add(Permission.objects.get(content_type__app_label="customers", codename="add_consent"))
    user.branches.add(org["north"], org["sh1"])  # overlapping with nothing: the union of both subtrees
    loaded = owner_of(user)
    assert_same_authority(loaded, User.objects.get(pk=user.pk))
    assert set(branch_ids_in_scope(loaded) or []) == {org["sh1"].pk, org["north"].pk, org["bj1"].pk}
    assert loaded.has_perm("customers.add_consent")


def test_superuser_has_every_permission(make_user, org):
    user = make_user("marketer", org["sh1"])
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    loaded = owner_of(user)
    fresh = User.objects.get(pk=user.pk)
    assert_same_authority(loaded, fresh)
    assert len(loaded.get_all_permissions()) == Permission.objects.count()
    assert branch_ids_in_scope(loaded) is None


def test_inactive_token_or_user_has_no_owner(users):
    user = users["service_agent"]
    token, key = api_token_create(user=user, name="t")
    assert api_token_owner(digest=ApiToken.hash_key(key)) is not None
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    assert api_token_owner(digest=ApiToken.hash_key(key)) is None
    ApiToken.objects.filter(pk=token.pk).update(is_active=True)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_token_owner(digest=ApiToken.hash_key(key)) is None
    assert api_token_owner(digest=ApiToken.hash_key("kehu_unknown")) is None
