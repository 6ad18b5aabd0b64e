"""Writes of relationship evaluation: evaluating one customer (the computed indicators measured, the manual ones
entered), the monthly set-based run over key customers, and the templates' thresholds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import User
from kehu.work.exceptions import RecordChangedError

from ..models import MANUAL, Evaluation, EvaluationIndicator, EvaluationScore, EvaluationTemplate
from .selectors import customers_for_evaluation
from .sources import Measure, Period, sources

CENT = Decimal("0.01")
RUN_CHUNK = 2000


def period_for(*, template: EvaluationTemplate, evaluated_on: dt.date) -> Period:
    """The ``period_months`` months ending on the evaluation date (inclusive)."""
    months = template.period_months
    year, month = divmod(evaluated_on.year * 12 + evaluated_on.month - 1 - months, 12)
    month += 1
    day = min(evaluated_on.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
    if year < 1:
        raise ValidationError({"evaluated_on": [_("Enter a later date.")]})
    return Period(dt.date(year, month, day) + dt.timedelta(days=1), evaluated_on)


def weighted_total(indicators: Iterable[EvaluationIndicator], scores: dict[int, Decimal]) -> Decimal:
    """Σ weight × score / highest score over the indicators, out of 100 when the weights add up to 100; rounded
    half up to the cent and kept within 0–100."""
    total = sum((indicator.weight * scores.get(indicator.pk, Decimal(0)) / indicator.max_score
                 for indicator in indicators), Decimal(0))
    return min(Decimal(100), max(Decimal(0), total.quantize(CENT, rounding=ROUND_HALF_UP)))


def measure(*, indicators: list[EvaluationIndicator], customer_ids: list[int],
            period: Period) -> dict[int, dict[int, Measure]]:
    """The computed indicators for many customers: one call (a fixed number of queries) per computed indicator.
    Returns {indicator id: {customer id: Measure}}; an indicator whose source is not registered measures nothing."""
    answer: dict[int, dict[int, Measure]] = {}
    for indicator in indicators:
        source = sources.get(indicator.source)
        if indicator.source == MANUAL or source is None:
            continue
        answer[indicator.pk] = source.compute(customer_ids, period, indicator.target)
    return answer


def _score(indicator: EvaluationIndicator, found: Measure | None) -> tuple[Decimal, Decimal | None]:
    if found is None:
        return Decimal(0), None
    value = found.value.quantize(CENT, rounding=ROUND_HALF_UP) if found.value is not None else None
    return (indicator.max_score * found.fraction).quantize(CENT, rounding=ROUND_HALF_UP), value


def template_check(*, template: EvaluationTemplate) -> None:
    """A template is usable when it has indicators whose weights add up to 100 and sensible thresholds."""
    errors: dict[str, list[str]] = {}
    weights = sum((indicator.weight for indicator in template.indicators.all()), Decimal(0))
    if weights != 100:
        errors["indicators"] = [_("The weights add up to %(sum)s; they must add up to 100.") % {"sum": weights}]
    if template.terminate_below > template.maintain_from:
        errors["terminate_below"] = [_("“End below” cannot be above “maintain from”.")]
    if not template.grade_c_from <= template.grade_b_from <= template.grade_a_from:
        errors["grade_b_from"] = [_("The grades must go up from C to A.")]
    unknown = [indicator.name for indicator in template.indicators.all()
               if indicator.source != MANUAL and indicator.source not in sources]
    if unknown:
        errors["indicators"] = errors.get("indicators", []) + [
            _("Unknown source for: %(names)s.") % {"names": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_update(*, actor: User, template: EvaluationTemplate, expected_version: int,
                    **fields: Any) -> EvaluationTemplate:
    """Change a template's thresholds, period or switches (administrators). A stale version answers 409."""
    if not actor.has_perm("relations.change_evaluationtemplate"):
        raise PermissionDenied(_("You may not change evaluation templates."))
    allowed = {"name", "description", "is_active", "periodic", "period_months", "maintain_from", "terminate_below",
               "grade_a_from", "grade_b_from", "grade_c_from"}
    locked = EvaluationTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.version != expected_version:
        raise RecordChangedError(locked.version)
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError({name: [_("This field cannot be changed.")]})
        setattr(locked, name, value)
    locked.full_clean()
    template_check(template=locked)
    locked.version += 1
    locked.save()
    return locked


