"""Staff change their own password; idle sessions end."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from kehu.core.middleware import SESSION_LAST_SEEN_KEY

PASSWORD = "Kehu-test-pass-1"


@pytest.fixture
def staff(make_user, org):
    return make_user("account_manager", org["sh1"], username="wang")


def signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    answer = client.post(reverse("login"), {"username": username, "password": password})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return client


def test_the_user_menu_links_to_the_password_page(staff):
    page = signed_in("wang").get(reverse("home"))
    assert reverse("password_change") in page.content.decode()


def test_changing_the_password_through_the_page(staff):
    client = signed_in("wang")
    other_device = signed_in("wang")
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    answer = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Lanzhou-noodles-42", "new_password2": "Lanzhou-noodles-42",
    }, follow=True)
    assert answer.status_code == 200
    assert "Your password was changed." in answer.content.decode()
    # still signed in here, signed out on the other device; the new password works, the old one no longer does
    assert client.get(reverse("home")).status_code == 200
    assert other_device.get(reverse("home")).status_code == 302
    assert Client().post(reverse("login"), {"username": "wang", "password": PASSWORD}).status_code == 200
    signed_in("wang", "Lanzhou-noodles-42")


@pytest.mark.parametrize(("old", "new", "field"), [
    ("not-my-password", "Lanzhou-noodles-42", "old_password"),
    (PASSWORD, "12345678", "new_password2"),  # common and numeric
    (PASSWORD, "short", "new_password2"),
    (PASSWORD, "wang", "new_password2"),  # like the user name, too short
])
def test_the_password_validators_are_enforced(staff, old, new, field):
    client = signed_in("wang")
    answer = client.post(reverse("password_change"), {"old_password": old, "new_password1": new,
                                                      "new_password2": new})
    assert answer.status_code == 200
    assert field in answer.context["form"].errors
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_the_password_page_needs_a_signed_in_user(db):
    answer = Client().get(reverse("password_change"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def make_idle(client: Client, minutes: float) -> None:
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = int(time.time() - minutes * 60)
    session.save()


def test_an_idle_session_ends_with_a_message(staff, settings):
    client = signed_in("wang")
    assert client.get(reverse("customers:list")).status_code == 200
    make_idle(client, settings.KEHU_SESSION_IDLE_MINUTES + 1)
    answer = client.get(reverse("customers:list"), headers={"Accept-Language": "en"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    login_page = client.get(answer["Location"], headers={"Accept-Language": "en"}).content.decode()
    assert "signed out after" in login_page


def test_an_active_session_stays(staff, settings):
    client = signed_in("wang")
    make_idle(client, settings.KEHU_SESSION_IDLE_MINUTES - 1)
    assert client.get(reverse("customers:list")).status_code == 200
    # the request renewed the session's last-seen time
    assert client.session[SESSION_LAST_SEEN_KEY] >= int(time.time()) - 5


def test_an_idle_session_calling_the_api_gets_401(staff, settings):
    client = signed_in("wang")
    assert client.get("/api/customers").status_code == 200
    make_idle(client, settings.KEHU_SESSION_IDLE_MINUTES + 1)
    answer = client.get("/api/customers")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"


def test_an_idle_htmx_request_sends_the_whole_page_to_sign_in(staff, settings):
    client = signed_in("wang")
    make_idle(client, settings.KEHU_SESSION_IDLE_MINUTES + 1)
    answer = client.get(reverse("customers:list"), headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert answer["HX-Redirect"].startswith(reverse("login"))
