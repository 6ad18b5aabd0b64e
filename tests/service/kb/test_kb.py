"""The knowledge base: versions and approval, Chinese search (words in the middle of a text, titles first, scope),
pages, API, the ticket section and the report — on the real database (SQLite FTS5 / PostgreSQL tsvector)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.service.kb import selectors, services
from kehu.service.models import Article, ArticleStatus, ArticleUse, ArticleVersion, TicketMessage, VersionStatus
from kehu.work.models import Approval
from kehu.work.services import approval_decide

pytestmark = pytest.mark.django_db


def _titles(user, query):
    return [hit["version"].title for hit in selectors.article_search(user=user, query=query)[0]]


def test_words_in_the_middle_match_titles_rank_first_and_only_published_in_scope_are_found(publish, users, org):
    agent = users["service_agent"]
    publish("如何申请退款流程", "顾客签收后七天内可以办理。")
    publish("积分规则", "积分不能用于退款，退款时扣回已送积分。")
    publish("北京门店退款须知", "北京的退款在服务台办理。", branch=org["bj1"], author=users["bj_account_manager"])
    publish("上海门店退款须知", "上海的退款在服务台办理。", branch=org["sh1"])
    services.article_create(actor=agent, title="退款草稿", body="还没批准的退款口径")
    found = _titles(agent, "退款")
    assert "如何申请退款流程" in found and "积分规则" in found and "上海门店退款须知" in found
    assert "北京门店退款须知" not in found and "退款草稿" not in found
    assert found.index("如何申请退款流程") < found.index("积分规则")  # the title weighs more
    assert _titles(agent, "申请退") == ["如何申请退款流程"]
    assert _titles(users["bj_account_manager"], "北京") == ["北京门店退款须知"]
    assert _titles(agent, "完全无关的词") == []
    # no article has every word: the ones with some of them, said so
    results, partial = selectors.article_search(user=agent, query="退款 发票")
    assert partial and results
    assert selectors.article_search(user=agent, query="")[0] == []


def test_editing_writes_a_draft_version_published_only_after_approval(publish, users):
    agent, manager = users["service_agent"], users["administrator"]
    article = publish("营业时间", "早上九点到晚上九点。")
    version = services.article_edit(actor=agent, article=article, title="营业时间", body="早上十点到晚上十点。",
                                    comment="冬季调整")
    assert version.number == 2 and version.status == VersionStatus.DRAFT
    assert _titles(agent, "九点") == ["营业时间"] and _titles(agent, "十点") == []
    approval = services.article_submit(actor=agent, article=article)
    with pytest.raises(ValidationError):  # no edit while a version is in review
        services.article_edit(actor=agent, article=article, title="x", body="y")
    with pytest.raises(PermissionDenied):  # the submitter does not decide
        approval_decide(actor=agent, approval=approval, approve=True)
    approval_decide(actor=manager, approval=approval, approve=False, comment="时间不对")
    assert ArticleVersion.objects.get(pk=version.pk).status == VersionStatus.DRAFT
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED
    approval = services.article_submit(actor=agent, article=article)
    approval_decide(actor=manager, approval=Approval.objects.get(pk=approval.pk), approve=True)
    article.refresh_from_db()
    assert article.current_version.number == 2
    assert list(article.versions.order_by("number").values_list("status", flat=True)) == ["superseded", "published"]
    assert _titles(agent, "十点") == ["营业时间"] and _titles(agent, "九点") == []
    diff = selectors.version_diff(old=article.versions.get(number=1), new=article.versions.get(number=2))
    assert ("-", "早上九点到晚上九点。") in diff and ("+", "早上十点到晚上十点。") in diff


def test_branch_managers_decide_their_branches_articles_administrators_group_wide_ones(users, org):
    agent = users["service_agent"]
    group_wide = services.article_create(actor=agent, title="统一口径", body="全集团")
    approval = services.article_submit(actor=agent, article=group_wide)
    with pytest.raises((PermissionDenied, Approval.DoesNotExist)):
        approval_decide(actor=users["branch_manager"], approval=approval, approve=True)
    local = services.article_create(actor=agent, title="本店口径", body="上海一店", branch=org["sh1"])
    approval_decide(actor=users["branch_manager"], approval=services.article_submit(actor=agent, article=local),
                    approve=True)
    assert Article.objects.get(pk=local.pk).status == ArticleStatus.PUBLISHED
    with pytest.raises(PermissionDenied):
        services.article_create(actor=users["auditor"], title="x", body="y")
    with pytest.raises(PermissionDenied):
        services.article_create(actor=agent, title="x", body="y", branch=org["bj1"])
    with pytest.raises(ValidationError):
        services.article_create(actor=agent, title=" \x00 ", body="y")


def test_archived_articles_leave_the_search(publish, users):
    article = publish("停车优惠", "满两百元免费停车两小时。")
    with pytest.raises(PermissionDenied):
        services.article_archive(actor=users["service_agent"], article=article)
    services.article_archive(actor=users["branch_manager"], article=article)
    assert _titles(users["service_agent"], "停车") == []
    with pytest.raises(ValidationError):
        services.article_submit(actor=users["branch_manager"], article=article)


def test_pages_list_search_detail_form_versions_submit(client, publish, users):
    client.force_login(users["service_agent"])
    empty = client.get("/service/knowledge/")
    assert empty.status_code == 200 and "empty-large" in empty.content.decode()
    for number in range(25):
        publish(f"会员卡挂失第{number}问", "本人带身份证到门店办理挂失，补卡十元。")
    with CaptureQueriesContext(connection) as few:
        client.get("/service/knowledge/")
    publish("多一篇", "再多一篇文章")
    with CaptureQueriesContext(connection) as more:
        page = client.get("/service/knowledge/")
    assert page.status_code == 200 and len(more) == len(few)
    found = client.get("/service/knowledge/", {"q": "挂失"})
    assert found.status_code == 200 and "<mark>挂失</mark>" in found.content.decode()
    assert client.get("/service/knowledge/", {"q": "挂失", "page": "2"}).status_code == 200
    assert client.get("/service/knowledge/", {"q": "<script>", "page": "x"}).status_code == 200
    assert client.get("/service/knowledge/", {"q": "退款\x00"}).status_code == 400
    response = client.post("/service/knowledge/new/", {"title": "发票开具", "body": "<b>电子发票</b>发送到邮箱"})
    article = Article.objects.get(title="发票开具")
    assert response.status_code == 302
    detail = client.get(f"/service/knowledge/{article.pk}/").content.decode()
    assert "&lt;b&gt;电子发票" in detail and "<b>电子发票" not in detail
    assert client.post("/service/knowledge/new/", {"title": "", "body": ""}).status_code == 422
    client.post(f"/service/knowledge/{article.pk}/edit/", {"title": "发票开具", "body": "纸质发票也可以"})
    versions = client.get(f"/service/knowledge/{article.pk}/versions/")
    assert versions.status_code == 200 and "纸质发票也可以" in versions.content.decode()
    assert client.post(f"/service/knowledge/{article.pk}/submit/").status_code == 302
    assert ArticleVersion.objects.get(article=article, number=2).status == VersionStatus.IN_REVIEW
    client.force_login(users["bj_account_manager"])
    assert client.get(f"/service/knowledge/{article.pk}/").status_code == 404  # someone else's draft
    client.force_login(users["auditor"])
    assert client.get("/service/knowledge/new/").status_code == 403


def test_api_search_create_edit_submit_and_hostile_input(api_as, publish, users):
    publish("如何申请退款流程", "七天无理由")
    api = api_as("service_agent")
    hits = api.get("/api/knowledge/search", q="退款").json()
    assert [hit["title"] for hit in hits["items"]] == ["如何申请退款流程"] and not hits["partial"]
    for hostile in ['"', "*", "NEAR(退款", "a OR", "' & |", "!:)(", "退" * 199]:
        assert api.get("/api/knowledge/search", q=hostile).status_code == 200
    assert api.get("/api/knowledge/search", q="x" * 201).status_code == 422
    assert api.get("/api/knowledge/search", q="退款\x00").status_code == 422
    created = api.post("/api/knowledge/articles", {"title": "积分到期", "body": "两年有效"})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    edited = api._send("put", f"/api/knowledge/articles/{pk}", {"title": "积分到期", "body": "三年有效",
                                                                 "version": 1})
    assert edited.status_code == 200, edited.content
    stale = api._send("put", f"/api/knowledge/articles/{pk}", {"title": "积分到期", "body": "四年", "version": 1})
    assert stale.status_code == 409
    assert api.post(f"/api/knowledge/articles/{pk}/submit").status_code == 200
    assert api.post(f"/api/knowledge/articles/{pk}/submit").status_code == 422
    assert api.get(f"/api/knowledge/articles/{pk}").json()["body"] == "三年有效"
    assert api.get("/api/knowledge/articles/99999999").status_code == 404
    assert api.get("/api/knowledge/articles").json()["count"] == 2
    assert api.post("/api/knowledge/articles", {"title": "x", "body": "y", "category_id": 2**40}).status_code == 422
    assert api_as("auditor").post("/api/knowledge/articles", {"title": "x", "body": "y"}).status_code == 403


def test_using_an_article_on_a_ticket_once_and_the_ticket_section(api_as, client, publish, users, ticket, org):
    from kehu.service.hooks import ticket_section_list
    from kehu.service.services import ticket_create

    article = publish("会员卡挂失与补办", "本人携带身份证到门店办理挂失，补卡工本费十元。")
    section = next(section for section in ticket_section_list() if section.key == "kb")
    data = section.loader(ticket=ticket, user=users["service_agent"])
    assert [hit["article"].pk for hit in data["results"]] == [article.pk]
    api = api_as("service_agent")
    first = api.post(f"/api/knowledge/articles/{article.pk}/uses", {"ticket_id": ticket.pk})
    assert first.status_code == 201 and first.json()["version"] == 1
    assert api.post(f"/api/knowledge/articles/{article.pk}/uses", {"ticket_id": ticket.pk}).status_code == 200
    assert ArticleUse.objects.filter(ticket=ticket).count() == 1
    other = ticket_create(actor=None, type="inquiry", channel="phone", subject="别处", caller_name="王",
                          branch=org["bj1"])
    assert api.post(f"/api/knowledge/articles/{article.pk}/uses", {"ticket_id": other.pk}).status_code == 404
    assert api_as("auditor").post(f"/api/knowledge/articles/{article.pk}/uses",
                                  {"ticket_id": ticket.pk}).status_code in (403, 404)
    client.force_login(users["service_agent"])
    page = client.get(f"/service/knowledge/ticket/{ticket.pk}/search/", {"q": "补卡"})
    assert page.status_code == 200 and "会员卡挂失与补办" in page.content.decode()
    second = publish("挂失后积分", "挂失后积分自动转入新卡。")
    used = client.post(f"/service/knowledge/ticket/{ticket.pk}/use/{second.pk}/", {"as_note": "1"})
    assert used.status_code == 200 and "挂失后积分" in used.content.decode()
    assert TicketMessage.objects.filter(ticket=ticket, kind="note", body__contains="自动转入新卡").count() == 1
    assert client.post(f"/service/knowledge/ticket/{other.pk}/use/{second.pk}/").status_code == 404
    # the report: tickets per article per month, page and CSV (formula-looking titles are neutralised)
    client.force_login(users["branch_manager"])
    report = client.get("/service/knowledge/report/")
    assert report.status_code == 200 and "会员卡挂失与补办" in report.content.decode()
    csv_text = client.get("/service/knowledge/report/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "会员卡挂失与补办,1" in csv_text
    assert client.get("/service/knowledge/report/", {"start": "0001-01-01", "end": "9999-12-31"}).status_code == 200
    client.force_login(users["service_agent"])
    assert client.get("/service/knowledge/report/").status_code == 403


def test_demo_step_writes_searchable_articles(users):
    from kehu.service.kb.demo import load_kb_demo

    assert load_kb_demo(customers=[], users=users, seed=1) == 60
    assert Article.objects.filter(status="published").count() == 60
    assert "会员卡挂失与补办" in _titles(users["administrator"], "挂失")
    assert ArticleVersion.objects.filter(number=2).exists()
