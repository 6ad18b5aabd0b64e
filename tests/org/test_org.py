from django.contrib.auth.models import Group

from kehu.core.registry import granted_permissions
from kehu.customers.models import Customer
from kehu.org.models import Branch
from kehu.org.roles import ALL_ROLES
from kehu.org.selectors import branch_ids_in_scope, user_roles
from kehu.org.services import api_token_authenticate, api_token_create, api_token_revoke, branch_refresh_paths


def test_roles_created_by_migration_with_their_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ALL_ROLES)
    for role, permissions in granted_permissions().items():
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(permissions), role


def test_branch_paths_form_a_tree(org):
    assert org["sh1"].path == f"/{org['hq'].pk}/{org['east'].pk}/{org['sh1'].pk}/"
    assert org["sh1"].depth == 2


def test_scope_includes_branches_below(users, org):
    manager_scope = set(branch_ids_in_scope(users["branch_manager"]))
    assert manager_scope == {org["east"].pk, org["sh1"].pk, org["sh2"].pk}
    assert branch_ids_in_scope(users["administrator"]) is None
    assert branch_ids_in_scope(users["auditor"]) is None
    assert set(branch_ids_in_scope(users["account_manager"])) == {org["sh1"].pk}


def test_moving_a_branch_refreshes_paths(org):
    Branch.objects.filter(pk=org["sh2"].pk).update(parent=org["north"])
    assert branch_refresh_paths() == 1
    org["sh2"].refresh_from_db()
    assert org["sh2"].path.startswith(org["north"].path)


def test_visible_to_matrix(users, org, make_customer):
    sh1_own = make_customer("张三", owner=users["account_manager"])
    sh1_other = make_customer("李四", owner=users["other_account_manager"])
    bj = make_customer("王五", branch=org["bj1"], owner=users["bj_account_manager"])

    def ids(user, action):
        return set(Customer.objects.visible_to(user, action).values_list("pk", flat=True))

    everyone = {sh1_own.pk, sh1_other.pk, bj.pk}
    assert ids(users["administrator"], "view") == everyone
    assert ids(users["administrator"], "change") == everyone
    assert ids(users["auditor"], "view") == everyone
    assert ids(users["auditor"], "change") == set()
    assert ids(users["branch_manager"], "view") == {sh1_own.pk, sh1_other.pk}
    assert ids(users["branch_manager"], "change") == {sh1_own.pk, sh1_other.pk}
    assert ids(users["account_manager"], "view") == {sh1_own.pk, sh1_other.pk}
    assert ids(users["account_manager"], "change") == {sh1_own.pk}
    for role in ("service_agent", "marketer", "credit_officer"):
        assert ids(users[role], "view") == {sh1_own.pk, sh1_other.pk}, role
        assert ids(users[role], "change") == set(), role
    assert ids(users["bj_account_manager"], "view") == {bj.pk}


def test_superuser_is_an_administrator(make_user):
    from kehu.org.services import staff_create

    root = staff_create(username="root", password="x", is_superuser=True)
    assert "administrator" in user_roles(root)


def test_api_tokens(users):
    token, key = api_token_create(user=users["marketer"], name="ETL")
    assert key.startswith("kehu_") and token.digest != key
    assert api_token_authenticate(key=key) == users["marketer"]
    assert api_token_authenticate(key=key + "x") is None
    api_token_revoke(token=token)
    assert api_token_authenticate(key=key) is None


def test_a_branch_gets_the_division_codes_of_its_province_and_city(db):
    from kehu.org.services import branch_create

    store = branch_create(code="GZ1", name="广州一店", province="广东", city="广州")
    assert (store.province_code, store.city_code) == ("440000", "440100")
    unknown = branch_create(code="X1", name="某店", province="火星")
    assert (unknown.province_code, unknown.city_code) == ("", "")
