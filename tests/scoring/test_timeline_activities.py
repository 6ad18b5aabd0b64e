"""Scoring runs write their tier changes and alerts to the customer timeline, in bulk, and a rerun replaces them."""

import datetime as dt

from kehu.customers.models import Activity
from kehu.scoring.models import Alert, TierAssignment
from kehu.scoring.services import scoring_run_execute

AS_OF = dt.date(2025, 12, 31)


def _activities(kind):
    return {a.subject_id: a for a in Activity.objects.filter(kind=kind)}


def test_tier_changes_and_alerts_are_on_the_timeline(hundred, buy, scheme):
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    buy(hundred[0], "2025-12-15", 50000)
    scoring_run_execute(as_of=AS_OF)

    changes = _activities("tier_change")
    assert set(changes) == set(TierAssignment.objects.values_list("id", flat=True)) and changes
    row = TierAssignment.objects.get(scheme=scheme("pyramid"), customer=hundred[0], as_of=AS_OF)
    activity = changes[row.pk]
    assert activity.customer_id == hundred[0].pk
    assert (activity.data["scheme"], activity.data["previous_tier"], activity.data["tier"]) == (
        "pyramid", "D", "A")
    assert activity.occurred_at.date() in {AS_OF, AS_OF - dt.timedelta(days=1)}  # midnight local, stored in UTC
    assert set(_activities("alert")) == set(Alert.objects.values_list("id", flat=True))


def test_a_rerun_replaces_that_dates_tier_change_activities(hundred, buy, scheme):
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    buy(hundred[0], "2025-12-15", 50000)
    scoring_run_execute(as_of=AS_OF)
    hundred[0].transactions.filter(amount=50000).delete()

    scoring_run_execute(as_of=AS_OF)

    assert not TierAssignment.objects.filter(scheme=scheme("pyramid"), customer=hundred[0], as_of=AS_OF).exists()
    assert set(_activities("tier_change")) == set(TierAssignment.objects.values_list("id", flat=True))
