"""The ``survey`` timeline kind: a customer answered a satisfaction survey."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _survey_title(activity: Any) -> str:
    data = activity.data
    if data.get("survey") == "nps":
        return gettext("Answered the NPS survey: %(score)s / 10") % {"score": data.get("score", "")}
    if data.get("ticket"):
        return gettext("Rated the service of %(ticket)s: %(score)s / 5") % {
            "ticket": data.get("ticket"), "score": data.get("score", "")}
    return gettext("Answered a satisfaction survey: %(score)s / 5") % {"score": data.get("score", "")}


SURVEY_KIND = TimelineKind("survey", _("Satisfaction survey"), _survey_title)
