"""Relationship evaluation: thresholds and grades at their boundaries, the weighted total, the computed indicators on
a small known data set, evaluating through the API and the pages, scope (404), hostile input (4xx), query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Activity
from kehu.relations.models import Evaluation, EvaluationIndicator, EvaluationTemplate

D = Decimal


@pytest.fixture
def template(db):
    """Two computed indicators and two manual ones, weights 40 + 30 + 20 + 10."""
    template = EvaluationTemplate.objects.create(name="测试评估表", periodic=True, period_months=12,
                                                 maintain_from=D("70"), terminate_below=D("40"))
    make = EvaluationIndicator.objects.create
    indicators = {
        "share": make(template=template, position=1, name="份额", weight=D("40"), source="share_of_wallet",
                      target=D("80")),
        "contacts": make(template=template, position=2, name="联系", weight=D("30"), source="contact_frequency",
                         target=D("4")),
        "credit": make(template=template, position=3, name="信用", weight=D("20"), max_score=D("10"),
                       default_score=D("5")),
        "complaints": make(template=template, position=4, name="投诉", weight=D("10"), default_score=D("100")),
    }
    template.ind = indicators  # type: ignore[attr-defined]
    return template


def _contact(customer, user, when, satisfaction=None):
    from kehu.relations.services import contact_log

    return contact_log(actor=user, customer=customer, channel="phone", summary="回访", occurred_at=when,
                       satisfaction=satisfaction)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), dt.UTC)


# --- the rules -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("total, recommendation, grade", [
    ("100", "maintain", "A"), ("85", "maintain", "A"), ("84.99", "maintain", "B"), ("70", "maintain", "B"),
    ("69.99", "improve", "C"), ("50", "improve", "C"), ("49.99", "improve", "D"), ("40", "improve", "D"),
    ("39.99", "terminate", "D"), ("0", "terminate", "D"),
])
def test_thresholds_decide_the_recommendation_and_grade_at_the_boundaries(template, total, recommendation, grade):
    assert template.recommendation_for(D(total)) == recommendation
    assert template.grade_for(D(total)) == grade


@pytest.mark.django_db
def test_thresholds_are_configurable_per_template(template):
    template.maintain_from, template.terminate_below = D("90"), D("60")
    assert template.recommendation_for(D("89.99")) == "improve"
    assert template.recommendation_for(D("59.99")) == "terminate"
    assert template.recommendation_for(D("90")) == "maintain"


@pytest.mark.django_db
def test_weighted_total_is_out_of_100_with_each_indicator_scaled_by_its_highest_score(template):
    from kehu.relations.evaluations.services import weighted_total

    ind = template.ind
    scores = {ind["share"].pk: D("50"), ind["contacts"].pk: D("100"), ind["credit"].pk: D("7.5"),
              ind["complaints"].pk: D("0")}
    # 40 × 0.5 + 30 × 1 + 20 × 0.75 + 10 × 0 = 65
    assert weighted_total(template.indicators.all(), scores) == D("65.00")
    assert weighted_total(template.indicators.all(), {}) == D("0.00")
    full = {ind["share"].pk: D(100), ind["contacts"].pk: D(100), ind["credit"].pk: D(10), ind["complaints"].pk: D(100)}
    assert weighted_total(template.indicators.all(), full) == D("100.00")


# --- computed indicators on a known data set ------------------------------------------------------------------------


@pytest.mark.django_db
def test_computed_sources_on_a_small_known_data_set(users, customers, today):
    from kehu.purchases.services import transaction_create
    from kehu.relations.evaluations.sources import Period, sources

    mine, colleague = customers["mine"], customers["colleague"]
    mine.share_of_wallet = D("40")
    mine.save(update_fields=["share_of_wallet"])
    period = Period(today - dt.timedelta(days=89), today)
    am, am2 = users["account_manager"], users["other_account_manager"]
    _contact(mine, am, _at(today - dt.timedelta(days=10)), satisfaction=5)
    _contact(mine, am, _at(today - dt.timedelta(days=20)), satisfaction=2)
    _contact(mine, am, _at(today - dt.timedelta(days=30)))
    _contact(mine, am, _at(today - dt.timedelta(days=120)), satisfaction=1)  # before the period
    _contact(colleague, am2, _at(today - dt.timedelta(days=5)), satisfaction=4)
    for days, amount in ((100, "1000"), (120, "500"), (10, "1800")):  # previous period 1500, this period 1800
        transaction_create(actor=users["administrator"], customer=mine, amount=D(amount),
                           occurred_at=_at(today - dt.timedelta(days=days)))
    transaction_create(actor=users["administrator"], customer=colleague, amount=D("300"),
                       occurred_at=_at(today - dt.timedelta(days=3)))  # only this period: full score
    ids = [mine.pk, colleague.pk, customers["beijing"].pk]

    share = sources["share_of_wallet"].compute(ids, period, D("80"))
    assert share == {mine.pk: sources["share_of_wallet"].compute([mine.pk], period, D("80"))[mine.pk]}
    assert (share[mine.pk].value, share[mine.pk].fraction) == (D("40"), D("0.5"))
    satisfaction = sources["satisfaction"].compute(ids, period, None)
    assert satisfaction[mine.pk].value == D("3.50") and satisfaction[mine.pk].fraction == D("0.625")
    assert satisfaction[colleague.pk].value == D("4.00")
    contacts = sources["contact_frequency"].compute(ids, period, D("4"))
    assert (contacts[mine.pk].value, contacts[mine.pk].fraction) == (D(3), D("0.75"))
    assert customers["beijing"].pk not in contacts  # no data
    growth = sources["growth"].compute(ids, period, D("20"))
    assert growth[mine.pk].value == D("20.00") and growth[mine.pk].fraction == D("1")
    assert growth[colleague.pk].value is None and growth[colleague.pk].fraction == D("1")
    falling = sources["growth"].compute([mine.pk], period, D("40"))[mine.pk]
    assert falling.fraction == D("0.75")  # +20 % against a target of 40 %: halfway between no change and the target


@pytest.mark.django_db
def test_each_computed_source_reads_a_fixed_number_of_queries(users, make_customer, today):
    from kehu.relations.evaluations.sources import Period, sources

    period = Period(today - dt.timedelta(days=364), today)
    few = [make_customer(f"客户{index}", owner=users["account_manager"]).pk for index in range(2)]
    many = few + [make_customer(f"客户{index}", owner=users["account_manager"]).pk for index in range(2, 12)]
    for source in sources.values():
        with CaptureQueriesContext(connection) as small:
            source.compute(few, period, None)
        with CaptureQueriesContext(connection) as large:
            source.compute(many, period, None)
        assert len(small.captured_queries) == len(large.captured_queries) == 1, source.key


# --- evaluating a customer (API) -------------------------------------------------------------------------------------


def _payload(template, customer, **changes):
    ind = template.ind
    body = {"customer_id": customer.pk, "template_id": template.pk,
            "scores": [{"indicator_id": ind["credit"].pk, "score": "8"},
                       {"indicator_id": ind["complaints"].pk, "score": "90"}]}
    body.update(changes)
    return body


@pytest.mark.django_db
def test_evaluate_through_the_api_measures_computed_indicators_and_keeps_the_entered_ones(
        api_as, users, customers, template, today):
    mine = customers["mine"]
    mine.share_of_wallet = D("60")
    mine.save(update_fields=["share_of_wallet"])
    for days in (3, 40):
        _contact(mine, users["account_manager"], _at(today - dt.timedelta(days=days)), satisfaction=4)
    response = api_as("account_manager").post("/api/evaluations", _payload(template, mine, notes="关系稳定"))
    assert response.status_code == 201, response.content
    body = response.json()
    # share 60/80 → 75 × 40 % = 30; contacts 2/4 → 50 × 30 % = 15; credit 8/10 × 20 = 16; complaints 90 × 10 % = 9
    assert body["total"] == "70.00" and body["grade"] == "B" and body["recommendation"] == "maintain"
    scores = {score["indicator"]: score for score in body["scores"]}
    assert scores["份额"]["score"] == "75.00" and scores["份额"]["value"] == "60.00"
    assert scores["联系"]["value"] == "2.00" and scores["信用"]["value"] is None
    assert body["evaluator"]["id"] == users["account_manager"].pk and body["automatic"] is False
    activity = Activity.objects.get(customer=mine, kind="evaluation")
    assert activity.data["total"] == "70.00"
    timeline = api_as("account_manager").get(f"/api/customers/{mine.pk}/timeline").json()["items"]
    assert any(item["kind"] == "evaluation" and "70.00" in item["title"] for item in timeline)


@pytest.mark.django_db
def test_an_evaluator_may_correct_a_computed_score(api_as, customers, template):
    body = _payload(template, customers["mine"])
    body["scores"].append({"indicator_id": template.ind["share"].pk, "score": "100"})
    response = api_as("account_manager").post("/api/evaluations", body)
    assert response.status_code == 201
    # share 100 × 40 % = 40; contacts 0; credit 16; complaints 9
    assert response.json()["total"] == "65.00" and response.json()["recommendation"] == "improve"


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [
    ("account_manager", 201), ("branch_manager", 201), ("administrator", 201),
    ("other_account_manager", 403),  # same branch, not theirs
    ("auditor", 403),  # reads only
    ("bj_account_manager", 404),  # another branch
])
def test_who_may_evaluate(api_as, customers, template, who, status):
    response = api_as(who).post("/api/evaluations", _payload(template, customers["mine"]))
    assert response.status_code == status
    assert Evaluation.objects.count() == (1 if status == 201 else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    {"evaluated_on": "0001-01-01"}, {"evaluated_on": "9999-12-31"}, {"notes": "x" * 5001},
    {"scores": [{"indicator_id": 1, "score": "1e400"}]},
    {"scores": [{"indicator_id": 2**63, "score": "1"}]},
    {"template_id": 0}, {"customer_id": -1}, {"unknown": 1}, {"notes": "\x00"},
])
def test_hostile_input_answers_4xx(api_as, customers, template, change):
    response = api_as("account_manager").post("/api/evaluations", _payload(template, customers["mine"], **change))
    assert 400 <= response.status_code < 500, response.content
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_scores_out_of_range_missing_or_foreign_are_refused(api_as, customers, template):
    api = api_as("account_manager")
    ind = template.ind
    too_high = _payload(template, customers["mine"], scores=[{"indicator_id": ind["credit"].pk, "score": "10.01"},
                                                             {"indicator_id": ind["complaints"].pk, "score": "1"}])
    assert api.post("/api/evaluations", too_high).status_code == 422
    missing = _payload(template, customers["mine"], scores=[{"indicator_id": ind["credit"].pk, "score": "1"}])
    response = api.post("/api/evaluations", missing)
    assert response.status_code == 422 and "投诉" in response.json()["error"]["fields"]["scores"][0]
    other = EvaluationTemplate.objects.create(name="其他")
    foreign = EvaluationIndicator.objects.create(template=other, name="x", weight=D(100))
    body = _payload(template, customers["mine"])
    body["scores"].append({"indicator_id": foreign.pk, "score": "1"})
    assert api.post("/api/evaluations", body).status_code == 422
    assert api.post("/api/evaluations", _payload(template, customers["mine"])).status_code == 201
    again = api.post("/api/evaluations", _payload(template, customers["mine"]))  # same customer, template and day
    assert again.status_code == 422 and Evaluation.objects.count() == 1


@pytest.mark.django_db
def test_list_and_get_are_scoped_and_filtered(api_as, users, customers, template):
    from kehu.relations.evaluations.services import evaluation_run

    evaluation_run(template=template, customer_ids=[customers["mine"].pk, customers["beijing"].pk])
    mine = Evaluation.objects.get(customer=customers["mine"])
    beijing = Evaluation.objects.get(customer=customers["beijing"])
    am = api_as("account_manager")
    assert [item["id"] for item in am.get("/api/evaluations").json()["items"]] == [mine.pk]
    assert am.get(f"/api/evaluations/{beijing.pk}").status_code == 404
    assert am.get("/api/evaluations", customer_id=customers["beijing"].pk).status_code == 404
    auditor = api_as("auditor").get("/api/evaluations").json()
    assert auditor["count"] == 2
    assert api_as("auditor").get("/api/evaluations", grade=mine.grade,
                                 recommendation=mine.recommendation).json()["count"] >= 1
    assert api_as("auditor").get("/api/evaluations", grade="Z").status_code == 422
    by_branch = api_as("administrator").get("/api/evaluations", branch_id=users["bj_account_manager"].branches
                                            .get().pk).json()
    assert [item["id"] for item in by_branch["items"]] == [beijing.pk]
    templates = am.get("/api/evaluation-templates").json()
    names = [item["name"] for item in templates["items"]]
    assert "测试评估表" in names and "客户关系评估表" in names  # the standard template of the data migration


@pytest.mark.django_db
def test_the_list_api_reads_a_constant_number_of_queries(api_as, users, make_customer, template):
    from kehu.relations.evaluations.services import evaluation_run

    api = api_as("branch_manager")
    first = [make_customer(f"甲{index}", owner=users["account_manager"]).pk for index in range(2)]
    evaluation_run(template=template, customer_ids=first)
    api.get("/api/evaluations")
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/evaluations").json()["count"] == 2
    more = [make_customer(f"乙{index}", owner=users["account_manager"]).pk for index in range(10)]
    evaluation_run(template=template, customer_ids=more)
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/evaluations").json()["count"] == 12
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the monthly run and `kehu evaluate` -----------------------------------------------------------------------------


@pytest.fixture
def _keep_connections(monkeypatch):
    """``run_from_argv`` closes the connections when a command ends: that would end the test's transaction."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_connections")
