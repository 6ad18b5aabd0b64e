"""The role sync (kehu.org.services.sync_roles): every app's grants, idempotent, run after migrate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from kehu.core.registry import granted_permissions, role_grants
from kehu.org.roles import ALL_ROLES
from kehu.org.services import sync_roles


def _groups() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related(
            "content_type")}
        for group in Group.objects.prefetch_related("permissions")
    }


def test_every_app_declares_its_own_grants():
    assert {"customers", "purchases", "scoring"} <= set(role_grants.keys())
    assert all(name.startswith("scoring.") for names in role_grants["scoring"].values() for name in names)
    assert "scoring.run_scoring" in granted_permissions()["branch_manager"]
    assert "purchases.view_transaction" in granted_permissions()["service_agent"]


def test_sync_is_idempotent(db):
    first = sync_roles()  # the migrate already synced: nothing to do
    before = _groups()
    second = sync_roles()

    assert first == second == {"added": 0, "removed": 0}
    assert _groups() == before
    assert set(before) >= set(ALL_ROLES)
    assert {role: before[role] for role in ALL_ROLES} == {
        role: granted_permissions().get(role, set()) for role in ALL_ROLES}


def test_sync_repairs_changed_or_missing_groups(db):
    marketer = Group.objects.get(name="marketer")
    marketer.permissions.add(Permission.objects.get(codename="delete_customer"))
    Group.objects.filter(name="auditor").delete()

    changes = sync_roles()

    groups = _groups()
    assert "customers.delete_customer" not in groups["marketer"]
    assert groups["auditor"] == granted_permissions()["auditor"]
    assert changes["removed"] == 1 and changes["added"] == len(granted_permissions()["auditor"])
    assert sync_roles() == {"added": 0, "removed": 0}


def test_sync_picks_up_a_grant_registered_by_an_app(db):
    with role_grants.temporarily("tests", {"marketer": ["customers.change_customer", "scoring.run_scoring"]}):
        sync_roles()
        assert {"customers.change_customer", "scoring.run_scoring"} <= _groups()["marketer"]
    sync_roles()  # the app is gone: its grants are withdrawn
    assert "scoring.run_scoring" not in _groups()["marketer"]


def test_a_grant_of_an_unknown_permission_is_refused(db):
    with role_grants.temporarily("tests", {"marketer": ["customers.fly_customer"]}), pytest.raises(LookupError):
        sync_roles()


@pytest.mark.django_db(transaction=True)
def test_transactional_flush_and_migrate_bring_the_roles_back():
    Group.objects.all().delete()
    call_command("migrate", verbosity=0)  # nothing to migrate; post_migrate still runs the sync

    assert {role: _groups()[role] for role in ALL_ROLES} == {
        role: granted_permissions().get(role, set()) for role in ALL_ROLES}
