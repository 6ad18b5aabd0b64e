"""Both languages everywhere: ambiguous words translated by their context, texts the system stores (lookup reasons,
record reasons) shown in the reader's language, the admin titled Kehu."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kehu.customers.models import Contact, PersonalDataAccess

from .helpers import page_text


def client_for(user, language: str) -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def test_primary_contact_and_language_switch_by_context(make_customer, users):
    company = make_customer("某某科技有限公司", kind="organisation")
    Contact.objects.create(customer=company, name="刘经理", is_primary=True)
    chinese = page_text(client_for(users["administrator"], "zh-hans").get(f"/customers/{company.pk}/"))
    assert re.search(r"刘经理\s*<span class=\"badge badge-ok\">主联系人</span>", chinese)
    assert '<button type="submit" class="btn btn-small">切换</button>' in chinese
    english = page_text(client_for(users["administrator"], "en").get(f"/customers/{company.pk}/"))
    assert re.search(r"刘经理\s*<span class=\"badge badge-ok\">Primary</span>", english)


def test_admin_is_titled_kehu_and_words_keep_the_admins_sense(users):
    admin = client_for(users["administrator"], "zh-hans")
    users["administrator"].is_staff = users["administrator"].is_superuser = True
    users["administrator"].save()
    index = page_text(admin.get("/admin/"))
    assert "Kehu 系统配置" in index and "Django" not in re.sub(r"<[^>]+>", " ", index).replace("django", "")
    assert "组织架构" in index  # the org app (staff, branches), not 单位客户 (an organisation customer)
    assert "单位客户" not in index
    # "Change" in the admin keeps Django's 修改, not the language switcher's 切换
    changelist = page_text(admin.get("/admin/scoring/tierscheme/"))
    assert "排列顺序" in changelist and "职位" not in changelist  # a scheme's position is its display order
    english = page_text(client_for(users["administrator"], "en").get("/admin/"))
    assert "Kehu administration" in english


@pytest.mark.parametrize(("language", "shown", "hidden"), [("en", "Phone lookup", "电话查询"),
                                                         ("zh-hans", "电话查询", "Phone lookup")])
def test_lookup_reason_in_the_readers_language(make_customer, users, language, shown, hidden):
    from kehu.org.services import api_token_create

    make_customer("张三", mobile="13800138000")
    _token, key = api_token_create(user=users["service_agent"], name="tests")
    # the call centre works in Chinese
    response = Client().get("/api/customers/lookup", {"phone": "13800138000"}, HTTP_AUTHORIZATION=f"Bearer {key}",
                            HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert PersonalDataAccess.objects.get(action="lookup").reason == "Phone lookup"  # stored as its code
    page = page_text(client_for(users["administrator"], language).get("/audit/access-log/"))
    assert shown in page and hidden not in page


@pytest.mark.parametrize(("language", "shown", "hidden"), [("en", "Record created", "新建档案"),
                                                         ("zh-hans", "新建档案", "Record created")])
def test_record_reasons_in_the_readers_language(make_customer, users, language, shown, hidden):
    customer = make_customer("张三")
    page = page_text(client_for(users["administrator"], language).get(f"/customers/{customer.pk}/"))
    history = page[page.index('id="history"'):]
    assert shown in history and hidden not in history
