"""Alerts: who raises them (a tier fall of a core or key customer, P(active) falling below the threshold), who sees
them (an account manager only those of own customers) and who may handle them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from kehu.customers.models import Customer
from kehu.scoring import clv, selectors, services
from kehu.scoring.models import Alert, ScoringConfiguration
from kehu.scoring.services import scoring_run_execute

NOVEMBER = dt.date(2025, 11, 30)
DECEMBER = dt.date(2025, 12, 31)


@pytest.fixture
def shuffled(hundred, buy, users, org):
    """After November, ten small customers buy big in December: everyone else moves down ten places."""
    Customer.objects.filter(pk=hundred[85].pk).update(management_class="key", owner=users["account_manager"])
    Customer.objects.filter(pk=hundred[99].pk).update(owner=users["other_account_manager"])
    Customer.objects.filter(pk=hundred[95].pk).update(owner=users["bj_account_manager"], branch=org["bj1"])
    scoring_run_execute(as_of=NOVEMBER)
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    scoring_run_execute(as_of=DECEMBER)
    return hundred


def pyramid_alerts(user=None):
    alerts = selectors.alert_list(user=user) if user is not None else Alert.objects.all()
    return alerts.filter(scheme__name="pyramid", reason=Alert.Reason.TIER_FALL)


def test_falls_from_top_tiers_and_of_key_customers_raise_alerts(shuffled, users):
    alerts = {a.customer_id: a for a in pyramid_alerts()}
    # A → C and B → C fall from alert tiers; the key customer falls C → D; a regular C → D customer raises none
    assert set(alerts) == {c.pk for c in (shuffled[99], shuffled[98], shuffled[97], shuffled[96], shuffled[95],
                                          shuffled[85])}
    key = alerts[shuffled[85].pk]
    assert key.owner == users["account_manager"]
    assert key.figures["previous_tier"] == "C" and key.figures["tier"] == "D"
    assert key.figures["key_customer"] is True
    assert key.figures["current_amount"] == 8600.0
    with translation.override("en"):
        assert key.text == "Customer pyramid: tier fell from Ordinary customer to Small customer."
    top = alerts[shuffled[99].pk]
    assert (top.figures["previous_tier"], top.figures["tier"]) == ("A", "C")
    assert top.status == Alert.Status.OPEN and top.as_of == DECEMBER


def test_account_manager_sees_only_alerts_of_own_customers(shuffled, users):
    assert [a.customer_id for a in pyramid_alerts(users["account_manager"])] == [shuffled[85].pk]
    assert [a.customer_id for a in pyramid_alerts(users["other_account_manager"])] == [shuffled[99].pk]
    assert [a.customer_id for a in pyramid_alerts(users["bj_account_manager"])] == [shuffled[95].pk]
    assert not pyramid_alerts(users["marketer"]).exists()


def test_managers_see_alerts_of_their_scope(shuffled, users):
    east = {a.customer_id for a in pyramid_alerts(users["branch_manager"])}
    assert shuffled[95].pk not in east  # a Beijing customer
    assert east == {c.pk for c in (shuffled[99], shuffled[98], shuffled[97], shuffled[96], shuffled[85])}
    assert pyramid_alerts(users["administrator"]).count() == 6
    assert pyramid_alerts(users["auditor"]).count() == 6


def test_handling_alerts(shuffled, users):
    alert = pyramid_alerts().get(customer=shuffled[85])
    services.alert_acknowledge(alert=alert, actor=users["account_manager"], note="已致电客户")
    alert.refresh_from_db()
    assert (alert.status, alert.handled_by, alert.note) == (Alert.Status.ACKNOWLEDGED, users["account_manager"],
                                                            "已致电客户")
    for intruder in ("other_account_manager", "auditor", "bj_account_manager"):
        with pytest.raises(PermissionDenied):
            services.alert_close(alert=alert, actor=users[intruder])
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    services.alert_close(alert=alert, actor=users["branch_manager"])
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED


def test_a_handled_alert_survives_a_rerun_of_the_same_date(shuffled, users):
    alert = pyramid_alerts().get(customer=shuffled[85])
    services.alert_acknowledge(alert=alert, actor=users["account_manager"])
    scoring_run_execute(as_of=DECEMBER)
    again = pyramid_alerts().get(customer=shuffled[85])
    assert again.pk == alert.pk and again.status == Alert.Status.ACKNOWLEDGED


@pytest.fixture
def fixed_models(monkeypatch):
    """The published CDNOW parameters (weeks) instead of a fit on a handful of customers."""
    monkeypatch.setattr(clv, "fit_bgnbd", lambda *a, **k: clv.BGNBDParams(0.243, 4.414, 0.793, 2.426, 0.0))
    monkeypatch.setattr(clv, "fit_gamma_gamma", lambda *a, **k: clv.GammaGammaParams(6.25, 3.74, 15.44, 0.0))
    ScoringConfiguration.objects.update(clv_min_customers=1, p_alive_threshold=0.5)


def test_churn_risk_alert_when_a_core_customer_goes_quiet(make_customer, buy, users, fixed_models):
    quiet_key = make_customer("沉默大客户", owner=users["account_manager"], management_class="key")
    quiet_regular = make_customer("沉默普通客户")
    steady_key = make_customer("稳定大客户", management_class="key")
    for week in range(10):  # weekly in January to mid-March, then nothing for nine months
        day = dt.date(2025, 1, 6) + dt.timedelta(weeks=week)
        buy(quiet_key, day.isoformat(), 100)
        buy(quiet_regular, day.isoformat(), 100)
    for month in range(1, 13):
        buy(steady_key, f"2025-{month:02d}-20", 100)

    run = scoring_run_execute(as_of=DECEMBER)

    risk = Alert.objects.filter(reason=Alert.Reason.CHURN_RISK)
    assert [a.customer_id for a in risk] == [quiet_key.pk]
    alert = risk.get()
    assert alert.owner == users["account_manager"]
    assert alert.figures["p_alive"] < 0.5 and alert.figures["threshold"] == 0.5
    assert alert.figures["last_purchase"] == "2025-03-10"
    with translation.override("en"):
        assert alert.text.startswith("Probability of still being active is ") and "(alert below 50%)" in alert.text
    assert run.figures["clv"]["status"] == "fitted"

    # still quiet a month later: P(active) was already below the threshold, so no second alert
    scoring_run_execute(as_of=dt.date(2026, 1, 31))
    assert Alert.objects.filter(reason=Alert.Reason.CHURN_RISK).count() == 1
