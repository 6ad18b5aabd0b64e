"""Authentication (token, session with CSRF), the error shape outside operations, the OpenAPI document and docs."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from kehu.org.services import api_token_create, api_token_revoke

from .conftest import ApiClient, error_of


def test_without_credentials_is_401(anonymous_api):
    response = anonymous_api.get("/api/customers")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer kehu_wrong", "Bearer ", "Token abc", "kehu_abc"])
def test_bad_token_is_401(header, users):
    response = Client().get("/api/customers", headers={"Authorization": header})

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_revoked_token_and_inactive_user_are_401(users):
    user = users["account_manager"]
    token, key = api_token_create(user=user, name="t")
    client = ApiClient(key)
    assert client.get("/api/customers").status_code == 200

    api_token_revoke(token=token)
    assert client.get("/api/customers").status_code == 401

    _token, other_key = api_token_create(user=user, name="t2")
    user.is_active = False
    user.save()
    assert ApiClient(other_key).get("/api/customers").status_code == 401


def test_unauthenticated_write_is_401_not_csrf(users):
    response = Client(enforce_csrf_checks=True).post("/api/customers", data="{}", content_type="application/json")

    assert response.status_code == 401


def test_session_reads_and_writes_with_csrf(users, org):
    from kehu.customers.models import Customer

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["branch_manager"])
    body = {"kind": "person", "name": "张三", "branch_id": org["sh1"].pk}

    assert client.get("/api/customers").status_code == 200
    refused = client.post("/api/customers", data=body, content_type="application/json")
    assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
    assert not Customer.objects.exists()

    # the UI's pages set the CSRF cookie and put the token in the page; here both are made directly
    page_request = RequestFactory().get("/")
    token = get_token(page_request)
    client.cookies[settings.CSRF_COOKIE_NAME] = page_request.META["CSRF_COOKIE"]
    created = client.post("/api/customers", data=body, content_type="application/json",
                          headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.content
    assert Customer.objects.get().history.first().history_user == users["branch_manager"]


def test_invalid_json_is_400(api_as):
    client = api_as("administrator")

    response = client.client.post("/api/customers", data="{bad", content_type="application/json",
                                  headers=client.headers)

    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_method_not_allowed_and_unknown_path_have_the_error_shape(api_as):
    client = api_as("administrator")

    not_allowed = client.client.put("/api/customers", data="{}", content_type="application/json",
                                    headers=client.headers)
    unknown = client.get("/api/nothing/here")

    assert not_allowed.status_code == 405 and error_of(not_allowed)["code"] == "method_not_allowed"
    assert "GET" in not_allowed["Allow"]
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"


def test_error_message_language_follows_accept_language(users):
    _token, key = api_token_create(user=users["administrator"], name="t")

    chinese = ApiClient(key, language="zh-hans").get("/api/customers", limit=0)
    english = ApiClient(key, language="en").get("/api/customers", limit=0)

    assert error_of(english)["fields"]["limit"] == ["Ensure this value is greater than or equal to 1."]
    assert error_of(chinese)["fields"]["limit"] != error_of(english)["fields"]["limit"]
    assert re.search(r"[\u4e00-\u9fff]", error_of(chinese)["fields"]["limit"][0])


def test_openapi_lists_the_paths(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    for path in ("/api/customers", "/api/customers/lookup", "/api/customers/{customer_id}",
                 "/api/customers/{customer_id}/contacts", "/api/customers/{customer_id}/consents",
                 "/api/customers/transfer", "/api/customers/{customer_id}/reveal", "/api/transactions",
                 "/api/branches", "/api/staff"):
        assert path in schema["paths"], path
    assert {tag["name"] for tag in schema["tags"]} >= {"customers", "transactions"}
    assert "fields" in schema["info"]["description"]
    security = schema["components"]["securitySchemes"]
    assert any(scheme.get("scheme") == "bearer" for scheme in security.values())


def test_docs_page_uses_only_local_static_files(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    for url in urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not served by the static files finders"
    assert "cdn" not in html.lower() and "https://" not in html
    assert '"validatorUrl": null' in html


def test_branches_and_staff_in_scope(api_as, users, org):
    client = api_as("branch_manager")

    branches = client.get("/api/branches").json()
    staff = client.get("/api/staff", role="account_manager").json()

    assert {item["code"] for item in branches["items"]} == {"EAST", "SH1", "SH2"}
    assert {item["username"] for item in staff["items"]} == {"am1", "am2"}
    assert staff["count"] == 2
