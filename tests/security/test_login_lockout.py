"""Sign-in lockout (django-axes): wrong passwords for one user name from one address lock that pair, through the real
sign-in page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

PASSWORD = "Kehu-test-pass-1"  # the make_user fixture's


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1", language: str = "en"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address,
                       headers={"Accept-Language": language})


@pytest.fixture
def staff(make_user, org):
    return make_user("account_manager", org["sh1"], username="wang")


def test_thirty_wrong_passwords_lock_the_user_name_at_that_address(staff, settings):
    client = Client()
    answers = [sign_in(client, "wang", f"wrong-{attempt}").status_code for attempt in range(30)]
    limit = settings.KEHU_LOGIN_FAILURE_LIMIT
    assert limit < 30
    # the form answers 200 with its error until the limit is reached, then every attempt is refused with 429
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit:]) == {429}
    # the right password no longer helps during the cool-off
    locked = sign_in(client, "wang", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "locked" in locked.content.decode()


def test_the_lockout_page_is_translated(staff, settings):
    client = Client()
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT):
        sign_in(client, "wang", f"wrong-{attempt}", language="zh-hans")
    page = sign_in(client, "wang", PASSWORD, language="zh-hans").content.decode()
    assert "登录已锁定" in page


def test_a_locked_pair_does_not_lock_the_user_elsewhere_nor_others_at_that_address(staff, make_user, org, settings):
    make_user("account_manager", org["sh1"], username="li")
    attacker = Client()
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT + 2):
        sign_in(attacker, "wang", f"wrong-{attempt}", address="203.0.113.9")
    assert sign_in(attacker, "wang", PASSWORD, address="203.0.113.9").status_code == 429

    colleague = Client()
    assert sign_in(colleague, "wang", PASSWORD, address="10.0.0.2").status_code == 302
    assert colleague.session["_auth_user_id"] == str(staff.pk)
    other = Client()
    assert sign_in(other, "li", PASSWORD, address="203.0.113.9").status_code == 302


def test_an_administrator_unlocks_a_user_name(staff, settings):
    client = Client()
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT):
        sign_in(client, "wang", f"wrong-{attempt}")
    assert sign_in(client, "wang", PASSWORD).status_code == 429
    call_command("axes_reset_username", "wang")
    assert sign_in(client, "wang", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(staff, settings):
    client = Client()
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT - 1):
        sign_in(client, "wang", f"wrong-{attempt}")
    assert sign_in(client, "wang", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT - 1):
        assert sign_in(client, "wang", f"again-{attempt}").status_code == 200
    assert sign_in(client, "wang", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_locked_too(make_user, org, settings):
    make_user("administrator", org["hq"], username="boss")
    client = Client()
    url = reverse("admin:login")
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT):
        client.post(url, {"username": "boss", "password": f"wrong-{attempt}"}, REMOTE_ADDR="10.0.0.7")
    assert client.post(url, {"username": "boss", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7").status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(staff, settings):
    settings.KEHU_BEHIND_PROXY = True
    client = Client()
    for attempt in range(settings.KEHU_LOGIN_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "wang", "password": f"wrong-{attempt}"}, REMOTE_ADDR="10.9.9.9",
                    headers={"X-Forwarded-For": "198.51.100.1"})
    refused = client.post(reverse("login"), {"username": "wang", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                          headers={"X-Forwarded-For": "198.51.100.1"})
    assert refused.status_code == 429
    # another client behind the same proxy is not locked out; a forged left-most entry does not help the attacker
    other = Client().post(reverse("login"), {"username": "wang", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                          headers={"X-Forwarded-For": "198.51.100.1, 198.51.100.2"})
    assert other.status_code == 302
    forged = Client().post(reverse("login"), {"username": "wang", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                           headers={"X-Forwarded-For": "198.51.100.2, 198.51.100.1"})
    assert forged.status_code == 429
