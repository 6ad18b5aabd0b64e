"""API rate limits: per token (KEHU_API_RATE_TOKEN) and, for calls without valid credentials, per address
(KEHU_API_RATE_ANON); 429 in the API's error shape with Retry-After."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import ApiClient


@pytest.fixture
def token_client(users):
    from kehu.org.services import api_token_create

    def make() -> ApiClient:
        _token, key = api_token_create(user=users["administrator"], name="rate test")
        return ApiClient(key)

    return make


def test_a_token_over_its_rate_gets_429_with_retry_after(token_client, settings):
    settings.KEHU_API_RATE_TOKEN = "5/min"
    client = token_client()
    answers = [client.get("/api/customers").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    refused = client.get("/api/customers")
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"]["code"] == "throttled"
    assert "Too many requests" in body["error"]["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    # another token of the same user has its own count
    assert token_client().get("/api/customers").status_code == 200


def test_the_throttled_message_is_translated(token_client, settings):
    settings.KEHU_API_RATE_TOKEN = "1/min"
    client = token_client()
    client.headers["Accept-Language"] = "zh-hans"
    client.get("/api/customers")
    assert "请求过于频繁" in client.get("/api/customers").json()["error"]["message"]


def test_calls_without_valid_credentials_are_limited_per_address(token_client, settings):
    settings.KEHU_API_RATE_ANON = "3/min"
    guesser = ApiClient("kehu_not-a-real-token")
    answers = [guesser.get("/api/customers").status_code for _ in range(5)]
    assert answers == [401] * 3 + [429] * 2
    refused = guesser.get("/api/customers")
    assert refused.json()["error"]["code"] == "throttled" and int(refused["Retry-After"]) >= 1
    # without any credentials from that address: refused too
    assert Client().get("/api/customers", REMOTE_ADDR="127.0.0.1").status_code == 429
    # while it is over the limit, that address tries no token at all, not even a valid one (a guesser learns nothing)
    assert token_client().get("/api/customers").status_code == 429
    # another address is not concerned
    assert Client().get("/api/customers", REMOTE_ADDR="10.1.2.3").status_code == 401
    valid = token_client()
    valid.client.defaults["REMOTE_ADDR"] = "10.1.2.3"
    assert valid.get("/api/customers").status_code == 200


def test_valid_calls_do_not_count_against_the_address(token_client, settings):
    settings.KEHU_API_RATE_ANON = "2/min"
    client = token_client()
    assert {client.get("/api/customers").status_code for _ in range(5)} == {200}
    assert Client().get("/api/customers").status_code == 401


def test_the_staff_uis_session_is_limited_like_a_token(users, settings):
    settings.KEHU_API_RATE_TOKEN = "2/min"
    client = Client()
    client.force_login(users["administrator"])
    assert [client.get("/api/customers").status_code for _ in range(3)] == [200, 200, 429]


def test_the_default_rates_let_a_busy_integration_through(token_client, settings):
    """The defaults are the documented production ones: a token making 100 calls in a row is not refused."""
    assert settings.KEHU_API_RATE_TOKEN == "1200/min" and settings.KEHU_API_RATE_ANON == "60/min"
    client = token_client()
    assert {client.get("/api/customers", limit=1).status_code for _ in range(100)} == {200}
