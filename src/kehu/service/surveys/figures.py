"""Satisfaction figures: CSAT average and NPS (% promoters 9–10 − % detractors 0–6) per month, team or branch, over
a range of months, for the branches in the user's scope (one aggregate query, one more for the names)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

GROUPS = ("month", "team", "branch")


@dataclass
class FigureRow:
    key: str
    label: str
    csat_average: Decimal | None
    csat_answers: int
    nps: int | None
    nps_answers: int
    promoters: int
    detractors: int


@dataclass
class Figures:
    start: dt.date
    end: dt.date
    group: str
    rows: list[FigureRow]
    csat_average: Decimal | None
    nps: int | None
    invitations: int
    answered: int


def _nps(promoters: int, detractors: int, answers: int) -> int | None:
    return round((promoters - detractors) * 100 / answers) if answers else None


def survey_figures(*, user: Any, start: dt.date, end: dt.date, group: str = "month") -> Figures:
    """``start``/``end``: first days of the first and last months (inclusive)."""
    from kehu.org.models import Branch
    from kehu.org.selectors import branch_ids_in_scope
    from kehu.service.models import ServiceTeam, SurveyInvitation, SurveyResponse

    if not user.has_perm("service.view_surveyresponse"):
        raise PermissionDenied(_("You may not see survey figures."))
    if group not in GROUPS:
        raise ValidationError({"group": [_("Group by month, team or branch.")]})
    if end < start or (end.year - start.year) * 12 + end.month - start.month >= 36:
        raise ValidationError({"end": [_("Choose up to 36 months, the last not before the first.")]})
    tz = timezone.get_current_timezone()
    after_end = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(after_end, dt.time.min, tzinfo=tz)
    responses = SurveyResponse.objects.filter(answered_at__gte=low, answered_at__lt=high)
    invitations = SurveyInvitation.objects.filter(created_at__gte=low, created_at__lt=high)
    ids = branch_ids_in_scope(user)
    if ids is not None:
        responses, invitations = responses.filter(branch_id__in=ids), invitations.filter(branch_id__in=ids)
    key_field = {"month": TruncMonth("answered_at", tzinfo=tz), "team": F("team_id"), "branch": F("branch_id")}[group]
    csat, nps = Q(kind="csat"), Q(kind="nps")
    rows = list(responses.annotate(group_key=key_field).values("group_key").annotate(
        csat_average=Avg("score", filter=csat), csat_answers=Count("id", filter=csat),
        nps_answers=Count("id", filter=nps), promoters=Count("id", filter=nps & Q(score__gte=9)),
        detractors=Count("id", filter=nps & Q(score__lte=6))).order_by("group_key"))
    labels: dict[Any, str] = {}
    if group == "team":
        labels = dict(ServiceTeam.objects.filter(pk__in=[r["group_key"] for r in rows if r["group_key"]])
                      .values_list("pk", "name"))
    elif group == "branch":
        labels = dict(Branch.objects.filter(pk__in=[r["group_key"] for r in rows]).values_list("pk", "name"))
    result = []
    for row in rows:
        key = row["group_key"]
        if group == "month":
            key_text = label = timezone.localtime(key, tz).strftime("%Y-%m") if isinstance(key, dt.datetime) else \
                f"{key:%Y-%m}"
        else:
            key_text = str(key or "")
            label = labels.get(key, "") if key else _("No team")
        average = row["csat_average"]
        result.append(FigureRow(
            key=key_text, label=label,
            csat_average=Decimal(str(average)).quantize(Decimal("0.01")) if average is not None else None,
            csat_answers=row["csat_answers"], nps=_nps(row["promoters"], row["detractors"], row["nps_answers"]),
            nps_answers=row["nps_answers"], promoters=row["promoters"], detractors=row["detractors"]))
    csat_answers = sum(r.csat_answers for r in result)
    total = (sum((r.csat_average or 0) * r.csat_answers for r in result) / csat_answers) if csat_answers else None
    nps_answers = sum(r.nps_answers for r in result)
    counts = invitations.aggregate(count=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)))
    return Figures(start=start, end=end, group=group, rows=result,
                   csat_average=Decimal(total).quantize(Decimal("0.01")) if total is not None else None,
                   nps=_nps(sum(r.promoters for r in result), sum(r.detractors for r in result), nps_answers),
                   invitations=counts["count"], answered=counts["answered"])


def default_range() -> tuple[dt.date, dt.date]:
    """The last 12 months, this one included."""
    today = timezone.localdate()
    end = today.replace(day=1)
    start = (end - dt.timedelta(days=335)).replace(day=1)
    return start, end
