"""Database protections: on PostgreSQL a web request waits for a lock at most ``KEHU_DB_LOCK_TIMEOUT_MS`` and then
answers 503 (the API's error shape or a translated page) with Retry-After, instead of holding its worker; a lost
connection is replaced before a request uses it."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import close_old_connections, connection
from django.test import Client

pytestmark = pytest.mark.skipif(django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                                reason="statement and lock timeouts are PostgreSQL's")


def other_connection() -> psycopg.Connection:
    """A second session on the test database, as another worker's transaction would be."""
    params = connection.settings_dict
    return psycopg.connect(dbname=params["NAME"], user=params["USER"], password=params["PASSWORD"] or None,
                           host=params["HOST"] or None, port=params["PORT"] or None)


@pytest.fixture
def short_lock_timeout():
    """The documented default applies to every web connection; a test waits 300 ms instead of 5 s."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        configured = cursor.fetchone()[0]
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
        cursor.execute("SET lock_timeout = '300ms'")
    yield configured, statement
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


@pytest.mark.django_db(transaction=True)
def test_web_connections_have_the_configured_timeouts(short_lock_timeout):
    lock, statement = short_lock_timeout
    assert lock == f"{django_settings.KEHU_DB_LOCK_TIMEOUT_MS // 1000}s"
    assert statement == f"{django_settings.KEHU_DB_STATEMENT_TIMEOUT_MS // 1000}s"
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db(transaction=True)
def test_an_api_write_waiting_on_a_locked_row_answers_503(users, make_customer, short_lock_timeout):
    from kehu.org.services import api_token_create

    customer = make_customer("张三")
    _token, key = api_token_create(user=users["administrator"], name="lock test")
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "en"}
    client = Client()
    holder = other_connection()
    try:
        holder.execute("SELECT id FROM customers_customer WHERE id = %s FOR UPDATE", [customer.pk])
        answer = client.patch(f"/api/customers/{customer.pk}", {"version": customer.version, "notes": "x"},
                              content_type="application/json", headers=headers)
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "database_unavailable"
        assert answer["Retry-After"] == "5"
    finally:
        holder.rollback()
        holder.close()
    # the lock is gone: the same change goes through, nothing was half-written
    answer = client.patch(f"/api/customers/{customer.pk}", {"version": customer.version, "notes": "x"},
                          content_type="application/json", headers=headers)
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"] == customer.version + 1


@pytest.mark.django_db(transaction=True)
def test_a_page_waiting_on_a_locked_table_answers_a_translated_503(users, make_customer, short_lock_timeout):
    make_customer("张三")
    client = Client()
    client.force_login(users["administrator"])
    holder = other_connection()
    try:
        holder.execute("LOCK TABLE customers_customer IN ACCESS EXCLUSIVE MODE")
        answer = client.get("/customers/", headers={"Accept-Language": "zh-hans"})
        assert answer.status_code == 503
        assert answer["Retry-After"] == "5"
        assert "数据库繁忙" in answer.content.decode()
    finally:
        holder.rollback()
        holder.close()
    assert client.get("/customers/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_killed_connection_is_replaced_before_the_next_request(users, settings):
    """The server (or an administrator) ends the web process's connection between two requests: the next request
    is served on a new connection (CONN_HEALTH_CHECKS), not answered 500."""
    client = Client()
    client.force_login(users["administrator"])
    assert client.get("/customers/").status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    killer = other_connection()
    try:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        killer.close()
    # what Django does when a request starts (the test client skips it): a persistent connection is checked first
    connection.settings_dict["CONN_MAX_AGE"] = 60
    try:
        connection.close_at = None
        close_old_connections()
        assert client.get("/customers/").status_code == 200
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = settings.DATABASES["default"]["CONN_MAX_AGE"]
    assert connection.connection.info.backend_pid != pid
