"""Merge policies per related model (kehu.core.registry.merge_policies): re-point, transfer, recompute."""

from __future__ import annotations

import datetime as dt

from kehu.core.registry import MergePolicy, merge_policies, merge_policy_for
from kehu.customers.merge import customer_merge
from kehu.customers.models import Customer, StatusRecord
from kehu.purchases.models import Transaction


def _pair(make_customer):
    keep = make_customer("张三", mobile="13800138000")
    merge = make_customer("张三", mobile="13800138000")
    return keep, merge


def test_unregistered_models_are_repointed_and_summaries_recomputed():
    assert merge_policy_for("purchases.Transaction").policy == "repoint"
    assert merge_policy_for("scoring.CustomerSummary").policy == "recompute"


def test_repoint_is_the_default(make_customer, users):
    keep, merge = _pair(make_customer)
    Transaction.objects.create(customer=merge, occurred_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), amount=10)

    record = customer_merge(keep=keep, merge=merge, actor=users["administrator"], choices={})

    assert Transaction.objects.get().customer_id == keep.pk
    assert record.moved["purchases.Transaction"] == 1


def test_a_transfer_policy_leaves_the_rows_and_posts_entries(make_customer, users):
    keep, merge = _pair(make_customer)
    StatusRecord.objects.create(customer=merge, main_business="零售")
    posted = []

    def post_entries(*, keep, merge, actor, field_name):
        # a ledger would post a closing entry on merge and an opening one on keep; here: one row on keep
        rows = StatusRecord.objects.filter(**{field_name: merge})
        posted.append((keep.pk, merge.pk, actor.pk, rows.count()))
        StatusRecord.objects.create(customer=keep, main_business=f"carried over from {merge.code}")

    policy = MergePolicy(model="customers.StatusRecord", policy="transfer", handler=post_entries)
    with merge_policies.temporarily(policy.model, policy):
        record = customer_merge(keep=keep, merge=merge, actor=users["administrator"], choices={})

    assert posted == [(keep.pk, merge.pk, users["administrator"].pk, 1)]
    assert "customers.StatusRecord" not in record.moved
    assert list(StatusRecord.objects.values_list("main_business", flat=True)) == [
        f"carried over from {merge.code}"]  # the merged customer's own row went with it


def test_a_recompute_policy_drops_the_merged_rows_and_rebuilds(make_customer, users):
    keep, merge = _pair(make_customer)
    StatusRecord.objects.create(customer=merge, main_business="零售")
    StatusRecord.objects.create(customer=keep, main_business="批发")
    rebuilt = []
    policy = MergePolicy(model="customers.StatusRecord", policy="recompute",
                         handler=lambda **kwargs: rebuilt.append(kwargs["keep"].pk))
    with merge_policies.temporarily(policy.model, policy):
        customer_merge(keep=keep, merge=merge, actor=users["administrator"], choices={})

    assert rebuilt == [keep.pk]
    assert list(StatusRecord.objects.values_list("customer_id", "main_business")) == [(keep.pk, "批发")]
    assert not Customer.objects.filter(pk=merge.pk).exists()
