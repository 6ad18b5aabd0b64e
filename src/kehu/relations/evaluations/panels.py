"""The evaluation panel of the customer 360 page: the newest evaluation (total, grade, recommendation) and the trend
of the last totals drawn as SVG bars (attributes only: no inline style or script, CSP)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel

TREND = 12
BAR_WIDTH = 14
BAR_GAP = 4
CHART_HEIGHT = 40


def trend_bars(totals: list[Any]) -> list[dict[str, Any]]:
    """Oldest first: x, y, width, height of each bar in a 0–100 scale drawn ``CHART_HEIGHT`` high."""
    bars = []
    for index, evaluation in enumerate(totals):
        height = max(1, round(float(evaluation.total) * CHART_HEIGHT / 100))
        bars.append({"x": index * (BAR_WIDTH + BAR_GAP), "y": CHART_HEIGHT - height, "width": BAR_WIDTH,
                     "height": height, "evaluation": evaluation})
    return bars


def evaluations_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: the newest ``TREND`` evaluations (one windowed query) and whether the user may evaluate it
    (one more)."""
    from ..models import Evaluation
    from .selectors import customers_for_evaluation

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"latest": None, "bars": [], "may_evaluate": False, "count": 0}
                                       for pk in ids}
    if not ids:
        return data
    rows = (Evaluation.objects.filter(customer_id__in=ids).select_related("template", "evaluator")
            .annotate(kehu_rank=Window(RowNumber(), partition_by=[F("customer_id")],
                                       order_by=[F("evaluated_on").desc(), F("id").desc()]))
            .filter(kehu_rank__lte=TREND).order_by("customer_id", "kehu_rank"))
    newest: dict[int, list[Any]] = {pk: [] for pk in ids}
    for evaluation in rows:
        newest[evaluation.customer_id].append(evaluation)
    for pk, evaluations in newest.items():
        if evaluations:
            data[pk]["latest"] = evaluations[0]
            data[pk]["bars"] = trend_bars(list(reversed(evaluations)))
            data[pk]["count"] = len(evaluations)
            data[pk]["chart_width"] = len(evaluations) * (BAR_WIDTH + BAR_GAP)
    for pk in customers_for_evaluation(user=user).filter(pk__in=ids).values_list("pk", flat=True):
        data[pk]["may_evaluate"] = True
    return data


EVALUATIONS_PANEL = CustomerPanel(
    key="evaluations", title=_("Relationship evaluation"), order=22, loader=evaluations_panel_load,
    template="relations/evaluations/_panel.html", permission="relations.view_evaluation", queries=2,
)