def test_the_command_evaluates_key_customers_once_per_day(users, make_customer, template, capsys, today):
    from kehu.cli import main
    from kehu.relations.evaluations.services import evaluation_run

    keys = [make_customer(f"关键{index}", owner=users["account_manager"], management_class="key")
            for index in range(3)]
    make_customer("普通", owner=users["account_manager"])
    keys[0].share_of_wallet = D("80")
    keys[0].save(update_fields=["share_of_wallet"])
    day = today - dt.timedelta(days=1)
    assert main(["evaluate", "--as-of", day.isoformat(), "--template", template.name]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "evaluations created 3, already evaluated 0"
    assert main(["evaluate", "--as-of", day.isoformat(), "--template", template.name]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "evaluations created 0, already evaluated 3"
    assert Evaluation.objects.filter(template=template).count() == 3
    first = Evaluation.objects.get(customer=keys[0], template=template)
    # share 80/80 → 40; no contacts; manual defaults: credit 5/10 → 10, complaints 100 → 10
    assert (first.total, first.automatic, first.evaluator) == (D("60.00"), True, None)
    assert Activity.objects.filter(kind="evaluation").count() == 3
    # a later month carries the manual scores of the newest earlier evaluation
    from kehu.relations.models import EvaluationScore

    EvaluationScore.objects.filter(evaluation=first, indicator=template.ind["credit"]).update(score=D("10"))
    created, skipped = evaluation_run(as_of=today, template=template)
    assert (created, skipped) == (3, 0)
    assert Evaluation.objects.get(customer=keys[0], evaluated_on=today, template=template).total == D("70.00")


@pytest.mark.django_db
def test_the_run_takes_a_fixed_number_of_queries_whatever_the_number_of_key_customers(
        users, make_customer, template, today):
    from kehu.relations.evaluations.services import evaluation_run

    small = [make_customer(f"甲{index}", management_class="key").pk for index in range(2)]
    large = small + [make_customer(f"乙{index}", management_class="key").pk for index in range(20)]
    with CaptureQueriesContext(connection) as few:
        assert evaluation_run(as_of=today - dt.timedelta(days=2), template=template, customer_ids=small) == (2, 0)
    with CaptureQueriesContext(connection) as many:
        assert evaluation_run(as_of=today - dt.timedelta(days=1), template=template, customer_ids=large) == (22, 0)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_connections")
def test_bad_command_input_is_an_error_not_a_crash(template, capsys):
    from django.core.management.base import CommandError

    from kehu.cli import main

    for args in (["--as-of", "0001-01-01"], ["--as-of", "yesterday"], ["--template", "没有这个"],
                 ["--as-of", "9999-12-31"]):
        with pytest.raises((CommandError, SystemExit)) as stop:
            main(["evaluate", *args])
        assert not isinstance(stop.value, SystemExit) or stop.value.code != 0
    assert "Traceback" not in capsys.readouterr().err
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_the_beat_task_runs_the_periodic_templates(make_customer, template, settings):
    from kehu.relations.tasks import evaluation_run_task

    assert "monthly-key-customer-evaluation" in settings.CELERY_BEAT_SCHEDULE
    make_customer("关键", management_class="key")
    EvaluationTemplate.objects.exclude(pk=template.pk).update(periodic=False)
    assert evaluation_run_task() == {"created": 1, "skipped": 0}
    assert evaluation_run_task() == {"created": 0, "skipped": 1}


# --- pages -----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_evaluate_from_the_360_page_with_computed_scores_prefilled(client, users, customers, template, today):
    mine = customers["mine"]
    mine.share_of_wallet = D("40")
    mine.save(update_fields=["share_of_wallet"])
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{mine.pk}/").content.decode()
    url = f"/relations/customers/{mine.pk}/evaluate/"
    assert f'href="{url}"' in page and "Not evaluated yet" in page or "尚未评估" in page
    form = client.get(f"{url}?template={template.pk}").content.decode()
    assert 'value="50.00"' in form  # share of wallet 40 of 80 → 50 prefilled
    ind = template.ind
    data = {"template": template.pk, "evaluated_on": today.isoformat(), f"score_{ind['share'].pk}": "50",
            f"score_{ind['contacts'].pk}": "0", f"score_{ind['credit'].pk}": "10",
            f"score_{ind['complaints'].pk}": "100", "notes": ""}
    assert client.post(url, {**data, f"score_{ind['credit'].pk}": "11"}).status_code == 422
    assert client.post(url, data).status_code == 302
    evaluation = Evaluation.objects.get()
    assert evaluation.total == D("50.00") and evaluation.recommendation == "improve"
    page = client.get(f"/customers/{mine.pk}/").content.decode()
    assert 'id="evaluations"' in page and "50.00" in page


@pytest.mark.django_db
def test_the_panel_draws_the_trend_as_svg_bars_without_inline_styles(client, users, customers, template, today):
    from kehu.relations.evaluations.services import evaluation_run

    for months in range(3, 0, -1):
        evaluation_run(as_of=today - dt.timedelta(days=30 * months), template=template,
                       customer_ids=[customers["mine"].pk])
    client.force_login(users["auditor"])
    page = client.get(f"/customers/{customers['mine'].pk}/").content.decode()
    section = page[page.index('id="evaluations"'):]
    section = section[:section.index("</section>")]
    assert section.count('class="trend-bar') == 3 and "style=" not in section and "<script" not in section
    assert "relations/customers" not in section  # auditors read only: no "Evaluate" button


@pytest.mark.django_db
def test_the_panel_loader_reads_its_declared_number_of_queries(users, customers, template):
    from kehu.relations.evaluations.panels import EVALUATIONS_PANEL
    from kehu.relations.evaluations.services import evaluation_run

    ids = [customer.pk for customer in customers.values()]
    evaluation_run(template=template, customer_ids=ids)
    user = users["administrator"]
    EVALUATIONS_PANEL.loader(ids, user, full=True)  # permissions cached
    with CaptureQueriesContext(connection) as queries:
        data = EVALUATIONS_PANEL.loader(ids, user, full=True)
    assert len(queries.captured_queries) == EVALUATIONS_PANEL.queries
    assert all(data[pk]["latest"] is not None for pk in ids)


@pytest.mark.django_db
@pytest.mark.parametrize("language, empty, title", [("en", "No evaluations yet", "Relationship evaluations"),
                                                    ("zh-hans", "还没有评估", "客户关系评估")])
def test_the_list_page_in_both_languages_with_filters_and_an_empty_state(client, users, customers, template,
                                                                          language, empty, title):
    from kehu.relations.evaluations.services import evaluation_run

    client.force_login(users["branch_manager"])
    headers = {"Accept-Language": language}
    page = client.get("/relations/evaluations/", headers=headers).content.decode()
    assert empty in page and title in page
    evaluation_run(template=template, customer_ids=[customers["mine"].pk, customers["beijing"].pk])
    page = client.get("/relations/evaluations/", headers=headers).content.decode()
    assert customers["mine"].name in page and customers["beijing"].name not in page
    grade = Evaluation.objects.get(customer=customers["mine"]).grade
    other = "A" if grade != "A" else "B"
    assert customers["mine"].name not in client.get(f"/relations/evaluations/?grade={other}",
                                                    headers=headers).content.decode()
    assert client.get(f"/relations/evaluations/?customer={customers['beijing'].pk}").status_code == 404
    assert client.get("/relations/evaluations/?customer=99999999999999999999&page=x").status_code == 200


@pytest.mark.django_db
def test_administrators_change_thresholds_with_a_version(client, users, template):
    url = f"/relations/evaluation-templates/{template.pk}/"
    client.force_login(users["account_manager"])
    assert client.get("/relations/evaluation-templates/").status_code == 200
    assert client.get(url).status_code == 403
    client.force_login(users["administrator"])
    data = {"name": template.name, "description": "", "is_active": "on", "periodic": "on", "period_months": "6",
            "maintain_from": "75", "terminate_below": "45", "grade_a_from": "90", "grade_b_from": "75",
            "grade_c_from": "50", "version": "1"}
    assert client.post(url, {**data, "terminate_below": "80"}).status_code == 422  # above "maintain from"
    assert client.post(url, data).status_code == 302
    template.refresh_from_db()
    assert (template.maintain_from, template.version) == (D("75"), 2)
    stale = client.post(url, {**data, "maintain_from": "60"}, headers={"Accept-Language": "en"})  # still version 1
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    template.refresh_from_db()
    assert template.maintain_from == D("75")
