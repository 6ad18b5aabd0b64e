"""Scoring runs end to end: tiers on the customer and in the history, idempotence, order, failures, query counts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import Customer
from kehu.scoring import clv
from kehu.scoring.models import Alert, CustomerSummary, ScoringRun, TierAssignment
from kehu.scoring.runs import alerts as run_alerts
from kehu.scoring.selectors import customer_scores
from kehu.scoring.services import ScoringRunError, scoring_run_execute

AS_OF = dt.date(2025, 12, 31)


def tiers_of(customers):
    """Primary tiers as the customer list filters them ("" when the customer has none)."""
    by_id = dict(Customer.objects.filter(pk__in=[c.pk for c in customers]).values_list("pk", "primary_tier__tier"))
    return [by_id[c.pk] or "" for c in customers]


def current_tier(scheme, customer):
    """The customer's current tier code under ``scheme`` (from the summary's slot), "" without one."""
    scores = customer_scores(customer=Customer.objects.get(pk=customer.pk))
    return next((t.code for t in scores.tiers if t.scheme.pk == scheme.pk), "")


def test_run_sets_primary_tier_on_the_customer_and_keeps_history(hundred, scheme):
    run = scoring_run_execute(as_of=AS_OF)

    tiers = tiers_of(hundred)
    assert tiers[99] == "A"
    assert tiers[95:99] == ["B"] * 4
    assert tiers[80:95] == ["C"] * 15
    assert set(tiers[:80]) == {"D"}
    pyramid = scheme("pyramid")
    # first tiers are not changes: the current tiers are in the summary's slot of the scheme
    assert not TierAssignment.objects.exists()
    assert CustomerSummary.objects.filter(**{f"tier_{pyramid.slot}__isnull": False}).count() == 100
    assert [current_tier(pyramid, c) for c in (hundred[0], hundred[99])] == ["D", "A"]
    assert run.counts[str(pyramid.pk)]["tiers"][0]["customers"] == 1
    top = next(t for t in run.counts[str(pyramid.pk)]["tiers"] if t["code"] == "A")
    assert top["amount_share"] == pytest.approx(10000 / (100 * 101 / 2 * 100))
    assert set(run.schemes.values_list("name", flat=True)) == {"pyramid", "thresholds", "sales-margin",
                                                               "value-loyalty", "weighted-score"}
    assert run.figures["pareto"]["customers"] == 100


def test_thresholds_and_matrix_schemes(make_customer, buy, scheme):
    big = make_customer("大客户")
    mid = make_customer("中客户")
    small = make_customer("小客户")
    idle = make_customer("无消费")
    buy(big, "2025-05-01", 60000, margin=6000)  # 10 % margin
    buy(mid, "2025-05-01", 12000, margin=6000)  # 50 %
    buy(small, "2025-05-01", 500, margin=200)  # 40 %
    scoring_run_execute(as_of=AS_OF)

    def tier(name, customer):
        return current_tier(scheme(name), customer)

    assert [tier("thresholds", c) for c in (big, mid, small, idle)] == ["platinum", "gold", "regular", "regular"]
    # sales × margin rate, medians of the buyers: spend 12,000 and margin rate 40 %
    assert [tier("sales-margin", c) for c in (big, mid, small, idle)] == ["HL", "HH", "LH", "LL"]


def test_rerun_for_the_same_date_replaces_the_run_and_writes_nothing_new(hundred):
    first = scoring_run_execute(as_of=AS_OF)
    rows = TierAssignment.objects.count()

    second = scoring_run_execute(as_of=AS_OF)

    first.refresh_from_db()
    assert first.status == ScoringRun.Status.REPLACED
    assert second.status == ScoringRun.Status.SUCCEEDED
    assert ScoringRun.objects.filter(as_of=AS_OF, status=ScoringRun.Status.SUCCEEDED).count() == 1
    assert TierAssignment.objects.count() == rows
    assert all(v == {"deleted": 0, "inserted": 0}
               for v in second.figures["written"]["assignments"].values())
    assert CustomerSummary.objects.filter(run=second).count() == 100
    assert second.counts == first.counts


def test_rerun_after_new_purchases_rewrites_that_dates_changes(hundred, buy, scheme):
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    buy(hundred[0], "2025-12-15", 50000)  # the smallest customer becomes the biggest
    scoring_run_execute(as_of=AS_OF)
    pyramid = scheme("pyramid")
    change = TierAssignment.objects.get(scheme=pyramid, customer=hundred[0], as_of=AS_OF)
    assert (change.previous_tier, change.tier) == ("D", "A")
    assert current_tier(pyramid, hundred[0]) == "A"

    # the purchase is cancelled and December is scored again: the customer is back to D, the change is gone
    hundred[0].transactions.filter(amount=50000).delete()
    rerun = scoring_run_execute(as_of=AS_OF)

    assert not TierAssignment.objects.filter(scheme=pyramid, customer=hundred[0], as_of=AS_OF).exists()
    assert current_tier(pyramid, hundred[0]) == "D"
    assert tiers_of(hundred[:1]) == ["D"]
    assert rerun.figures["written"]["assignments"]["pyramid"]["deleted"] >= 1


def test_a_later_month_records_tier_changes(hundred, buy, scheme):
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    buy(hundred[10], "2025-12-10", 20000)
    run = scoring_run_execute(as_of=AS_OF)

    pyramid = scheme("pyramid")
    change = TierAssignment.objects.get(scheme=pyramid, customer=hundred[10], as_of=AS_OF)
    assert (change.previous_tier, change.tier, change.is_rise) == ("D", "A", True)
    fallen = TierAssignment.objects.get(scheme=pyramid, customer=hundred[99], as_of=AS_OF)
    assert (fallen.previous_tier, fallen.tier, fallen.is_fall) == ("A", "B", True)
    assert TierAssignment.objects.filter(scheme=pyramid, customer=hundred[99]).count() == 1  # first tier: no row
    assert current_tier(pyramid, hundred[99]) == "B"
    assert run.figures["changes"][str(pyramid.pk)]["falls"] >= 1
    assert run.changes >= 2


def test_runs_are_made_in_date_order(hundred):
    scoring_run_execute(as_of=AS_OF)
    with pytest.raises(ValidationError) as error:
        scoring_run_execute(as_of=dt.date(2025, 6, 30))
    assert "as_of" in error.value.message_dict
    with pytest.raises(ValidationError):
        scoring_run_execute(as_of=dt.date.today() + dt.timedelta(days=2))


def test_only_the_named_scheme(hundred, scheme):
    run = scoring_run_execute(as_of=AS_OF, scheme_names=["thresholds"])
    assert list(run.schemes.values_list("name", flat=True)) == ["thresholds"]
    assert current_tier(scheme("pyramid"), hundred[99]) == ""
    assert current_tier(scheme("thresholds"), hundred[99]) != ""
    assert set(tiers_of(hundred)) == {""}  # the primary scheme was not run: customers keep their tier
    with pytest.raises(ValidationError):
        scoring_run_execute(as_of=AS_OF, scheme_names=["no-such-scheme"])


def test_failed_fit_marks_the_run_failed_and_leaves_tiers_untouched(hundred, monkeypatch):
    good = scoring_run_execute(as_of=dt.date(2025, 11, 30))
    before_tiers = tiers_of(hundred)
    before_summary = list(CustomerSummary.objects.order_by("pk").values_list("pk", "as_of", "total_amount"))
    before_rows = TierAssignment.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("optimiser exploded")

    monkeypatch.setattr(clv, "fit_bgnbd", broken)
    with pytest.raises(ScoringRunError) as error:
        scoring_run_execute(as_of=AS_OF)

    failed = error.value.run
    failed.refresh_from_db()
    assert failed.status == ScoringRun.Status.FAILED
    assert "optimiser exploded" in failed.error
    assert failed.finished_at is not None
    assert tiers_of(hundred) == before_tiers
    assert list(CustomerSummary.objects.order_by("pk").values_list("pk", "as_of", "total_amount")) == before_summary
    assert TierAssignment.objects.count() == before_rows
    good.refresh_from_db()
    assert good.status == ScoringRun.Status.SUCCEEDED


def test_failure_in_the_middle_of_the_write_back_rolls_everything_back(hundred, buy, monkeypatch):
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    buy(hundred[0], "2025-12-15", 50000)  # would change tiers
    before_tiers = tiers_of(hundred)
    before_rows = TierAssignment.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run_alerts, "write_alerts", broken)  # runs after the summary and tiers were written
    with pytest.raises(ScoringRunError):
        scoring_run_execute(as_of=AS_OF)

    assert tiers_of(hundred) == before_tiers
    assert TierAssignment.objects.count() == before_rows
    assert set(CustomerSummary.objects.values_list("as_of", flat=True)) == {dt.date(2025, 11, 30)}
    assert ScoringRun.objects.get(as_of=AS_OF).status == ScoringRun.Status.FAILED


def test_lifetime_value_is_estimated(varied):
    run = scoring_run_execute(as_of=AS_OF)

    figures = run.figures["clv"]
    assert figures["status"] == "fitted" and figures["bgnbd"]["converged"] and figures["gamma_gamma"]["converged"]
    assert set(figures["bgnbd"]) >= {"r", "alpha", "a", "b"}
    summaries = list(CustomerSummary.objects.filter(customer__in=varied))
    assert all(s.p_alive is not None and 0 <= s.p_alive <= 1 for s in summaries)
    assert all(s.clv is not None and s.clv >= 0 for s in summaries)
    assert all(s.expected_purchases is not None and s.expected_purchases >= 0 for s in summaries)
    # a customer who bought once has not been seen to drop out: P(active) is 1 under BG/NBD
    assert all(s.p_alive == pytest.approx(1.0) for s in summaries if s.frequency == 0)
    assert run.figures["clv_histogram"]["customers"] == len(summaries)


def test_a_degenerate_population_keeps_the_run_going(hundred, buy):
    # everybody bought on the same days and nobody stopped: the purchase model cannot identify its parameters;
    # the run still succeeds and stores only figures that make sense (or none)
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    run = scoring_run_execute(as_of=AS_OF)
    assert run.status == ScoringRun.Status.SUCCEEDED
    assert run.figures["clv"]["status"] in {"fitted", "failed", "partial"}
    for p_alive, expected, value in CustomerSummary.objects.values_list("p_alive", "expected_purchases", "clv"):
        assert p_alive is None or 0 <= p_alive <= 1
        assert expected is None or expected >= 0
        assert value is None or value >= 0


def test_too_few_customers_leave_lifetime_value_empty(make_customer, buy):
    customer = make_customer("唯一")
    buy(customer, "2025-05-01", 100)
    run = scoring_run_execute(as_of=AS_OF)
    assert run.figures["clv"]["status"] == "skipped"
    assert CustomerSummary.objects.get(customer=customer).clv is None


def test_query_count_does_not_grow_with_customers(make_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kehu.purchases.models import Transaction
    from kehu.purchases.services import transaction_bulk_create

    def scenario(count):
        customers = [make_customer(f"批量{count}-{i}") for i in range(count)]
        moment = timezone.make_aware(dt.datetime(2025, 6, 1, 12))
        transaction_bulk_create(rows=[{"customer": c, "occurred_at": moment + dt.timedelta(days=i % 50),
                                       "amount": 100 + i, "margin": 10, "branch": c.branch}
                                      for i, c in enumerate(customers)])
        with CaptureQueriesContext(connection) as first:
            scoring_run_execute(as_of=dt.date(2025, 11, 30))
        with CaptureQueriesContext(connection) as second:
            run = scoring_run_execute(as_of=AS_OF)
        assert run.customers == count
        for model in (Alert, TierAssignment, CustomerSummary, ScoringRun, Transaction, Customer):
            model.objects.all().delete()
        return len(first.captured_queries), len(second.captured_queries)

    small = scenario(20)
    large = scenario(200)
    assert small == large
    assert max(small) < 80


def test_alerts_are_created_only_once_per_date(hundred, buy, scheme):
    hundred[99].management_class = "key"
    Customer.objects.filter(pk=hundred[99].pk).update(management_class="key")
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    buy(hundred[10], "2025-12-10", 20000)  # pushes the top customer from A to B
    scoring_run_execute(as_of=AS_OF)
    scoring_run_execute(as_of=AS_OF)
    alerts = Alert.objects.filter(customer=hundred[99], reason=Alert.Reason.TIER_FALL, scheme=scheme("pyramid"))
    assert alerts.count() == 1


def test_rerun_of_a_first_run_writes_no_change_rows(hundred, buy, scheme):
    scoring_run_execute(as_of=AS_OF)
    buy(hundred[0], "2025-12-15", 50000)  # moves tiers within the same date

    rerun = scoring_run_execute(as_of=AS_OF)

    # nobody had a tier before that date: the rerun's tiers are still first tiers, not changes
    assert not TierAssignment.objects.exists()
    assert rerun.changes == 0
    assert current_tier(scheme("pyramid"), hundred[0]) == "A"
    assert tiers_of(hundred[:1]) == ["A"]


def test_schemes_hold_slots_and_at_most_eight_are_active(hundred, scheme):
    from kehu.scoring.models import TIER_SLOTS, TierScheme
    from kehu.scoring.services import tier_scheme_save

    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    thresholds = scheme("thresholds")
    old_slot = thresholds.slot
    thresholds.is_active = False
    tier_scheme_save(scheme=thresholds)
    assert thresholds.slot is None

    created = []
    for index in range(TIER_SLOTS - 4):
        created.append(tier_scheme_save(scheme=TierScheme(name=f"extra-{index}", label=f"Extra {index}",
                                                          kind=TierScheme.Kind.PYRAMID)))
    # the freed slot was given to a new scheme and cleared: it has no tiers until it is run
    assert old_slot in {s.slot for s in created}
    reused = next(s for s in created if s.slot == old_slot)
    assert current_tier(reused, hundred[99]) == ""
    assert not CustomerSummary.objects.filter(**{f"tier_{old_slot}__isnull": False}).exists()

    with pytest.raises(ValidationError) as error:
        tier_scheme_save(scheme=TierScheme(name="one-too-many", label="One too many", kind=TierScheme.Kind.PYRAMID))
    assert "is_active" in error.value.message_dict
    assert not TierScheme.objects.filter(name="one-too-many").exists()

    run = scoring_run_execute(as_of=AS_OF)
    assert run.schemes.count() == TIER_SLOTS
    assert current_tier(reused, hundred[99]) == "A"


def test_moving_the_primary_flag_sets_customer_tiers_at_once(hundred, scheme):
    from kehu.scoring.services import tier_scheme_set_primary

    scoring_run_execute(as_of=AS_OF)
    assert tiers_of(hundred[-1:]) == ["A"]

    tier_scheme_set_primary(scheme=scheme("thresholds"))

    assert tiers_of(hundred) == [current_tier(scheme("thresholds"), c) for c in hundred]
    assert set(tiers_of(hundred)) <= {"platinum", "gold", "silver", "regular"}


def test_postgresql_summary_swap_keeps_key_indexes_and_grants(hundred):
    import os

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the summary is swapped in on PostgreSQL only")
    role = f"kehu_report_reader_{os.getpid()}"
    table = CustomerSummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(f"GRANT SELECT ON {table} TO {role}")
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    scoring_run_execute(as_of=AS_OF)

    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, 'SELECT')", [role, table])
        assert cursor.fetchone()[0]
        cursor.execute("SELECT contype FROM pg_constraint WHERE conrelid = %s::regclass", [table])
        assert "p" in {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT to_regclass('scoring_customersummary_next')")
        assert cursor.fetchone()[0] is None
    assert CustomerSummary.objects.filter(as_of=AS_OF).count() == 100