def evaluation_activity_data(evaluation: Evaluation, template_name: str) -> dict[str, Any]:
    return {"template": template_name, "total": str(evaluation.total), "grade": evaluation.grade,
            "recommendation": evaluation.recommendation, "automatic": evaluation.automatic}


def evaluation_preview(*, customer: Customer, template: EvaluationTemplate,
                       evaluated_on: dt.date) -> dict[int, tuple[Decimal, Decimal | None]]:
    """The computed indicators of one customer (what the form prefills): {indicator id: (score, measured value)}."""
    indicators = list(template.indicators.all())
    measured = measure(indicators=indicators, customer_ids=[customer.pk],
                       period=period_for(template=template, evaluated_on=evaluated_on))
    return {pk: _score(next(i for i in indicators if i.pk == pk), found.get(customer.pk))
            for pk, found in measured.items()}


@transaction.atomic
def evaluation_create(*, actor: User, customer: Customer, template: EvaluationTemplate,
                      scores: dict[int, Decimal], evaluated_on: dt.date | None = None,
                      notes: str = "") -> Evaluation:
    """Evaluate a customer the actor may evaluate (account managers their own, branch managers their branches',
    administrators all). ``scores``: {indicator id: score} — every manual indicator must have one; a computed one
    given overrides the measured score (the measured value is kept as the basis). One evaluation per customer,
    template and day. Goes on the timeline."""
    if not customers_for_evaluation(user=actor).filter(pk=customer.pk).exists():
        if Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
            raise PermissionDenied(_("You may not evaluate this customer."))
        raise Customer.DoesNotExist
    from kehu.core.validators import validate_past_business_date

    evaluated_on = evaluated_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    try:
        validate_past_business_date(evaluated_on)
    except ValidationError as error:
        raise ValidationError({"evaluated_on": error.messages}) from None
    if not template.is_active:
        errors["template"] = [_("This template is not in use.")]
    indicators = list(template.indicators.all())
    known = {indicator.pk: indicator for indicator in indicators}
    for pk in scores:
        if pk not in known:
            errors.setdefault("scores", []).append(_("Indicator %(id)s is not part of this template.") % {"id": pk})
    measured = measure(indicators=indicators, customer_ids=[customer.pk],
                       period=period_for(template=template, evaluated_on=evaluated_on))
    rows: list[EvaluationScore] = []
    final: dict[int, Decimal] = {}
    for indicator in indicators:
        computed = measured.get(indicator.pk)
        score, value = (_score(indicator, computed.get(customer.pk)) if computed is not None
                        else (None, None))
        given = scores.get(indicator.pk)
        if given is not None:
            try:
                given = Decimal(str(given)).quantize(CENT, rounding=ROUND_HALF_UP)
            except ArithmeticError:
                given = Decimal(-1)
            if not given.is_finite() or not Decimal(0) <= given <= indicator.max_score:
                errors.setdefault("scores", []).append(
                    _("%(name)s: enter a score from 0 to %(max)s.") % {"name": indicator.name,
                                                                      "max": indicator.max_score.normalize()})
                continue
            score = given
        if score is None:
            errors.setdefault("scores", []).append(_("%(name)s: enter a score.") % {"name": indicator.name})
            continue
        final[indicator.pk] = score
        rows.append(EvaluationScore(indicator=indicator, score=score, value=value,
                                    basis=indicator.description[:255]))
    if len(notes or "") > 5000:
        errors["notes"] = [_("At most 5,000 characters.")]
    if errors:
        raise ValidationError(errors)
    if Evaluation.objects.filter(customer=customer, template=template, evaluated_on=evaluated_on).exists():
        raise ValidationError({"evaluated_on": [_("This customer has already been evaluated with this template on "
                                                  "this day.")]})
    period = period_for(template=template, evaluated_on=evaluated_on)
    total = weighted_total(indicators, final)
    evaluation = Evaluation.objects.create(
        customer=customer, template=template, evaluated_on=evaluated_on, period_start=period.start,
        period_end=period.end, branch_id=customer.branch_id, evaluator=actor, total=total,
        grade=template.grade_for(total), recommendation=template.recommendation_for(total), notes=(notes or "").strip())
    for row in rows:
        row.evaluation = evaluation
    EvaluationScore.objects.bulk_create(rows)
    activity_record(customer=customer, kind="evaluation",
                    occurred_at=_moment(evaluated_on), actor=actor, subject=evaluation,
                    data=evaluation_activity_data(evaluation, template.name))
    return evaluation


