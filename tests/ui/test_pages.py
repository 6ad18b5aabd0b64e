"""Sign-in and out, the home page, switching language, API tokens and the personal-data access log."""

from __future__ import annotations

from django.urls import reverse

from kehu.org.models import ApiToken

from .helpers import page_text


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="zh-hans"' in text
    assert "用户名" in text and "密码" in text  # Django's own zh-Hans labels of the auth form
    assert 'action="/i18n/setlang/"' in text


def test_login_and_logout(client, users):
    response = client.post(reverse("login"), {"username": "am1", "password": "Kehu-test-pass-1"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # sign-out is a POST
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_an_error(client, users):
    response = client.post(reverse("login"), {"username": "am1", "password": "wrong"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in page_text(response)


def test_language_switch(client, users):
    client.force_login(users["account_manager"])
    assert '<html lang="zh-hans"' in client.get(reverse("home")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("customers:list")})
    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    text = client.get(reverse("customers:list")).content.decode()
    assert '<html lang="en"' in text
    assert '<option value="en" selected>' in text
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans"' in client.get(reverse("home")).content.decode()


def test_home_dashboard_counts(client, users, org, make_customer):
    make_customer("张三", owner=users["account_manager"], lifecycle_status="current")
    make_customer("李四", owner=users["account_manager"])
    make_customer("王五", owner=users["other_account_manager"], lifecycle_status="current")
    make_customer("华商公司", kind="organisation")
    make_customer("北京客户", branch=org["bj1"], lifecycle_status="current")
    client.force_login(users["account_manager"])
    response = client.get(reverse("home"))
    dashboard = response.context["dashboard"]
    assert (dashboard["total"], dashboard["mine"]) == (4, 2)
    by_status = {row["value"]: (row["count"], row["mine"]) for row in dashboard["by_status"]}
    assert by_status == {"prospect": (2, 1), "current": (2, 1), "lost": (0, 0)}
    assert {row["value"]: row["count"] for row in dashboard["by_kind"]} == {"person": 3, "organisation": 1}
    text = page_text(response)
    assert "华商公司" in text and "北京客户" not in text
    assert f'action="{reverse("customers:list")}"' in text  # quick search


def test_api_tokens_create_show_once_and_revoke(client, users):
    from kehu.org.services import api_token_authenticate

    user = users["account_manager"]
    client.force_login(user)
    response = client.post(reverse("api_tokens"), {"action": "create", "name": "呼叫中心弹屏"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert api_token_authenticate(key=key) == user
    assert key not in client.get(reverse("api_tokens")).content.decode()  # shown only once
    token = ApiToken.objects.get(user=user)
    response = client.post(reverse("api_tokens"), {"action": "revoke", "token_id": token.pk})
    assert response.status_code == 302
    assert api_token_authenticate(key=key) is None


def test_api_tokens_of_others_cannot_be_revoked(client, users):
    from kehu.org.services import api_token_create

    token, key = api_token_create(user=users["administrator"], name="admin token")
    client.force_login(users["account_manager"])
    assert client.post(reverse("api_tokens"), {"action": "revoke", "token_id": token.pk}).status_code == 404
    token.refresh_from_db()
    assert token.is_active
    assert "admin token" not in client.get(reverse("api_tokens")).content.decode()


def test_access_log_for_auditors_only(client, users, make_customer, settings, django_assert_max_num_queries):
    from kehu.customers.services import personal_data_reveal

    settings.KEHU_PAGE_SIZE = 5
    customer = make_customer("张三", mobile="13800138000")
    for number in range(7):
        personal_data_reveal(customer=customer, actor=users["credit_officer"], fields=["mobile"],
                             reason=f"核实身份{number}")
    client.force_login(users["auditor"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("access_log"))
    assert response.status_code == 200
    text = page_text(response)
    assert "核实身份6" in text and "核实身份0" not in text and "张三" in text
    assert "核实身份0" in page_text(client.get(reverse("access_log"), {"page": 2}))
    client.force_login(users["marketer"])
    assert client.get(reverse("access_log")).status_code == 403
    nav = client.get(reverse("home")).content.decode()
    assert reverse("access_log") not in nav


def test_unknown_page_is_404_with_the_layout(client, users):
    client.force_login(users["marketer"])
    response = client.get("/customers/999999/")
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    assert reverse("customers:list") in response.content.decode()  # the navigation is there
