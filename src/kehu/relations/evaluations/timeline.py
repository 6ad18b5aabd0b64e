"""The ``evaluation`` timeline kind (registered in ``RelationsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _evaluation_title(activity: Any) -> str:
    from ..models import Recommendation

    data = activity.data
    values = {"template": data.get("template", ""), "total": data.get("total", ""), "grade": data.get("grade", ""),
              "recommendation": dict(Recommendation.choices).get(data.get("recommendation", ""), "")}
    if data.get("automatic"):
        return gettext("Monthly evaluation (%(template)s): %(total)s, grade %(grade)s — %(recommendation)s") % values
    return gettext("Evaluation (%(template)s): %(total)s, grade %(grade)s — %(recommendation)s") % values


EVALUATION_KIND = TimelineKind("evaluation", _("Evaluation"), _evaluation_title)
