"""Fixtures for the work machinery and relations tests: API clients with real tokens, tasks, customers by branch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.api.conftest import ApiClient


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create

    def make(who: Any, language: str = "en") -> ApiClient:
        user = users[who] if isinstance(who, str) else who
        _token, key = api_token_create(user=user, name="tests")
        return ApiClient(key, language=language)

    return make


@pytest.fixture
def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def customers(make_customer, users, org):
    """An SH1 customer owned by am1, one owned by am2, and a Beijing customer."""
    return {
        "mine": make_customer("王一", owner=users["account_manager"]),
        "colleague": make_customer("王二", owner=users["other_account_manager"]),
        "beijing": make_customer("赵北", branch=org["bj1"], owner=users["bj_account_manager"]),
    }


@pytest.fixture
def make_task(users, today):
    from kehu.work.services import task_create

    def make(owner="account_manager", *, days: int = 0, customer=None, title: str = "回访", actor=None, **extra):
        owner_user = users[owner] if isinstance(owner, str) else owner
        return task_create(actor=actor or owner_user, owner=owner_user, title=title,
                           due_date=today + dt.timedelta(days=days), customer=customer, **extra)

    return make