def _moment(day: dt.date) -> dt.datetime:
    """The timeline time of an evaluation dated ``day``: now if today, else the end of that day's office hours."""
    if day == timezone.localdate():
        return timezone.now()
    return dt.datetime.combine(day, dt.time(18), timezone.get_current_timezone())


def key_customers() -> Any:
    """The customers the monthly run evaluates: key customers (management class ``key``) not lost."""
    return Customer.objects.filter(management_class="key").exclude(lifecycle_status="lost")


def evaluation_run(*, as_of: dt.date | None = None, template: EvaluationTemplate | None = None,
                   customer_ids: list[int] | None = None) -> tuple[int, int]:
    """Evaluate every key customer (or ``customer_ids``) with each periodic template (or ``template``) as of a day,
    set-based: the customers not yet evaluated that day in one query, the computed indicators one aggregate each
    over all of them (blocks of 30,000 on SQLite), the manual scores carried from each customer's newest earlier
    evaluation (else the indicator's default) in one windowed query, then one INSERT of evaluations, of scores and
    of timeline rows per chunk of 2,000 customers (a transaction each). Idempotent per customer, template and day.
    Returns (evaluations created, customers already evaluated)."""
    from kehu.core.validators import validate_past_business_date

    as_of = as_of or timezone.localdate()
    try:
        validate_past_business_date(as_of)
    except ValidationError as error:
        raise ValidationError({"as_of": error.messages}) from None
    templates = [template] if template is not None else list(
        EvaluationTemplate.objects.filter(is_active=True, periodic=True).order_by("pk"))
    created = skipped = 0
    for current in templates:
        template_check(template=current)
        base = key_customers() if customer_ids is None else Customer.objects.filter(pk__in=customer_ids)
        done = Evaluation.objects.filter(customer=OuterRef("pk"), template=current, evaluated_on=as_of)
        pending = list(base.annotate(kehu_done=Exists(done)).values_list("pk", "branch_id", "kehu_done")
                       .order_by("pk"))
        skipped += sum(1 for _pk, _branch, is_done in pending if is_done)
        todo = [(pk, branch) for pk, branch, is_done in pending if not is_done]
        if not todo:
            continue
        indicators = list(current.indicators.all())
        period = period_for(template=current, evaluated_on=as_of)
        measured, carried = _measure_all(indicators=indicators, ids=[pk for pk, _branch in todo], period=period,
                                         as_of=as_of)
        for start in range(0, len(todo), RUN_CHUNK):
            with transaction.atomic():
                created += _run_chunk(template=current, as_of=as_of, chunk=todo[start:start + RUN_CHUNK],
                                      indicators=indicators, period=period, measured=measured, carried=carried)
    return created, skipped


# customers per query of the measures: every customer at once on PostgreSQL; SQLite takes at most 32,766 values
MEASURE_BLOCK_SQLITE = 30_000


