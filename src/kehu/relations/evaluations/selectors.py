"""Reads of relationship evaluation, scoped through the customers' row scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import user_is_read_only

from ..models import Evaluation, EvaluationIndicator, EvaluationScore, EvaluationTemplate

GRADES = ("A", "B", "C", "D")


def customers_for_evaluation(*, user: User) -> QuerySet[Customer]:
    """The customers this user may evaluate: administrators all, branch managers their branches', account managers
    their own (``visible_to(user, "change")``); auditors and roles without the permission none."""
    if user_is_read_only(user) or not user.has_perm("relations.add_evaluation"):
        return Customer.objects.none()
    return Customer.objects.visible_to(user, "change")


def may_evaluate(*, user: User, customer: Customer) -> bool:
    return customers_for_evaluation(user=user).filter(pk=customer.pk).exists()


def template_list(*, active_only: bool = False) -> QuerySet[EvaluationTemplate]:
    templates = EvaluationTemplate.objects.prefetch_related(
        Prefetch("indicators", queryset=EvaluationIndicator.objects.order_by("position", "id")))
    if active_only:
        templates = templates.filter(is_active=True)
    return templates.order_by("name", "id")


def evaluation_list(*, user: User, customer_id: int | None = None, grade: str | None = None,
                    recommendation: str | None = None, branch_id: int | None = None, template_id: int | None = None,
                    since: dt.date | None = None, until: dt.date | None = None,
                    q: str | None = None) -> QuerySet[Evaluation]:
    """Evaluations of the customers the user may see, newest first, with customer, template, evaluator and scores."""
    evaluations = Evaluation.objects.visible_to(user)
    if customer_id is not None:
        evaluations = evaluations.filter(customer_id=customer_id)
    if grade:
        evaluations = evaluations.filter(grade=grade)
    if recommendation:
        evaluations = evaluations.filter(recommendation=recommendation)
    if branch_id is not None:
        from kehu.org.models import Branch

        branch = Branch.objects.filter(pk=branch_id).first()
        if branch is None:
            return evaluations.none()
        evaluations = evaluations.filter(branch__path__startswith=branch.path)
    if template_id is not None:
        evaluations = evaluations.filter(template_id=template_id)
    if since is not None:
        evaluations = evaluations.filter(evaluated_on__gte=since)
    if until is not None:
        evaluations = evaluations.filter(evaluated_on__lte=until)
    if q:
        from kehu.customers.selectors import prefix_q

        evaluations = evaluations.filter(customer__in=Customer.objects.filter(
            prefix_q("name", q) | prefix_q("code", q)))
    return (evaluations.select_related("customer", "template", "evaluator", "branch")
            .prefetch_related(Prefetch("scores", queryset=EvaluationScore.objects.select_related("indicator")
                                       .order_by("indicator__position", "indicator_id")))
            .order_by("-evaluated_on", "-id"))


def evaluation_get(*, user: User, pk: int) -> Evaluation:
    return evaluation_list(user=user).get(pk=pk)
