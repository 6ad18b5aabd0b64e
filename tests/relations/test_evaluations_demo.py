"""The demo's year of evaluations of key customers and the strengthening tables of key organisations."""

from __future__ import annotations

import pytest
from django.db.models import Count

from kehu.customers.models import Activity, Customer
from kehu.relations.models import Evaluation, EvaluationTemplate, StrengtheningRow
from tests.demo.test_demo import run_demo


@pytest.mark.django_db
def test_demo_has_monthly_evaluations_of_key_customers_for_a_year():
    run_demo()
    template = EvaluationTemplate.objects.get(name="客户关系评估表")
    keys = Customer.objects.filter(management_class="key")
    evaluations = Evaluation.objects.filter(template=template)
    assert evaluations.exists()
    assert set(evaluations.values_list("customer_id", flat=True)) == set(keys.values_list("pk", flat=True))
    per_customer = set(evaluations.values("customer_id").annotate(n=Count("id")).values_list("n", flat=True))
    assert per_customer == {12}
    assert evaluations.values("evaluated_on").distinct().count() == 12
    assert len(set(evaluations.values_list("recommendation", flat=True))) >= 2  # not all alike
    assert Activity.objects.filter(kind="evaluation").count() == evaluations.count()
    organisations = keys.filter(kind="organisation")
    if organisations.exists():
        assert StrengtheningRow.objects.filter(customer__in=organisations).count() >= 2 * organisations.count()
