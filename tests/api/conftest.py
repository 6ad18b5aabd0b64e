"""An API client that authenticates with a real personal token (org.services.api_token_create)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client


class ApiClient:
    """The Django test client speaking JSON with ``Authorization: Bearer <key>``."""

    def __init__(self, key: str | None, language: str = "en") -> None:
        self.client = Client()
        self.headers = {"Accept-Language": language}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def _send(self, method: str, path: str, body: Any = None, **query: Any):
        call = getattr(self.client, method)
        if method in {"get", "delete"} and body is None:
            return call(path, query or None, headers=self.headers)
        return call(path, data=json.dumps(body, default=str), content_type="application/json", headers=self.headers)

    def get(self, path: str, **query: Any):
        return self._send("get", path, **query)

    def post(self, path: str, body: Any = None):
        return self._send("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any = None):
        return self._send("patch", path, body if body is not None else {})

    def delete(self, path: str):
        return self._send("delete", path)


@pytest.fixture
def api_as(users):
    """``api_as("branch_manager")`` (a role of the ``users`` fixture) or ``api_as(user)``: a client with a new token."""
    from kehu.org.services import api_token_create

    def make(who: Any, language: str = "en") -> ApiClient:
        user = users[who] if isinstance(who, str) else who
        _token, key = api_token_create(user=user, name="tests")
        return ApiClient(key, language=language)

    return make


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(None)


def error_of(response) -> dict[str, Any]:
    """The ``error`` object of an error response, checking the one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error
