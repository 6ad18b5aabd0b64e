"""Lists for daily work: exact counts where counting is cheap, sortable columns, a page-size choice, the header search
box, owner pickers offering only staff who may own customers (issue 12 item 3)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.core import pagination
from kehu.customers.models import Customer

from .helpers import page_text

LIST = "/customers/"
ENGLISH = {"Accept-Language": "en"}


def bulk_customers(org, count: int, *, prefix: str = "客户") -> None:
    """``count`` customers in one INSERT (the list's count is what is tested, not how they were made)."""
    from kehu.core.pinyin import name_search_keys

    rows = []
    for number in range(count):
        name = f"{prefix}{number:05d}"
        full, initials = name_search_keys(name)
        rows.append(Customer(code=f"B{number:07d}", name=name, name_pinyin=full, name_initials=initials,
                             branch=org["sh1"]))
    Customer.objects.bulk_create(rows, batch_size=500)


def names_in(response) -> list[str]:
    return [customer.name for customer in response.context["page"].object_list]


@pytest.fixture
def fresh_table_estimates():
    pagination._table_rows.clear()
    yield
    pagination._table_rows.clear()


def test_a_list_of_more_than_a_thousand_customers_shows_its_exact_count(client, users, org):
    """Was "more than 1000 customers" and "page 1 of at least 41" for any list past 1,000 rows."""
    bulk_customers(org, 1234)
    client.force_login(users["administrator"])
    response = client.get(LIST, headers=ENGLISH)
    text = page_text(response)
    assert response.context["page"].paginator.count == 1234
    assert "1,234 customers" in text or "1234 customers" in text  # the USE_THOUSAND_SEPARATOR setting decides
    assert "More than" not in text and "or more" not in text
    assert "Page 1 of 50" in text  # 25 a page
    # a broad filter over a small table is counted exactly as well
    broad = client.get(LIST, {"q": "kehu"}, headers=ENGLISH)
    assert broad.context["page"].paginator.count == 1234 and broad.context["page"].paginator.count_is_exact


def test_the_list_count_in_chinese(client, users, org):
    bulk_customers(org, 30)
    client.force_login(users["administrator"])
    text = page_text(client.get(LIST, headers={"Accept-Language": "zh-hans"}))
    assert "30 位客户" in text and "第 1 页，共 2 页" in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate exists on PostgreSQL only")
def test_a_broad_filter_over_a_very_large_table_answers_the_planners_estimate(client, users, org, settings,
                                                                              fresh_table_estimates):
    bulk_customers(org, 300)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    settings.KEHU_LIST_ESTIMATE_OVER = 100  # "very large": more rows than this
    settings.KEHU_LIST_COUNT_CAP = 50  # counting stops here (1,000 on a real very large table)
    client.force_login(users["administrator"])
    response = client.get(LIST, {"q": "kehu"}, headers=ENGLISH)
    paginator = response.context["page"].paginator
    assert paginator.count_is_estimate and not paginator.count_is_exact
    assert 150 <= paginator.count <= 600  # the planner's estimate of 300 matches
    text = page_text(response)
    assert f"About {paginator.count} customers" in text and "of about" in text
    # a selective filter stays exact: counting a few matches is cheap
    selective = client.get(LIST, {"q": "B0000001"}, headers=ENGLISH)
    assert selective.context["page"].paginator.count_is_exact
    assert selective.context["page"].paginator.count == 1


def test_the_list_sorts_by_whitelisted_columns_with_arrows(client, users, org, make_customer):
    make_customer("张三", owner=users["other_account_manager"])
    make_customer("李四", owner=users["account_manager"])
    make_customer("王五", owner=users["account_manager"])
    client.force_login(users["administrator"])
    assert names_in(client.get(LIST)) == ["王五", "李四", "张三"]  # newest first by default
    assert names_in(client.get(LIST, {"sort": "name"})) == ["李四", "王五", "张三"]  # pinyin: li, wang, zhang
    response = client.get(LIST, {"sort": "-name"})
    assert names_in(response) == ["张三", "王五", "李四"]
    text = response.content.decode()
    assert 'aria-sort="descending"' in text and "▼" in text
    assert "sort=name" in text  # the sorted column's header sorts the other way
    by_owner = names_in(client.get(LIST, {"sort": "owner"}))
    assert by_owner[-1] == "张三"  # "account_manager N" before "account_manager M" (display names), ties by id
    assert names_in(client.get(LIST, {"sort": "code"})) == ["张三", "李四", "王五"]


def test_sorting_keeps_pages_apart(client, users, org, settings):
    """Equal sort values (one branch for all) are ordered by id, so no customer shows on two pages."""
    settings.KEHU_PAGE_SIZE = 4
    bulk_customers(org, 10)
    client.force_login(users["administrator"])
    seen = []
    for number in (1, 2, 3):
        seen += names_in(client.get(LIST, {"sort": "branch", "page": number}))
    assert len(seen) == len(set(seen)) == 10


@pytest.mark.parametrize("sort", ["password", "-", "--name", "name;DROP TABLE x", "owner__password", "id",
                                  "%", "-" * 30, "é", "name" * 200])
def test_sort_values_outside_the_whitelist_are_ignored(client, users, make_customer, sort):
    make_customer("张三")
    make_customer("李四")
    client.force_login(users["administrator"])
    response = client.get(LIST, {"sort": sort})
    assert response.status_code == 200
    assert names_in(response) == ["李四", "张三"]


def test_nul_bytes_in_list_parameters_answer_400(client, users, make_customer):
    make_customer("张三")
    client.force_login(users["administrator"])
    for name in ("sort", "per_page", "page"):
        assert client.get(LIST, {name: "name\x00"}).status_code == 400, name


def test_page_size_choice(client, users, org):
    bulk_customers(org, 120)
    client.force_login(users["administrator"])
    assert len(client.get(LIST).context["page"].object_list) == 25
    assert len(client.get(LIST, {"per_page": "50"}).context["page"].object_list) == 50
    response = client.get(LIST, {"per_page": "100", "page": "2"}, headers=ENGLISH)
    assert len(response.context["page"].object_list) == 20 and "Page 2 of 2" in page_text(response)
    assert 'name="per_page"' in response.content.decode()


@pytest.mark.parametrize("per_page", ["5000", "0", "-1", "1e9", "99999999999999999999999", "abc", "２５"])
def test_page_sizes_outside_the_choice_are_ignored(client, users, org, per_page):
    bulk_customers(org, 30)
    client.force_login(users["administrator"])
    response = client.get(LIST, {"per_page": per_page})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25


@pytest.mark.parametrize("page", ["0", "-3", "99999999999999999999999999", "last", "1e3"])
def test_hostile_page_numbers_with_sorting(client, users, org, page):
    bulk_customers(org, 30)
    client.force_login(users["administrator"])
    response = client.get(LIST, {"sort": "-created", "page": page})
    assert response.status_code == 200 and response.context["page"].object_list


@pytest.mark.parametrize("sort", ["", "name", "-owner", "branch", "tier", "-status", "class", "created"])
def test_list_queries_do_not_grow_with_customers_in_any_order(client, users, org, make_customer, sort):
    client.force_login(users["administrator"])
    make_customer("张三", owner=users["account_manager"])
    client.get(LIST, {"sort": sort})  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"sort": sort})
    for number in range(12):
        make_customer(f"客户{number}", owner=users["account_manager" if number % 2 else "branch_manager"],
                      branch=org["sh2"] if number % 3 else org["sh1"])
    with CaptureQueriesContext(connection) as many:
        client.get(LIST, {"sort": sort})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_header_has_a_search_box_on_every_page(client, users, make_customer):
    customer = make_customer("张三")
    client.force_login(users["account_manager"])
    for path in ("/", f"/customers/{customer.pk}/", "/value/", "/customers/new/person/"):
        text = client.get(path).content.decode()
        assert 'class="topbar-search"' in text and 'action="/customers/"' in text and 'name="q"' in text, path
    found = client.get(LIST, {"q": "zs"})
    assert names_in(found) == ["张三"]


