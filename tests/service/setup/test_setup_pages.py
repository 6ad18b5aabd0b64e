"""The set-up pages of service for administrators: teams and ticket categories listed, created and changed through
the forms with their checks (unique names, addresses, the category tree, the raise), deactivated only after the
confirmation page; other roles are refused."""

import pytest
from django.urls import reverse

from kehu.service.models import ServiceTeam, TicketCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, users):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages checked below are the English ones
    client.force_login(users["administrator"])
    return client


def test_an_administrator_creates_edits_and_deactivates_a_team_after_confirming(admin_client, org, users):
    url = reverse("service:setup_team_create")
    created = admin_client.post(url, {"name": " 上海  热线组 ", "branch": org["sh1"].pk,
                                      "lead": users["branch_manager"].pk, "members": [users["service_agent"].pk],
                                      "email": "Hotline@Example.com"})
    assert created.status_code == 302
    team = ServiceTeam.objects.get()
    assert (team.name, team.email, team.lead) == ("上海 热线组", "hotline@example.com", users["branch_manager"])
    assert set(team.members.all()) == {users["service_agent"], users["branch_manager"]}  # the lead joins
    listing = admin_client.get(reverse("service:setup_teams"), headers={"Accept-Language": "en"}).content.decode()
    assert "上海 热线组" in listing and "hotline@example.com" in listing

    same_name = admin_client.post(url, {"name": "上海 热线组", "branch": org["sh1"].pk})
    same_mail = admin_client.post(url, {"name": "其他组", "branch": org["sh2"].pk, "email": "hotline@example.com"})
    assert same_name.status_code == 400 and "already has an active team" in same_name.content.decode()
    assert same_mail.status_code == 400 and "already receives mail" in same_mail.content.decode()
    assert ServiceTeam.objects.count() == 1
    edit = admin_client.post(reverse("service:setup_team_edit", args=[team.pk]),
                             {"name": "上海热线", "branch": org["sh1"].pk, "email": ""})
    assert edit.status_code == 302
    team.refresh_from_db()
    assert team.name == "上海热线" and team.email == ""

    confirm = admin_client.get(reverse("service:setup_team_active", args=[team.pk]),
                               headers={"Accept-Language": "en"})
    assert confirm.status_code == 200 and 'id="setup-confirm"' in confirm.content.decode()
    team.refresh_from_db()
    assert team.active  # asking changes nothing
    assert admin_client.post(reverse("service:setup_team_active", args=[team.pk])).status_code == 302
    team.refresh_from_db()
    assert not team.active
    assert admin_client.post(reverse("service:setup_team_active", args=[team.pk])).status_code == 302
    team.refresh_from_db()
    assert team.active


def test_categories_keep_a_tree_and_deactivate_with_their_subcategories(admin_client):
    url = reverse("service:setup_category_create")
    assert admin_client.post(url, {"name": "账单", "priority_raise": 1}).status_code == 302
    billing = TicketCategory.objects.get(name="账单")
    assert admin_client.post(url, {"name": "重复扣款", "parent": billing.pk, "priority_raise": 2}).status_code == 302
    child = TicketCategory.objects.get(name="重复扣款")

    duplicate = admin_client.post(url, {"name": "账单", "priority_raise": 0})
    too_high = admin_client.post(url, {"name": "紧急", "priority_raise": 3})
    assert duplicate.status_code == 400 and too_high.status_code == 400
    cycle = admin_client.post(reverse("service:setup_category_edit", args=[billing.pk]),
                              {"name": "账单", "parent": child.pk, "priority_raise": 1},
                              headers={"Accept-Language": "en"})
    assert cycle.status_code == 400 and "under itself or one of its own" in cycle.content.decode()
    billing.refresh_from_db()
    assert billing.parent_id is None

    confirm = admin_client.get(reverse("service:setup_category_active", args=[billing.pk]),
                               headers={"Accept-Language": "en"}).content.decode()
    assert "1 active subcategory is deactivated with it" in confirm
    assert admin_client.post(reverse("service:setup_category_active", args=[billing.pk])).status_code == 302
    assert not TicketCategory.objects.filter(active=True).exists()
    # a subcategory comes back only under an active parent
    admin_client.post(reverse("service:setup_category_active", args=[child.pk]))
    child.refresh_from_db()
    assert not child.active


def test_other_roles_may_not_open_the_set_up_pages(client, users):
    for role in ("service_agent", "branch_manager", "marketer"):
        client.force_login(users[role])
        for name in ("service:setup_teams", "service:setup_team_create", "service:setup_categories",
                     "service:setup_category_create"):
            assert client.get(reverse(name)).status_code == 403, (role, name)


def test_hostile_input_is_refused_not_a_500(admin_client, org):
    url = reverse("service:setup_team_create")
    assert admin_client.post(url, {"name": "x" * 500, "branch": org["sh1"].pk}).status_code == 400
    assert admin_client.post(url, {"name": "组\x00", "branch": 99999999999}).status_code == 400
    assert admin_client.post(reverse("service:setup_category_create"),
                             {"name": "=1+1", "priority_raise": "9" * 30}).status_code == 400
    assert admin_client.get(reverse("service:setup_team_edit", args=[999999])).status_code == 404
