"""The customer list: search box, filters, pagination, empty state, HTMX partial, masking, bulk selection."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .helpers import page_text

LIST = reverse("customers:list")


def names_in(response) -> list[str]:
    return [customer.name for customer in response.context["page"].object_list]


def test_search_by_initials_finds_zhang_san(client, users, make_customer):
    make_customer("张三", mobile="13800138000")
    make_customer("李四", mobile="13900139000")
    client.force_login(users["account_manager"])
    response = client.get(LIST, {"q": "zs"})
    assert response.status_code == 200
    assert names_in(response) == ["张三"]
    text = page_text(response)
    assert "张三" in text and "李四" not in text


@pytest.mark.parametrize(("query", "expected"), [("zhangsan", ["张三"]), ("8000", ["张三"]), ("李", ["李四"]),
                                                 ("13900139000", ["李四"]), ("nobody", [])])
def test_search_other_keys(client, users, make_customer, query, expected):
    make_customer("张三", mobile="13800138000")
    make_customer("李四", mobile="13900139000")
    client.force_login(users["administrator"])
    assert names_in(client.get(LIST, {"q": query})) == expected


def test_mobile_is_masked_in_the_list(client, users, make_customer):
    make_customer("张三", mobile="13800138000")
    client.force_login(users["credit_officer"])  # may reveal on the 360 page, but the list is masked for everyone
    text = page_text(client.get(LIST))
    assert "138****8000" in text
    assert "13800138000" not in text


def test_htmx_request_gets_only_the_results_partial(client, users, make_customer):
    make_customer("张三")
    client.force_login(users["administrator"])
    response = client.get(LIST, {"q": "zs"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text and "张三" in text
    assert "HX-Request" in response["Vary"]
    full = client.get(LIST, {"q": "zs"})
    assert "<html" in full.content.decode()
    # the search form drives the partial
    assert 'hx-trigger="keyup changed delay:300ms, change"' in full.content.decode()
    assert 'hx-push-url="true"' in full.content.decode()


def test_filters(client, users, org, make_customer):
    from kehu.customers.services import tag_get_or_create

    vip = tag_get_or_create(name="VIP")
    make_customer("张三", owner=users["account_manager"], lifecycle_status="current", management_class="key",
                  tags=[vip], share_of_wallet=90)
    make_customer("李四", branch=org["sh2"], owner=users["other_account_manager"])
    make_customer("华商公司", kind="organisation")
    client.force_login(users["administrator"])

    assert names_in(client.get(LIST, {"kind": "organisation"})) == ["华商公司"]
    assert names_in(client.get(LIST, {"kind": "person"})) == ["李四", "张三"]
    assert names_in(client.get(LIST, {"branch": org["sh2"].pk})) == ["李四"]
    assert names_in(client.get(LIST, {"branch": org["east"].pk})) == ["华商公司", "李四", "张三"]  # subtree
    assert names_in(client.get(LIST, {"owner": users["account_manager"].pk})) == ["张三"]
    assert names_in(client.get(LIST, {"lifecycle_status": "current"})) == ["张三"]
    assert names_in(client.get(LIST, {"management_class": "key"})) == ["张三"]
    assert names_in(client.get(LIST, {"tag": vip.pk})) == ["张三"]
    assert names_in(client.get(LIST, {"relationship_stage": "strategic"})) == ["张三"]
    assert names_in(client.get(LIST, {"q": "l", "branch": org["sh2"].pk})) == ["李四"]


def test_branch_filter_offers_only_branches_in_scope(client, users, org, make_customer):
    make_customer("北京客户", branch=org["bj1"])
    client.force_login(users["branch_manager"])
    response = client.get(LIST)
    offered = set(response.context["form"].fields["branch"].queryset)
    assert offered == {org["east"], org["sh1"], org["sh2"]}
    # a branch outside the scope is not a valid choice and shows nothing from it
    assert names_in(client.get(LIST, {"branch": org["bj1"].pk})) == []


def test_pagination(client, users, make_customer, settings):
    settings.KEHU_PAGE_SIZE = 10
    for number in range(23):
        make_customer(f"客户{number:02d}")
    client.force_login(users["administrator"])
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 10
    assert first.context["page"].paginator.num_pages == 3
    third = client.get(LIST, {"page": 3})
    assert names_in(third) == ["客户02", "客户01", "客户00"]
    assert "page=2" in third.content.decode()  # link back
    # out-of-range pages show the last page instead of failing
    assert names_in(client.get(LIST, {"page": 99})) == names_in(third)


def test_pagination_keeps_the_search(client, users, make_customer, settings):
    settings.KEHU_PAGE_SIZE = 2
    for name in ["张一", "张二", "张三", "李四"]:
        make_customer(name)
    client.force_login(users["administrator"])
    response = client.get(LIST, {"q": "zh"})
    text = response.content.decode()
    assert "?q=zh&amp;page=2" in text
    assert names_in(client.get(LIST, {"q": "zh", "page": 2})) == ["张一"]


def test_empty_state_without_customers(client, users):
    client.force_login(users["account_manager"])
    text = page_text(client.get(LIST))
    assert "No customers yet" in text or "暂无客户" in text
    assert reverse("customers:create", args=["person"]) in text


def test_empty_state_for_a_search_without_results(client, users, make_customer):
    make_customer("张三")
    client.force_login(users["account_manager"])
    response = client.get(LIST, {"q": "wxyz"})
    assert response.context["is_filtered"] is True
    assert response.context["page"].paginator.count == 0
    assert 'class="card empty empty-large"' in response.content.decode()


def test_empty_state_hides_create_button_without_permission(client, users):
    client.force_login(users["marketer"])
    text = page_text(client.get(LIST))
    assert reverse("customers:create", args=["person"]) not in text


def test_bulk_selection_only_for_users_who_may_transfer(client, users, make_customer):
    make_customer("张三")
    client.force_login(users["branch_manager"])
    assert 'name="ids"' in client.get(LIST).content.decode()
    client.force_login(users["account_manager"])
    assert 'name="ids"' not in client.get(LIST).content.decode()


def test_list_shows_only_customers_in_scope(client, users, org, make_customer):
    make_customer("张三")
    make_customer("北京客户", branch=org["bj1"])
    client.force_login(users["service_agent"])
    assert names_in(client.get(LIST)) == ["张三"]
    client.force_login(users["bj_account_manager"])
    assert names_in(client.get(LIST)) == ["北京客户"]


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(client, users, org, make_customer, django_assert_max_num_queries):
    from kehu.customers.services import tag_get_or_create

    tags = [tag_get_or_create(name=f"标签{n}") for n in range(3)]
    owners = [users["account_manager"], users["other_account_manager"]]
    for number in range(3):
        make_customer(f"客户{number}", owner=owners[number % 2], tags=tags)
    client.force_login(users["branch_manager"])
    client.get(LIST)  # warm the session
    few = _list_queries(client)
    for number in range(3, 30):
        make_customer(f"客户{number}", owner=owners[number % 2], tags=tags,
                      branch=org["sh2"] if number % 3 else org["sh1"])
    many = _list_queries(client)
    assert many == few
    with django_assert_max_num_queries(15):
        client.get(LIST, {"q": "kh", "tag": tags[0].pk})


def test_count_is_capped_and_paging_goes_on(client, users, make_customer, settings):
    """Broad searches are counted only up to KEHU_LIST_COUNT_CAP rows past the page shown: "more than N"."""
    settings.KEHU_PAGE_SIZE = 2
    settings.KEHU_LIST_COUNT_CAP = 3
    for number in range(7):
        make_customer(f"张{number}")
    client.force_login(users["administrator"])
    english = {"Accept-Language": "en"}

    first = client.get(LIST, {"q": "zh"}, headers=english)
    text = page_text(first)
    paginator = first.context["page"].paginator
    assert (paginator.count, paginator.count_is_exact) == (3, False)
    assert "More than 3 customers" in text and "Page 1 of 2 or more" in text
    assert "page=2" in text  # next

    second = client.get(LIST, {"q": "zh", "page": 2}, headers=english)
    assert "More than 5 customers" in page_text(second) and "Page 2 of 3 or more" in page_text(second)
    assert "page=3" in page_text(second)

    # near the end the count reaches every match and is exact again
    last = client.get(LIST, {"q": "zh", "page": 4}, headers=english)
    text = page_text(last)
    assert names_in(last) == ["张0"]
    assert "7 customers" in text and "More than" not in text and "Page 4 of 4" in text
    assert "page=5" not in text


def test_count_below_the_cap_is_exact(client, users, make_customer, settings):
    settings.KEHU_LIST_COUNT_CAP = 3
    for number in range(3):
        make_customer(f"张{number}")
    client.force_login(users["administrator"])
    text = page_text(client.get(LIST, {"q": "zh"}, headers={"Accept-Language": "en"}))
    assert "3 customers" in text and "More than" not in text


def test_capped_count_in_chinese_keeps_whole_pages(client, users, make_customer, settings):
    settings.KEHU_PAGE_SIZE = 2
    settings.KEHU_LIST_COUNT_CAP = 1  # smaller than a page: the page is still counted whole
    for number in range(3):
        make_customer(f"张{number}")
    client.force_login(users["administrator"])
    response = client.get(LIST, {"q": "zh"}, headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.count_is_exact) == (2, False)
    assert names_in(response) == ["张2", "张1"]
    assert "page=2" in response.content.decode()
    assert names_in(client.get(LIST, {"q": "zh", "page": 2})) == ["张0"]


def test_capped_count_reads_at_most_cap_plus_one_rows(client, users, make_customer, settings):
    settings.KEHU_PAGE_SIZE = 2
    settings.KEHU_LIST_COUNT_CAP = 2
    for number in range(5):
        make_customer(f"张{number}")
    client.force_login(users["administrator"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"q": "zh"})
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 3" in counts[0].upper()
