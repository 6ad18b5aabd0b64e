from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiClient


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create

    def make(who: Any) -> ApiClient:
        user = users[who] if isinstance(who, str) else who
        _token, key = api_token_create(user=user, name="tests")
        return ApiClient(key)

    return make


@pytest.fixture
def publish(users):
    """Write an article as the agent and publish it through the approval (decided by the branch manager for a
    branch article, by the administrator for a group-wide one)."""
    from kehu.service.kb import services
    from kehu.work.services import approval_decide

    def make(title: str, body: str, *, branch=None, category=None, author=None):
        author = author or users["service_agent"]
        article = services.article_create(actor=author, title=title, body=body, branch=branch, category=category)
        approval = services.article_submit(actor=author, article=article)
        east = branch is not None and branch.code in ("EAST", "SH1", "SH2")
        decider = users["branch_manager"] if east else users["administrator"]
        approval_decide(actor=decider, approval=approval, approve=True)
        article.refresh_from_db()
        return article

    return make


@pytest.fixture
def ticket(org, users):
    from kehu.service.services import ticket_create

    return ticket_create(actor=None, type="inquiry", channel="phone", subject="会员卡丢了怎么挂失",
                         caller_name="李女士", branch=org["sh1"], assignee=users["service_agent"])