def _blocks(ids: list[int]) -> list[list[int]]:
    from django.db import connection

    size = len(ids) if connection.vendor == "postgresql" else MEASURE_BLOCK_SQLITE
    return [ids[start:start + size] for start in range(0, len(ids), max(size, 1))]


def _measure_all(*, indicators: list[EvaluationIndicator], ids: list[int], period: Period,
                 as_of: dt.date) -> tuple[dict[int, dict[int, Measure]], dict[tuple[int, int], Decimal]]:
    """The computed indicators of every customer of the run (one aggregate query per indicator over them all), and
    the manual scores carried from each customer's newest earlier evaluation (one windowed query)."""
    measured: dict[int, dict[int, Measure]] = {}
    for block in _blocks(ids):
        for indicator_id, values in measure(indicators=indicators, customer_ids=block, period=period).items():
            measured.setdefault(indicator_id, {}).update(values)
    manual = [indicator for indicator in indicators
              if indicator.source == MANUAL or sources.get(indicator.source) is None]
    carried: dict[tuple[int, int], Decimal] = {}
    if manual:
        for block in _blocks(ids):
            newest = (EvaluationScore.objects
                      .filter(indicator__in=manual, evaluation__customer_id__in=block,
                              evaluation__evaluated_on__lt=as_of)
                      .annotate(kehu_rank=Window(RowNumber(), partition_by=[F("evaluation__customer_id"),
                                                                             F("indicator_id")],
                                                 order_by=[F("evaluation__evaluated_on").desc(), F("id").desc()]))
                      .filter(kehu_rank=1).values_list("evaluation__customer_id", "indicator_id", "score"))
            carried.update({(customer, indicator): score for customer, indicator, score in newest})
    return measured, carried


def _run_chunk(*, template: EvaluationTemplate, as_of: dt.date, chunk: list[tuple[int, int | None]],
               indicators: list[EvaluationIndicator], period: Period, measured: dict[int, dict[int, Measure]],
               carried: dict[tuple[int, int], Decimal]) -> int:
    evaluations: list[Evaluation] = []
    scores_per: list[list[EvaluationScore]] = []
    for pk, branch in chunk:
        final: dict[int, Decimal] = {}
        rows: list[EvaluationScore] = []
        for indicator in indicators:
            if indicator.pk in measured:
                score, value = _score(indicator, measured[indicator.pk].get(pk))
                basis = indicator.description
            else:
                score, value = carried.get((pk, indicator.pk), min(indicator.default_score, indicator.max_score)), None
                basis = _("Carried from the previous evaluation") if (pk, indicator.pk) in carried else _(
                    "Default score")
            final[indicator.pk] = score
            rows.append(EvaluationScore(indicator=indicator, score=score, value=value, basis=str(basis)[:255]))
        total = weighted_total(indicators, final)
        evaluations.append(Evaluation(
            customer_id=pk, template=template, evaluated_on=as_of, period_start=period.start, period_end=period.end,
            branch_id=branch, automatic=True, total=total, grade=template.grade_for(total),
            recommendation=template.recommendation_for(total)))
        scores_per.append(rows)
    Evaluation.objects.bulk_create(evaluations)
    all_rows: list[EvaluationScore] = []
    for evaluation, rows in zip(evaluations, scores_per, strict=True):
        for row in rows:
            row.evaluation_id = evaluation.pk
        all_rows.extend(rows)
    EvaluationScore.objects.bulk_create(all_rows, batch_size=5000)
    moment = _moment(as_of)
    activity_record_bulk(
        {"customer_id": evaluation.customer_id, "kind": "evaluation", "occurred_at": moment,
         "branch_id": evaluation.branch_id, "subject_type": "relations.evaluation", "subject_id": evaluation.pk,
         "data": evaluation_activity_data(evaluation, template.name)} for evaluation in evaluations)
    return len(evaluations)
