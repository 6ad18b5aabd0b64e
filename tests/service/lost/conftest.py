import pytest


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    def make(who, language: str = "en"):
        user = users[who] if isinstance(who, str) else who
        _token, key = api_token_create(user=user, name="tests")
        return ApiClient(key, language=language)

    return make
