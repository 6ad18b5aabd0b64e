"""The demo's year of maintenance plans, events and gifts (``kehu demo --no-serve``, small)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from kehu.customers.models import Activity
from kehu.relations.models import ContactRecord, Event, EventInvitee, Gift, MaintenancePlan, PlanStatus
from kehu.relations.plans.selectors import plan_budget
from kehu.work.models import ApprovalDecision, Task
from tests.demo.test_demo import run_demo


@pytest.mark.django_db
def test_demo_has_plans_in_every_state_events_with_attendance_and_gifts():
    run_demo()
    today = timezone.localdate()
    statuses = dict(MaintenancePlan.objects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    assert set(statuses) >= {PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.IN_PROGRESS,
                             PlanStatus.SUMMARISED}
    # a plan rejected once and approved after it was resubmitted keeps both decisions
    resubmitted = ApprovalDecision.objects.filter(action="rejected").values_list("approval_id", flat=True)
    assert resubmitted and all(
        list(ApprovalDecision.objects.filter(approval_id=pk).order_by("occurred_at").values_list("action", flat=True))
        == ["submitted", "rejected", "submitted", "approved"] for pk in resubmitted)
    summarised = MaintenancePlan.objects.filter(status=PlanStatus.SUMMARISED)
    assert all(plan.results and plan.period_end < today for plan in summarised)
    # approved plans' actions are tasks; drafts' are not
    assert Task.objects.filter(kind="plan_action").count() == MaintenancePlan.objects.exclude(
        status__in=[PlanStatus.DRAFT, PlanStatus.SUBMITTED]).aggregate(n=Count("actions"))["n"]
    events = Event.objects.all()
    assert events.filter(date__lt=today).exists() and events.filter(date__gte=today - dt.timedelta(days=400)).exists()
    attended = EventInvitee.objects.filter(attended=True)
    assert attended.exists() and not attended.filter(event__date__gt=today).exists()
    assert ContactRecord.objects.filter(pk__in=attended.values("contact_id"), channel="event").count() == \
        attended.count() == Activity.objects.filter(kind="event").count()
    gifts = Gift.objects.all()
    assert gifts.exists() and Activity.objects.filter(kind="gift").count() == gifts.count()
    assert all(gift.given_on <= today for gift in gifts)
    running = MaintenancePlan.objects.filter(status=PlanStatus.IN_PROGRESS).first()
    assert plan_budget(plan=running).spent >= 0
    assert Activity.objects.filter(kind="plan").exists()
