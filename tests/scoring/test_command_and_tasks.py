"""The ``score`` management command and the Celery task, eagerly and through a real Redis broker and worker."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kehu.customers.models import Customer
from kehu.scoring.models import ScoringRun
from kehu.scoring.services import scoring_run_request
from kehu.scoring.tasks import scoring_run_task


def test_score_command_prints_counts_per_tier_and_duration(hundred):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("score", "--as-of", "2025-12-31", stdout=out, stderr=err)
    text = out.getvalue()
    assert "as of 2025-12-31: 100 customers" in text
    pyramid_lines = text.split("(pyramid)")[1].split("\n\n")[0].splitlines()
    counts = {line.split()[0]: line for line in pyramid_lines if line.strip()}
    assert "Top customer" in counts["A"] and " 1 " in counts["A"]
    assert " 4 " in counts["B"] and " 15 " in counts["C"] and " 80 " in counts["D"]
    assert "Duration:" in text
    assert "100%" in err.getvalue()  # the progress bar finished
    run = ScoringRun.objects.get()
    assert (run.status, run.trigger) == (ScoringRun.Status.SUCCEEDED, ScoringRun.Trigger.COMMAND)


def test_score_command_one_scheme(hundred):
    out = io.StringIO()
    call_command("score", "--as-of", "2025-12-31", "--scheme", "thresholds", "--no-progress", stdout=out)
    assert list(ScoringRun.objects.get().schemes.values_list("name", flat=True)) == ["thresholds"]
    assert "(thresholds)" in out.getvalue() and "(pyramid)" not in out.getvalue()


def test_score_command_errors(hundred):
    with pytest.raises(CommandError):
        call_command("score", "--as-of", "31/12/2025", "--no-progress", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("score", "--scheme", "nope", "--no-progress", stdout=io.StringIO())


def test_task_runs_eagerly(hundred):
    result = scoring_run_task.delay(as_of="2025-12-31").get(timeout=60)
    assert result["status"] == "succeeded" and result["customers"] == 100
    assert Customer.objects.get(pk=hundred[99].pk).tier == "A"


def test_task_refuses_an_out_of_order_date_without_retrying(hundred):
    scoring_run_task.delay(as_of="2025-12-31").get(timeout=60)
    result = scoring_run_task.delay(as_of="2025-01-31").get(timeout=60)
    assert result["status"] == "refused"


def test_requested_run_is_queued_then_run_after_commit(hundred, users, run_permission,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = scoring_run_request(actor=users["administrator"], as_of=dt.date(2025, 12, 31))
        assert run.status == ScoringRun.Status.QUEUED
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.SUCCEEDED
    assert run.requested_by == users["administrator"]


def test_only_permitted_users_may_request_runs(hundred, users, run_permission):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        scoring_run_request(actor=users["account_manager"], as_of=dt.date(2025, 12, 31))
    assert not ScoringRun.objects.exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_through_a_real_redis_broker_and_worker(make_customer, buy, redis_worker):
    # (after an earlier transactional test's flush, tests/conftest.py brings the default schemes back)
    customers = [make_customer(f"队列客户{i}") for i in range(30)]
    for i, customer in enumerate(customers):
        buy(customer, "2025-06-01 10:00", 100 * (i + 1))
    result = redis_worker(scoring_run_task.run.__func__, scoring_run_task.name, kwargs={"as_of": "2025-12-31"},
                          bind=True, max_retries=2)
    assert result["status"] == "succeeded" and result["customers"] == 30
    # of 30 customers 1 % is nobody, 5 % is one (B) and 20 % six (five more C)
    tiers = [Customer.objects.get(pk=c.pk).tier for c in customers]
    assert tiers[-1] == "B" and tiers[-6:-1] == ["C"] * 5 and set(tiers[:-6]) == {"D"}
    assert ScoringRun.objects.get(pk=result["run"]).status == ScoringRun.Status.SUCCEEDED
