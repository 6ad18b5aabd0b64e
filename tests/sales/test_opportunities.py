"""Opportunities through the services: the default pipeline of the data migration, create (customer XOR lead,
lines and amount, scope), stage changes with their history and time in stage, won and lost with reasons, optimistic
versions, the customer timeline, the staff hand-over moving open opportunities, hostile input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.customers.models import Activity
from kehu.sales import services as lead_services
from kehu.sales.models import HandOver, LossReason, Opportunity, Pipeline, Stage, StageChange
from kehu.sales.opportunities import services

pytestmark = pytest.mark.django_db


def test_the_data_migration_made_the_default_pipeline_and_loss_reasons():
    if not Pipeline.objects.exists():  # a transactional test earlier in this process flushed the migration's rows
        import importlib

        from django.apps import apps

        importlib.import_module("kehu.sales.migrations.0005_default_pipeline").create_defaults(apps, None)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("order").values_list("name", "probability",
                                                                                          "kind"))
    assert stages == [("初步接洽", 10, "open"), ("需求确认", 25, "open"), ("方案报价", 50, "open"),
                      ("谈判", 75, "open"), ("赢单", 100, "won"), ("输单", 0, "lost")]
    assert LossReason.objects.filter(is_active=True).count() >= 5


def test_create_for_a_customer_sums_the_lines_starts_in_the_first_stage_and_records_history(
        make_opportunity, products, pipeline, customers):
    opportunity = make_opportunity(lines=[{"product": products["sofa"].pk, "quantity": 2},
                                          {"product": products["desk"].pk, "quantity": "1.5", "unit_price": "1000"}])
    assert opportunity.amount == Decimal("7500.00")  # 2 × 3000 (list price) + 1.5 × 1000
    assert opportunity.stage == pipeline["初步接洽"] and opportunity.probability == 10
    assert opportunity.weighted == Decimal("750.00")
    assert opportunity.branch_id == customers["mine"].branch_id
    change = StageChange.objects.get(opportunity=opportunity)
    assert change.from_stage is None and change.to_stage == pipeline["初步接洽"]
    assert Activity.objects.filter(customer=customers["mine"], kind="opportunity", data__action="created").exists()


def test_customer_xor_lead_and_scope(users, customers, today, make_opportunity):
    with pytest.raises(ValidationError) as both:
        make_opportunity(customer=None)
    assert "customer" in both.value.message_dict
    lead = lead_services.lead_create(actor=users["account_manager"], name="李雷", mobile="13912345678")
    with pytest.raises(ValidationError):
        services.opportunity_create(actor=users["account_manager"], name="x", customer=customers["mine"], lead=lead,
                                    expected_close=today)
    for_lead = services.opportunity_create(actor=users["account_manager"], name="线索机会", lead=lead,
                                           expected_close=today)
    assert for_lead.lead_id == lead.pk and for_lead.customer_id is None and for_lead.amount == 0
    # a customer of another branch is not seen: refused like one that does not exist
    with pytest.raises(ValidationError) as other:
        make_opportunity(customer="beijing")
    assert "customer" in other.value.message_dict
    with pytest.raises(PermissionDenied):
        make_opportunity("auditor")


def test_stage_change_writes_history_with_the_time_in_the_previous_stage(make_opportunity, pipeline, users):
    start = timezone.now() - dt.timedelta(days=3)
    opportunity = make_opportunity(when=start)
    later = start + dt.timedelta(days=2, hours=5)
    moved = services.opportunity_move(actor=users["account_manager"], opportunity=opportunity,
                                      stage=pipeline["方案报价"], expected_version=opportunity.version, when=later)
    assert moved.stage == pipeline["方案报价"] and moved.probability == 50 and moved.version == 2
    assert moved.reached_order == pipeline["方案报价"].order
    history = list(StageChange.objects.filter(opportunity=opportunity).order_by("at"))
    assert [(change.from_stage_id, change.to_stage_id) for change in history] == [
        (None, pipeline["初步接洽"].pk), (pipeline["初步接洽"].pk, pipeline["方案报价"].pk)]
    assert history[1].seconds_in_previous == (2 * 86400 + 5 * 3600)
    assert history[1].actor == users["account_manager"]
    # moving back keeps the highest stage reached (the funnel counts by it)
    back = services.opportunity_move(actor=users["account_manager"], opportunity=opportunity,
                                     stage=pipeline["需求确认"], when=later + dt.timedelta(hours=1))
    assert back.reached_order == pipeline["方案报价"].order
    assert StageChange.objects.filter(opportunity=opportunity).count() == 3
    # a stale version is a conflict, nothing written
    with pytest.raises(ConcurrentUpdateError):
        services.opportunity_move(actor=users["account_manager"], opportunity=opportunity,
                                  stage=pipeline["谈判"], expected_version=1)
    assert StageChange.objects.filter(opportunity=opportunity).count() == 3


def test_stage_of_another_pipeline_and_lost_without_reason_are_refused(make_opportunity, pipeline, users):
    other = Pipeline.objects.create(name="大客户")
    foreign = Stage.objects.create(pipeline=other, order=10, name="立项", probability=20)
    opportunity = make_opportunity()
    with pytest.raises(ValidationError) as wrong:
        services.opportunity_move(actor=users["account_manager"], opportunity=opportunity, stage=foreign)
    assert "stage" in wrong.value.message_dict
    with pytest.raises(ValidationError) as lost:
        services.opportunity_move(actor=users["account_manager"], opportunity=opportunity, stage=pipeline["输单"])
    assert "reason" in lost.value.message_dict
    assert Opportunity.objects.get(pk=opportunity.pk).status == "open"


def test_won_and_lost_close_the_deal_with_cycle_days_reason_and_timeline(make_opportunity, pipeline, users,
                                                                        customers):
    created = timezone.now() - dt.timedelta(days=12)
    won = services.opportunity_win(actor=users["account_manager"], opportunity=make_opportunity(when=created))
    assert won.status == "won" and won.stage == pipeline["赢单"] and won.probability == 100
    assert won.closed_at is not None and won.cycle_days == 12
    reason = LossReason.objects.first()
    lost = services.opportunity_lose(actor=users["account_manager"], opportunity=make_opportunity(), reason=reason,
                                     note="价格没谈拢")
    assert lost.status == "lost" and lost.loss_reason == reason and lost.loss_note == "价格没谈拢"
    actions = set(Activity.objects.filter(customer=customers["mine"], kind="opportunity")
                  .values_list("data__action", flat=True))
    assert actions == {"created", "won", "lost"}
    # closed deals do not move again nor change
    with pytest.raises(ValidationError):
        services.opportunity_move(actor=users["account_manager"], opportunity=won, stage=pipeline["谈判"])
    with pytest.raises(ValidationError):
        services.opportunity_update(actor=users["account_manager"], opportunity=won, expected_version=None,
                                    name="改名")


def test_only_owner_and_managers_change(make_opportunity, users, pipeline):
    opportunity = make_opportunity()
    with pytest.raises(Opportunity.DoesNotExist):  # a colleague does not even see it
        services.opportunity_move(actor=users["other_account_manager"], opportunity=opportunity,
                                  stage=pipeline["谈判"])
    with pytest.raises(PermissionDenied):  # the auditor sees it and changes nothing
        services.opportunity_move(actor=users["auditor"], opportunity=opportunity, stage=pipeline["谈判"])
    moved = services.opportunity_move(actor=users["branch_manager"], opportunity=opportunity, stage=pipeline["谈判"])
    assert moved.stage == pipeline["谈判"]
    assert not Opportunity.objects.visible_to(users["bj_account_manager"]).exists()


def test_update_replaces_lines_and_checks_hostile_input(make_opportunity, products, users):
    opportunity = make_opportunity()
    changed = services.opportunity_update(actor=users["account_manager"], opportunity=opportunity,
                                          expected_version=1, name="=1+1", committed=True,
                                          lines=[{"product": products["desk"].pk, "quantity": 3}])
    assert changed.amount == Decimal("3600.00") and changed.committed and changed.name == "=1+1"
    assert changed.lines.count() == 1
    for bad in ({"name": "a\x00b"}, {"expected_close": dt.date(1, 1, 1)}, {"expected_close": dt.date(9999, 12, 31)},
                {"probability": 101}, {"lines": [{"product": products["desk"].pk, "quantity": "1e30"}]},
                {"lines": [{"product": products["desk"].pk, "quantity": "NaN"}]},
                {"lines": [{"product": 999999, "quantity": 1}]}, {"lines": [{"product": products["desk"].pk,
                                                                             "quantity": -1}]}):
        with pytest.raises(ValidationError):
            services.opportunity_update(actor=users["account_manager"], opportunity=opportunity,
                                        expected_version=None, **bad)
    assert Opportunity.objects.get(pk=opportunity.pk).amount == Decimal("3600.00")


def test_staff_hand_over_moves_open_opportunities(make_opportunity, users, customers):
    open_one = make_opportunity()
    closed = services.opportunity_win(actor=users["account_manager"], opportunity=make_opportunity())
    successor = users["other_account_manager"]
    record = lead_services.staff_hand_over(actor=users["branch_manager"], leaving=users["account_manager"],
                                           leads_to=successor, reason="离职")
    assert record.opportunity_ids == [open_one.pk]
    assert Opportunity.objects.get(pk=open_one.pk).owner == successor
    assert Opportunity.objects.get(pk=open_one.pk).version == open_one.version + 1
    assert Opportunity.objects.get(pk=closed.pk).owner == users["account_manager"]  # closed deals keep their owner
    assert Activity.objects.filter(kind="opportunity", data__action="hand_over", subject_id=open_one.pk).exists()
    assert HandOver.objects.get().opportunity_ids == [open_one.pk]
