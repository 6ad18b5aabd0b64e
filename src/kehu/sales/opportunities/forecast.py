"""The sales forecast: open opportunities by expected-close month, owner, branch and product (count, amount,
weighted = amount × probability, committed), the "this month" headline, the conversion funnel by stage, and the
win rate and median cycle length per owner. Every figure is a set-based aggregate (GROUP BY in the database); the
number of queries is fixed whatever the number of opportunities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from kehu.org.models import Branch, User

from ..models import Opportunity, OpportunityStatus, Pipeline, StageKind
from .selectors import pipeline_stages, to_money, weighted_expression

MAX_MONTHS = 24


@dataclass
class Figures:
    """One row of a forecast table."""

    key: Any
    label: str
    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)


@dataclass
class FunnelStep:
    stage: str
    reached: int
    conversion: float | None  # to the next step, percent


@dataclass
class OwnerRate:
    owner_id: int
    owner: str
    won: int
    lost: int
    won_amount: Decimal
    median_cycle_days: float | None

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return round(100 * self.won / closed, 1) if closed else None


@dataclass
class Forecast:
    start: dt.date
    end: dt.date  # exclusive
    this_month: Figures
    won_this_month: Figures
    months: list[Figures] = field(default_factory=list)
    owners: list[Figures] = field(default_factory=list)
    branches: list[Figures] = field(default_factory=list)
    products: list[Figures] = field(default_factory=list)
    funnel: list[FunnelStep] = field(default_factory=list)
    rates: list[OwnerRate] = field(default_factory=list)

    @property
    def total(self) -> Figures:
        total = Figures("total", "")
        for row in self.months:
            total.count += row.count
            total.amount += row.amount
            total.weighted += row.weighted
            total.committed += row.committed
        return total


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _measures() -> dict[str, Any]:
    return {"n": Count("id"), "total": Sum("amount"), "weighted_total": Sum(weighted_expression()),
            "committed_total": Sum("amount", filter=Q(committed=True))}


def _figures(key: Any, label: str, row: dict[str, Any]) -> Figures:
    return Figures(key, label, row["n"], to_money(row["total"], per_cent=False), to_money(row["weighted_total"]),
                   to_money(row["committed_total"], per_cent=False))


def scope(*, user: User, owner_id: int | None = None, branch_id: int | None = None,
          pipeline_id: int | None = None) -> QuerySet[Opportunity]:
    rows = Opportunity.objects.visible_to(user)
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    if branch_id:
        rows = rows.filter(branch_id=branch_id)
    if pipeline_id:
        rows = rows.filter(pipeline_id=pipeline_id)
    return rows


def forecast(*, user: User, start: dt.date | None = None, months: int = 6, owner_id: int | None = None,
             branch_id: int | None = None, pipeline: Pipeline | None = None, today: dt.date | None = None) -> Forecast:
    """The forecast of the open opportunities expected to close in ``months`` months from ``start`` (default: this
    month), in the user's scope; the funnel and the owners' rates over the last 12 months of closed deals."""
    today = today or timezone.localdate()
    months = max(1, min(months, MAX_MONTHS))
    start = month_start(start or today)
    end = add_months(start, months)
    base = scope(user=user, owner_id=owner_id, branch_id=branch_id, pipeline_id=pipeline.pk if pipeline else None)
    open_rows = base.filter(status=OpportunityStatus.OPEN, expected_close__gte=start, expected_close__lt=end).order_by()

    cells = _cells(open_rows)
    by_month = _roll_up(cells, "month")
    month_rows = []
    for index in range(months):
        first = add_months(start, index)
        month_rows.append(_figures(first, f"{first:%Y-%m}", by_month[first]) if first in by_month
                          else Figures(first, f"{first:%Y-%m}"))
    owner_rows = _ranked(_roll_up(cells, "owner_id"))
    branch_rows = _ranked(_roll_up(cells, "branch_id"))
    owner_names: dict[int, str] = {}
    branch_names: dict[int, str] = {}
    if cells:
        owner_names = {user.pk: str(user) for user in User.objects.filter(pk__in=[key for key, _row in owner_rows])}
        branch_names = dict(Branch.objects.filter(pk__in=[key for key, _row in branch_rows]).values_list("pk", "name"))
    products = _products(open_rows)

    this_first = month_start(today)
    if start <= this_first < end:
        this_month = next(row for row in month_rows if row.key == this_first)
    else:
        this_month = _figures(this_first, f"{this_first:%Y-%m}", base.filter(
            status=OpportunityStatus.OPEN, expected_close__gte=this_first,
            expected_close__lt=add_months(this_first, 1)).order_by().aggregate(**_measures()))
    month_from = _aware(this_first)
    won = base.filter(status=OpportunityStatus.WON, closed_at__gte=month_from).order_by().aggregate(
        n=Count("id"), total=Sum("amount"))
    won_this_month = Figures("won", "", won["n"], to_money(won["total"], per_cent=False))

    year_ago = _aware(add_months(this_first, -11))
    return Forecast(
        start=start, end=end, this_month=this_month, won_this_month=won_this_month, months=month_rows,
        owners=[_figures(key, owner_names.get(key, "?"), row) for key, row in owner_rows],
        branches=[_figures(key, branch_names.get(key, "?"), row) for key, row in branch_rows],
        products=products,
        funnel=funnel(rows=base.filter(created_at__gte=year_ago), pipeline=pipeline),
        rates=owner_rates(rows=base.filter(closed_at__gte=year_ago)),
    )


def _cells(open_rows: QuerySet[Opportunity]) -> list[dict[str, Any]]:
    """The open opportunities' measures by expected-close month, owner and branch: one grouped query (one pass over
    the rows), which the months, owners and branches tables add up (a few hundred cells at most: months × owners,
    an owner's deals being in their branches)."""
    return list(open_rows.annotate(month=TruncMonth("expected_close")).values("month", "owner_id", "branch_id")
                .annotate(**_measures()))


def _roll_up(cells: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """The cells added up by ``key`` (month, owner_id or branch_id)."""
    totals: dict[Any, dict[str, Any]] = {}
    for cell in cells:
        value = _as_date(cell[key]) if key == "month" else cell[key]
        row = totals.setdefault(value, {"n": 0, "total": Decimal(0), "weighted_total": Decimal(0),
                                        "committed_total": Decimal(0)})
        row["n"] += cell["n"]
        for measure in ("total", "weighted_total", "committed_total"):
            if cell[measure] is not None:
                row[measure] += Decimal(str(cell[measure]))
    return totals


def _ranked(totals: dict[Any, dict[str, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    """Largest weighted amount first."""
    return sorted(totals.items(), key=lambda item: (-item[1]["weighted_total"], item[0]))


def _products(open_rows: QuerySet[Opportunity], top: int = 20) -> list[Figures]:
    """The ``top`` products by weighted amount of the open opportunities' lines: one grouped query over the
    opportunities joined to their lines (no sub-query, no join to the products; their names after, by key)."""
    from kehu.purchases.models import Product

    rows = [row for row in open_rows.values("lines__product_id").annotate(
        n=Count("id", distinct=True), total=Sum("lines__amount"),
        weighted_total=Sum(ExpressionWrapper(F("lines__amount") * F("probability"),
                                             output_field=DecimalField(max_digits=20, decimal_places=2))),
        committed_total=Sum("lines__amount", filter=Q(committed=True)),
    ).order_by(F("weighted_total").desc(nulls_last=True), "lines__product_id")[:top + 1]
        if row["lines__product_id"] is not None][:top]
    names = dict(Product.objects.filter(pk__in=[row["lines__product_id"] for row in rows]).values_list("pk", "name"))
    return [_figures(row["lines__product_id"], names.get(row["lines__product_id"], "?"), row) for row in rows]


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def funnel(*, rows: QuerySet[Opportunity], pipeline: Pipeline | None) -> list[FunnelStep]:
    """How many opportunities reached each open stage of the pipeline (its highest open stage, ``reached_order``;
    a won deal reached them all), and won, with the conversion from one step to the next. One grouped query."""
    from .selectors import default_pipeline

    pipeline = pipeline or default_pipeline()
    stages = pipeline_stages(pipeline.pk)
    counts = list(rows.filter(pipeline=pipeline).order_by().values("reached_order", "status").annotate(n=Count("id")))
    won = sum(row["n"] for row in counts if row["status"] == OpportunityStatus.WON)
    steps: list[tuple[str, int]] = []
    for stage in stages:
        if stage.kind == StageKind.OPEN:
            reached = won + sum(row["n"] for row in counts
                                if row["status"] != OpportunityStatus.WON and row["reached_order"] >= stage.order)
            steps.append((stage.name, reached))
        elif stage.kind == StageKind.WON:
            steps.append((stage.name, won))
    result = []
    for index, (name, reached) in enumerate(steps):
        following = steps[index + 1][1] if index + 1 < len(steps) else None
        conversion = round(100 * following / reached, 1) if following is not None and reached else None
        result.append(FunnelStep(name, reached, conversion))
    return result


def owner_rates(*, rows: QuerySet[Opportunity]) -> list[OwnerRate]:
    """Per owner, over the closed deals of ``rows``: won, lost, won amount (one grouped query) and the median days
    from creation to winning (one query: the middle one or two rows of each owner's ordered won deals, picked by a
    window function in the database)."""
    closed = rows.filter(status__in=(OpportunityStatus.WON, OpportunityStatus.LOST)).order_by()
    counts = list(closed.values("owner_id").annotate(
        won=Count("id", filter=Q(status=OpportunityStatus.WON)),
        lost=Count("id", filter=Q(status=OpportunityStatus.LOST)),
        won_amount=Sum("amount", filter=Q(status=OpportunityStatus.WON))))
    if not counts:
        return []
    ranked = closed.filter(status=OpportunityStatus.WON, cycle_days__isnull=False).annotate(
        position=Window(RowNumber(), partition_by=[F("owner_id")], order_by=[F("cycle_days").asc(), F("id").asc()]),
        size=Window(Count("id"), partition_by=[F("owner_id")]))
    middle = ranked.filter(Q(position=(F("size") + 1) / 2) | Q(position=(F("size") + 2) / 2))
    medians: dict[int, list[int]] = {}
    for owner_id, days in middle.values_list("owner_id", "cycle_days"):
        if days is not None:
            medians.setdefault(owner_id, []).append(days)
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[row["owner_id"] for row in counts])}
    result = [OwnerRate(row["owner_id"], names.get(row["owner_id"], "?"), row["won"], row["lost"],
                        to_money(row["won_amount"], per_cent=False),
                        sum(medians[row["owner_id"]]) / len(medians[row["owner_id"]])
                        if medians.get(row["owner_id"]) else None) for row in counts]
    return sorted(result, key=lambda rate: (-(rate.win_rate or 0), rate.owner))


def branch_choices(*, user: User) -> QuerySet[Branch]:
    from kehu.org.selectors import branch_ids_in_scope

    ids = branch_ids_in_scope(user)
    branches = Branch.objects.all() if ids is None else Branch.objects.filter(pk__in=ids)
    return branches.order_by("code")
