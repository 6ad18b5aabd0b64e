"""The home dashboard per role (issue 12 item 8): registered sections (kehu.core.registry.home_sections), the
account manager's own alerts, recent changes and book figures, the managers' branch figures, scope, empty states and
a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.core.registry import HomeSection, home_section_list, home_sections
from kehu.customers.models import CustomerTier
from kehu.home.selectors import month_starts, tree_order
from kehu.org.models import Branch
from kehu.purchases.services import transaction_create
from kehu.scoring.models import Alert
from kehu.work.models import Task

from ..ui.helpers import page_text

TEMPLATES = Path(__file__).parent / "templates"
# the session, the user, their roles, their permissions (2), their branch scope (2) and the counts at the top
# session, user, roles, permissions, branches, the unread-notification count (the idle timeout's session write, at
# most once a minute, is not counted: see _reads)
BASE_QUERIES = 9


def _reads(queries: CaptureQueriesContext) -> int:
    """The page's queries without the session write of the idle timeout (with its savepoint), which the first request
    of a minute makes and the next ones do not."""
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith(
        ("SAVEPOINT", "RELEASE SAVEPOINT", 'UPDATE "django_session"')))


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _alert(customer, *, status=Alert.Status.OPEN, reason=Alert.Reason.CHURN_RISK, days_ago=0):
    return Alert.objects.create(customer=customer, owner=customer.owner, reason=reason, status=status,
                                as_of=timezone.localdate() - dt.timedelta(days=days_ago),
                                figures={"p_alive": 0.12, "threshold": 0.3})


@pytest.fixture
def book(users, org, make_customer):
    """Two customers of the account manager (one active), one of a colleague in the same store, one in store SH2,
    one in Beijing; purchases this month and last; primary tiers; open and acknowledged alerts."""
    admin, manager = users["administrator"], users["account_manager"]
    last_month, this_month, _next = month_starts(timezone.localdate())
    zhang = make_customer("张三", owner=manager, lifecycle_status="current")
    li = make_customer("李四", owner=manager)
    wang = make_customer("王五", owner=users["other_account_manager"], lifecycle_status="current")
    zhao = make_customer("赵六", branch=org["sh2"], lifecycle_status="current")
    beijing = make_customer("北京客户", branch=org["bj1"], owner=users["bj_account_manager"],
                            lifecycle_status="current")
    transaction_create(actor=admin, customer=zhang, occurred_at=_aware(this_month), amount=Decimal("1200"))
    transaction_create(actor=admin, customer=zhang, occurred_at=_aware(last_month + dt.timedelta(days=3)),
                       amount=Decimal("800"))
    transaction_create(actor=admin, customer=wang, occurred_at=_aware(this_month), amount=Decimal("50"))
    transaction_create(actor=admin, customer=zhao, occurred_at=_aware(last_month), amount=Decimal("300"))
    transaction_create(actor=admin, customer=beijing, occurred_at=_aware(this_month), amount=Decimal("99999"))
    # older than last month: in neither month
    transaction_create(actor=admin, customer=li, occurred_at=_aware(last_month - dt.timedelta(days=40)),
                       amount=Decimal("7000"))
    for customer, tier in ((zhang, "A"), (li, "C"), (wang, "C"), (zhao, "B"), (beijing, "A")):
        CustomerTier.objects.create(customer=customer, tier=tier)
    alerts = {
        "zhang": _alert(zhang),
        "li": _alert(li, status=Alert.Status.ACKNOWLEDGED, reason=Alert.Reason.TIER_FALL, days_ago=1),
        "wang": _alert(wang),
        "beijing": _alert(beijing),
    }
    return {"zhang": zhang, "li": li, "wang": wang, "zhao": zhao, "beijing": beijing, "alerts": alerts}


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def _section(response, key):
    return next((item["data"] for item in response.context["sections"] if item["section"].key == key), None)


def _rows(figures):
    return {(row.branch.code if row.branch else "book"): row for row in figures.rows}


def test_sections_are_registered_by_their_apps_in_order():
    keys = [section.key for section in home_section_list()]
    assert keys.index("alerts") < keys.index("recent_changes") < keys.index("figures") < keys.index("recent_customers")


def test_account_manager_sees_own_alerts_recent_changes_and_book(client, users, book):
    response = _home(client, users["account_manager"])
    text = page_text(response)
    sections = [item["section"].key for item in response.context["sections"]]
    assert sections[:4] == ["my_tasks", "alerts", "recent_changes", "figures"]  # "my tasks": work's section

    alerts = _section(response, "alerts")
    assert [alert.customer_id for alert in alerts["alerts"]] == [book["zhang"].pk]  # open, own customers only
    assert alerts["counts"] == {"open": 1, "acknowledged": 1}
    assert 'id="home-alerts"' in text and "王五" not in text.split('id="home-alerts"')[1].split("</section>")[0]

    changes = _section(response, "recent_changes")
    assert {item.activity.customer_id for item in changes["items"]} == {book["zhang"].pk, book["li"].pk}
    purchases = [item for item in changes["items"] if item.kind == "transaction"]
    assert [item.activity.customer_id for item in purchases] == [book["zhang"].pk, book["zhang"].pk, book["li"].pk]
    assert 'id="home-recent_changes"' in text

    figures = _section(response, "figures")
    assert figures.mode == "book"
    (row,) = figures.rows
    assert (row.customers, row.active, row.alerts_open) == (2, 1, 1)
    assert (row.spend_this_month, row.spend_last_month) == (Decimal("1200"), Decimal("800"))
    assert row.tiers == {"A": 1, "C": 1}
    assert "北京客户" not in text and "99999" not in text and "99,999" not in text


def test_branch_manager_sees_the_figures_of_their_branches_only(client, users, book):
    response = _home(client, users["branch_manager"])  # region East: SH1 and SH2
    figures = _section(response, "figures")
    assert figures.mode == "branches"
    rows = _rows(figures)
    assert set(rows) == {"EAST", "SH1", "SH2"}
    assert (rows["SH1"].customers, rows["SH1"].active, rows["SH1"].alerts_open) == (3, 2, 2)
    assert (rows["SH1"].spend_this_month, rows["SH1"].spend_last_month) == (Decimal("1250"), Decimal("800"))
    assert (rows["SH2"].customers, rows["SH2"].spend_last_month, rows["SH2"].tiers) == (1, Decimal("300"), {"B": 1})
    # the region counts the stores below it
    assert (rows["EAST"].customers, rows["EAST"].active) == (4, 3)
    assert rows["EAST"].spend_this_month == Decimal("1250") and rows["EAST"].spend_last_month == Decimal("1100")
    assert rows["EAST"].tiers == {"A": 1, "B": 1, "C": 2}
    assert rows["EAST"].customers_bar == 100.0 and rows["SH2"].customers_bar == 25.0
    assert "recent_changes" not in [item["section"].key for item in response.context["sections"]]
    text = page_text(response)
    assert "北京一店" not in text and "北京客户" not in text and "华北大区" not in text
    # the managers' alerts: their scope's open ones
    assert {a.customer_id for a in _section(response, "alerts")["alerts"]} == {book["zhang"].pk, book["wang"].pk}


def test_administrator_sees_every_branch(client, users, book):
    figures = _section(_home(client, users["administrator"]), "figures")
    rows = _rows(figures)
    assert list(rows) == ["HQ", "EAST", "SH1", "SH2", "NORTH", "BJ1"]  # tree order
    assert rows["HQ"].customers == 5 and rows["BJ1"].spend_this_month == Decimal("99999")
    assert rows["NORTH"].alerts_open == 1 and rows["HQ"].alerts_open == 3
    assert rows["HQ"].this_month_bar == 100.0 and 0 < rows["BJ1"].this_month_bar < 100


def test_bars_are_svg_without_inline_styles(client, users, book):
    text = _home(client, users["administrator"]).content.decode()
    figures = text.split('id="home-figures"')[1].split("</section>")[0]
    assert '<svg class="bar' in figures and 'width="100.00"' in figures
    assert "style=" not in text.split("<main")[1]


def test_empty_installation_shows_empty_states(client, users):
    response = _home(client, users["administrator"])
    text = page_text(response)
    assert "暂无待处理预警" in text  # the interface's default language is Chinese
    assert "您的权限范围内暂无客户" in text or "还没有客户" in text
    assert _section(response, "figures").empty
    assert _section(response, "recent_customers") == {"customers": []}
    manager = _home(client, users["account_manager"])
    assert _section(manager, "recent_changes") == {"items": []}
    assert _section(manager, "figures").empty


def test_staff_without_a_branch_sees_no_branch_figures(client, make_user, book):
    newcomer = make_user("branch_manager")
    figures = _section(_home(client, newcomer), "figures")
    assert figures.rows == [] and figures.empty
    assert _section(_home(client, newcomer), "alerts")["alerts"] == []


@pytest.mark.parametrize("role", ["administrator", "branch_manager", "account_manager"])
def test_query_count_is_bounded_and_does_not_grow_with_the_data(client, users, org, make_customer, role):
    def count() -> int:
        client.force_login(users[role])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        declared = sum(item["section"].queries for item in response.context["sections"])
        assert _reads(queries) <= BASE_QUERIES + declared
        return _reads(queries)

    def add(number: int) -> None:
        for index in range(number):
            customer = make_customer(f"客户{index}", owner=users["account_manager"],
                                     branch=org["sh1"] if index % 2 else org["sh2"])
            transaction_create(actor=users["administrator"], customer=customer, amount=Decimal("10"),
                               occurred_at=timezone.now() - dt.timedelta(days=index))
            CustomerTier.objects.create(customer=customer, tier="ABCD"[index % 4])
            _alert(customer)
            # "My tasks" (work): today's and overdue tasks of the user, counted and listed in two queries
            Task.objects.create(kind="call", title=f"回访{index}", customer=customer, owner=users[role],
                                due_date=timezone.localdate() - dt.timedelta(days=index % 3))

    add(2)
    few = count()
    add(20)
    assert count() == few


def test_a_module_adds_a_section_without_editing_home(client, users, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}]
    calls = []

    def load(user):
        calls.append(user.pk)
        return {"tasks": [f"回访 {user.username}"]}

    section = HomeSection(key="module_tasks", title="My tasks", order=15, loader=load,
                          template="tests/_home_tasks.html", roles=frozenset({"account_manager"}))
    with home_sections.temporarily(section.key, section):
        text = _home(client, users["account_manager"]).content.decode()
        assert 'id="home-module_tasks"' in text and "回访 am1" in text
        assert text.index('id="home-alerts"') < text.index('id="home-module_tasks"') < text.index('id="home-figures"')
        assert 'id="home-module_tasks"' not in _home(client, users["branch_manager"]).content.decode()
    assert calls == [users["account_manager"].pk]  # loaded once, only for the roles it names
    assert 'id="home-module_tasks"' not in _home(client, users["account_manager"]).content.decode()


def test_a_section_whose_loader_returns_none_is_hidden(client, users):
    section = HomeSection(key="nothing", title="Nothing", order=1, loader=lambda user: None,
                          template="does/not/exist.html")
    with home_sections.temporarily(section.key, section):
        assert 'id="home-nothing"' not in _home(client, users["auditor"]).content.decode()


def test_branches_are_listed_in_tree_order_by_number():
    paths = ["/1/", "/1/10/", "/1/9/", "/1/9/11/", "/1/10/12/", "/1/9/100/"]
    ordered = tree_order(Branch(path=path) for path in paths)
    assert [branch.path for branch in ordered] == ["/1/", "/1/9/", "/1/9/11/", "/1/9/100/", "/1/10/", "/1/10/12/"]


def test_months_are_calendar_months():
    assert month_starts(dt.date(2026, 1, 1)) == (dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert month_starts(dt.date(2026, 3, 31)) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1))