def test_no_search_box_for_anonymous_visitors(client):
    assert 'class="topbar-search"' not in client.get("/accounts/login/").content.decode()


def _choices(response, field: str) -> set[str]:
    form = response.context["form"]
    return {str(user.username) for user in form.fields[field].queryset}


def test_owner_pickers_offer_only_staff_who_may_own_customers(client, users, make_customer):
    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["administrator"])
    not_owners = {"auditor1", "agent1", "marketer1", "credit1"}
    pickers = [
        (client.get(f"/customers/{customer.pk}/transfer/"), "new_owner"),
        (client.get("/customers/new/person/"), "owner"),
        (client.get("/customers/transfer/staff-leaves/"), "new_owner"),
        (client.get(LIST), "owner"),
    ]
    for response, field in pickers:
        offered = _choices(response, field)
        assert {"am1", "am2", "manager1", "admin1"} <= offered, field
        assert not offered & not_owners, field


def test_a_customer_cannot_be_given_to_a_marketer(client, users, make_customer):
    from kehu.customers.models import Customer

    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["branch_manager"])
    response = client.post(f"/customers/{customer.pk}/transfer/",
                           {"new_owner": users["marketer"].pk, "reason": "调岗"})
    assert response.status_code == 200 and response.context["form"].errors["new_owner"]
    assert Customer.objects.get(pk=customer.pk).owner == users["account_manager"]


def test_only_a_few_matches_are_read_in_the_few_rows_order(client, users, org, monkeypatch):
    """A search whose exact count leaves few rows past the page is sorted after reading them through the search
    indexes (``id + 0``); a long exact list keeps the indexed order (sorting 90,000 rows would be the slow part)."""
    monkeypatch.setattr(pagination, "FAST_COUNT_CAP", 5)
    bulk_customers(org, 12)
    client.force_login(users["administrator"])
    client.get(LIST)

    def page_sql(params):
        with CaptureQueriesContext(connection) as queries:
            client.get(LIST, params)
        return [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]
                and "COUNT(" not in q["sql"].upper()]

    long_list = page_sql({"q": "kehu"})
    assert long_list and not any("+ 0" in sql for sql in long_list)
    few = page_sql({"q": "B000000"})  # 10 matches, the first page of 25 shows them all: 10 - 0 > 5 still long
    assert few and not any("+ 0" in sql for sql in few)
    fewer = page_sql({"q": "B0000001"})  # one match
    assert any("+ 0" in sql for sql in fewer)
