"""The forecast on a known data set: by month, owner, branch and product (count, amount, weighted, committed), the
"this month" headline with won so far, the funnel by stage, win rate and median cycle per owner; scope; the API;
a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.sales.models import LossReason
from kehu.sales.opportunities import services
from kehu.sales.opportunities.forecast import add_months, forecast

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_set(make_opportunity, products, pipeline, users, today):
    """A: am1 6000 at 50 % this month, committed; B: am1 1200 at 10 % next month; C: am2 4200 at 75 % this month,
    committed; D: Beijing 6000 at 25 % next month; E: am1 won 3000 after 10 days; F: am1 lost after reaching
    需求确认; G: open, 8 months ahead (outside the window)."""
    this_month = today.replace(day=15)
    next_month = add_months(today, 1).replace(day=10)
    sofa, desk = products["sofa"].pk, products["desk"].pk
    am1, am2 = users["account_manager"], users["other_account_manager"]

    def at(opportunity, stage):
        return services.opportunity_move(actor=opportunity.owner, opportunity=opportunity, stage=pipeline[stage])

    a = at(make_opportunity(name="A", lines=[{"product": sofa, "quantity": 2}], expected_close=this_month,
                            committed=True), "方案报价")
    b = make_opportunity(name="B", lines=[{"product": desk, "quantity": 1}], expected_close=next_month)
    c = at(make_opportunity("other_account_manager", customer="colleague", name="C", expected_close=this_month,
                            committed=True, lines=[{"product": sofa, "quantity": 1}, {"product": desk, "quantity": 1}]),
           "谈判")
    d = at(make_opportunity("bj_account_manager", customer="beijing", name="D", expected_close=next_month,
                            lines=[{"product": desk, "quantity": 5}]), "需求确认")
    e = services.opportunity_win(actor=am1, opportunity=make_opportunity(
        name="E", lines=[{"product": sofa, "quantity": 1}], when=timezone.now() - dt.timedelta(days=10)))
    f = services.opportunity_lose(actor=am1, opportunity=at(make_opportunity(name="F"), "需求确认"),
                                  reason=LossReason.objects.first())
    g = make_opportunity(name="G", expected_close=add_months(today, 8))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "am1": am1, "am2": am2}


def _row(rows, label):
    return next(row for row in rows if row.label == label)


def test_forecast_figures_on_a_known_data_set(data_set, users, today):
    result = forecast(user=users["administrator"], today=today)
    assert len(result.months) == 6
    this, following = result.months[0], result.months[1]
    assert (this.count, this.amount, this.weighted, this.committed) == (
        2, Decimal("10200.00"), Decimal("6150.00"), Decimal("10200.00"))
    assert (following.count, following.amount, following.weighted, following.committed) == (
        2, Decimal("7200.00"), Decimal("1620.00"), Decimal("0.00"))
    assert all(row.count == 0 for row in result.months[2:])  # G is 8 months ahead
    assert result.this_month == this
    assert (result.won_this_month.count, result.won_this_month.amount) == (1, Decimal("3000.00"))

    owners = {row.key: (row.count, row.amount, row.weighted, row.committed) for row in result.owners}
    assert owners == {
        users["account_manager"].pk: (2, Decimal("7200.00"), Decimal("3120.00"), Decimal("6000.00")),
        users["other_account_manager"].pk: (1, Decimal("4200.00"), Decimal("3150.00"), Decimal("4200.00")),
        users["bj_account_manager"].pk: (1, Decimal("6000.00"), Decimal("1500.00"), Decimal("0.00"))}
    branches = {row.label: (row.count, row.amount, row.weighted, row.committed) for row in result.branches}
    assert branches == {"上海一店": (3, Decimal("11400.00"), Decimal("6270.00"), Decimal("10200.00")),
                        "北京一店": (1, Decimal("6000.00"), Decimal("1500.00"), Decimal("0.00"))}
    products = {row.label: (row.count, row.amount, row.weighted, row.committed) for row in result.products}
    assert products == {"沙发": (2, Decimal("9000.00"), Decimal("5250.00"), Decimal("9000.00")),
                        "书桌": (3, Decimal("8400.00"), Decimal("2520.00"), Decimal("1200.00"))}
    assert result.total.amount == Decimal("17400.00")

    funnel = [(step.stage, step.reached, step.conversion) for step in result.funnel]
    assert funnel == [("初步接洽", 7, 71.4), ("需求确认", 5, 60.0), ("方案报价", 3, 66.7), ("谈判", 2, 50.0),
                      ("赢单", 1, None)]
    rates = {rate.owner_id: rate for rate in result.rates}
    assert set(rates) == {users["account_manager"].pk}
    mine = rates[users["account_manager"].pk]
    assert (mine.won, mine.lost, mine.win_rate, mine.won_amount, mine.median_cycle_days) == (
        1, 1, 50.0, Decimal("3000.00"), 10)


def test_forecast_is_scoped_and_filtered(data_set, users, org, today):
    mine = forecast(user=users["account_manager"], today=today)
    assert (mine.this_month.count, mine.this_month.amount) == (1, Decimal("6000.00"))
    assert [row.key for row in mine.owners] == [users["account_manager"].pk]
    region = forecast(user=users["branch_manager"], today=today)  # East: SH1 and SH2, not Beijing
    assert {row.label for row in region.branches} == {"上海一店"}
    beijing = forecast(user=users["administrator"], branch_id=org["bj1"].pk, today=today)
    assert beijing.months[1].amount == Decimal("6000.00") and beijing.months[0].count == 0
    later = forecast(user=users["administrator"], start=add_months(today, 8), months=1, today=today)
    assert later.months[0].count == 1  # G
    assert forecast(user=users["service_agent"], today=today).total.count == 0


def test_median_cycle_per_owner(make_opportunity, users, today):
    def won_after(who, days, customer):
        created = timezone.now() - dt.timedelta(days=days)
        return services.opportunity_win(actor=users[who], opportunity=make_opportunity(
            who, customer=customer, when=created))

    for days in (3, 20, 5):
        won_after("account_manager", days, "mine")
    for days in (2, 4):
        won_after("other_account_manager", days, "colleague")
    rates = {rate.owner_id: rate.median_cycle_days for rate in forecast(user=users["administrator"],
                                                                         today=today).rates}
    assert rates == {users["account_manager"].pk: 5, users["other_account_manager"].pk: 3}


def test_forecast_api_and_page(data_set, api_as, client, users):
    response = api_as("administrator").get("/api/forecast", months=3)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["this_month"]["count"] == 2 and Decimal(body["this_month"]["weighted"]) == Decimal("6150.00")
    assert len(body["months"]) == 3 and body["funnel"][0]["reached"] == 7
    assert body["rates"][0]["win_rate"] == 50.0
    for bad in ({"months": 0}, {"months": 99}, {"start": "0001-01-01"}, {"start": "9999-12-31"},
                {"pipeline_id": 999999}, {"owner_id": "x"}):
        assert api_as("administrator").get("/api/forecast", **bad).status_code in (400, 422), bad
    assert api_as("service_agent").get("/api/forecast").status_code == 403
    client.force_login(users["administrator"])
    page = client.get("/sales/forecast/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-figure="count">2<' in text and "¥10,200.00" in text
    assert client.get("/sales/forecast/?start=0001-01-01&months=abc").status_code == 200  # a bad filter is ignored
    assert "本月" in client.get("/sales/forecast/", headers={"Accept-Language": "zh-Hans"}).content.decode()


def test_forecast_queries_do_not_grow_with_the_data(make_opportunity, users, client, today):
    client.force_login(users["administrator"])
    make_opportunity()
    client.get("/sales/forecast/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/sales/forecast/").status_code == 200
    for index in range(6):
        make_opportunity(name=f"机会{index}", close_in=index * 20)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/sales/forecast/").status_code == 200
    assert len(many) == len(few)
