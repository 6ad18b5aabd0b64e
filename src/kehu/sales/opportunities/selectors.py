"""Reads of opportunities: pipelines and stages, the list, one opportunity with its lines and stage history, and the
kanban board (a bounded newest-N per column and the column totals in one grouped query)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from kehu.org.models import User
from kehu.org.selectors import user_is_read_only

from ..models import LossReason, Opportunity, OpportunityStatus, Pipeline, Stage, StageChange, StageKind

BOARD_PAGE = 20


def may_work(user: User) -> bool:
    """Whether the user works opportunities at all (creates, moves, closes): not auditors."""
    return (not user_is_read_only(user)) and user.has_perm("sales.change_opportunity")


def default_pipeline() -> Pipeline:
    """The default pipeline; made with the default stages when there is none (the data migration makes it; a
    test's flush removes it)."""
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        import importlib

        from django.apps import apps

        importlib.import_module("kehu.sales.migrations.0005_default_pipeline").create_defaults(apps, None)
        pipeline = Pipeline.objects.get(is_default=True)
    return pipeline


def pipeline_get(pk: int | None) -> Pipeline | None:
    if not pk:
        return default_pipeline()
    return Pipeline.objects.filter(pk=pk, is_active=True).first()


def pipelines() -> list[Pipeline]:
    default_pipeline()
    return list(Pipeline.objects.filter(is_active=True).order_by("-is_default", "name"))


def pipeline_stages(pipeline_id: int) -> list[Stage]:
    """The stages in board order: open ones by ``order``, then won, then lost."""
    stages = list(Stage.objects.filter(pipeline_id=pipeline_id))
    rank = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    return sorted(stages, key=lambda stage: (rank[StageKind(stage.kind)], stage.order, stage.pk))


def closing_stage(pipeline_id: int, kind: str) -> Stage:
    stage = Stage.objects.filter(pipeline_id=pipeline_id, kind=kind).order_by("order", "pk").first()
    if stage is None:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError({"stage": [_("The pipeline has no stage to close the deal in.")]})
    return stage


def loss_reasons() -> list[LossReason]:
    return list(LossReason.objects.filter(is_active=True))


SORTS = {"new": ("-created_at", "-id"), "close": ("expected_close", "id"), "amount": ("-amount", "-id"),
         "name": ("name", "id")}


def opportunity_list(*, user: User, q: str = "", status: str = "", owner_id: int | None = None,
                     pipeline_id: int | None = None, stage_id: int | None = None, customer_id: int | None = None,
                     sort: str = "new") -> QuerySet[Opportunity]:
    """Opportunities the user may see, filtered; ``q`` searches the name (prefix) and the customer's name."""
    rows = Opportunity.objects.visible_to(user)
    if q := q.strip():
        rows = rows.filter(Q(name__startswith=q) | Q(customer__name__startswith=q) | Q(lead__name__startswith=q))
    if status:
        rows = rows.filter(status=status)
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    if pipeline_id:
        rows = rows.filter(pipeline_id=pipeline_id)
    if stage_id:
        rows = rows.filter(stage_id=stage_id)
    if customer_id:
        rows = rows.filter(customer_id=customer_id)
    return (rows.select_related("owner", "branch", "stage", "customer", "lead")
            .order_by(*SORTS.get(sort, SORTS["new"])))


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    """An opportunity the user may see (``Opportunity.DoesNotExist`` otherwise: a 404)."""
    return (Opportunity.objects.visible_to(user)
            .select_related("owner", "branch", "stage", "pipeline", "customer", "lead", "loss_reason", "created_by")
            .prefetch_related("lines__product").get(pk=pk))


def may_change(*, user: User, opportunity: Opportunity) -> bool:
    return may_work(user) and Opportunity.objects.visible_to(user, "change").filter(pk=opportunity.pk).exists()


def stage_history(*, opportunity: Opportunity) -> list[StageChange]:
    """The stage changes, oldest first, with the stage names and actors (one query)."""
    return list(StageChange.objects.filter(opportunity=opportunity)
                .select_related("from_stage", "to_stage", "actor").order_by("at", "id"))


@dataclass
class Column:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    @property
    def more(self) -> bool:
        return self.count > len(self.cards)


def _board_scope(*, user: User, pipeline: Pipeline, owner_id: int | None, closed_since: dt.datetime
                 ) -> QuerySet[Opportunity]:
    rows = Opportunity.objects.visible_to(user).filter(pipeline=pipeline).filter(
        Q(status=OpportunityStatus.OPEN) | Q(closed_at__gte=closed_since))
    return rows.filter(owner_id=owner_id) if owner_id else rows


def card_order(stage: Stage) -> tuple[str, ...]:
    """Open columns: the soonest expected close first (``opp_stage_close_idx``); won and lost: the latest closed
    first (``opp_stage_closed_idx``)."""
    return ("expected_close", "id") if stage.kind == StageKind.OPEN else ("-closed_at", "-id")


def board_cards(*, user: User, pipeline: Pipeline, stage: Stage, owner_id: int | None, closed_since: dt.datetime,
                offset: int = 0, limit: int | None = None, related: bool = True) -> list[Opportunity]:
    """One page of a column's cards in ``card_order`` (an index on the stage and that order: a bounded read). The
    page is read without joins (a join before the LIMIT would hash every customer); owners, customers and leads come
    after, for the page only (``related``; the board does it once for all its columns)."""
    rows = _board_scope(user=user, pipeline=pipeline, owner_id=owner_id, closed_since=closed_since)
    limit = limit or BOARD_PAGE
    cards = list(rows.filter(stage=stage)
                 .only("id", "name", "amount", "probability", "expected_close", "committed", "status", "version",
                       "stage_id", "owner_id", "customer_id", "lead_id", "created_at", "closed_at")
                 .order_by(*card_order(stage))[offset:offset + limit])
    if related:
        _card_relations(cards)
    return cards


def _card_relations(cards: list[Opportunity]) -> None:
    """The cards' owners, customers and leads: three queries by primary key for any number of cards."""
    from django.db.models import Prefetch, prefetch_related_objects

    from kehu.customers.models import Customer

    from ..models import Lead

    prefetch_related_objects(
        cards,
        Prefetch("owner", queryset=User.objects.only("id", "username", "display_name", "first_name", "last_name")),
        Prefetch("customer", queryset=Customer.objects.only("id", "name")),
        Prefetch("lead", queryset=Lead.objects.only("id", "name")))


def board_totals(*, user: User, pipeline: Pipeline, owner_id: int | None, closed_since: dt.datetime,
                 stage_id: int | None = None) -> dict[int, dict[str, Any]]:
    """Count, amount and weighted amount per stage: one grouped query (one stage's only with ``stage_id``). It
    groups by stage and probability and counts and sums the amounts only; the weighted amount is added up here
    (probability × amount of each group: a handful of groups per stage, and no product per row in the database)."""
    scope = _board_scope(user=user, pipeline=pipeline, owner_id=owner_id, closed_since=closed_since)
    if stage_id is not None:
        scope = scope.filter(stage_id=stage_id)
    totals: dict[int, dict[str, Any]] = {}
    for row in scope.order_by().values("stage_id", "probability").annotate(n=Count("id"), total=Sum("amount")):
        column = totals.setdefault(row["stage_id"], {"stage_id": row["stage_id"], "n": 0, "total": Decimal(0),
                                                     "weighted_total": Decimal(0)})
        amount = Decimal(str(row["total"] or 0))
        column["n"] += row["n"]
        column["total"] += amount
        column["weighted_total"] += amount * row["probability"]
    return totals


def board(*, user: User, pipeline: Pipeline, owner_id: int | None = None, closed_since: dt.datetime,
          stage_id: int | None = None) -> list[Column]:
    """The kanban board: a column per stage with its totals (count, amount, weighted: one grouped query) and its
    first ``BOARD_PAGE`` cards in ``card_order`` (one bounded query per column); the rest comes by "more"
    (``board_cards`` with an offset). Won and lost columns show deals closed since ``closed_since``. ``stage_id``:
    that column alone, without cards (the "more" fragment's totals)."""
    columns = [Column(stage) for stage in pipeline_stages(pipeline.pk) if stage_id in (None, stage.pk)]
    totals = board_totals(user=user, pipeline=pipeline, owner_id=owner_id, closed_since=closed_since,
                          stage_id=stage_id)
    for column in columns:
        row = totals.get(column.stage.pk)
        if row:
            column.count = row["n"]
            column.amount = row["total"] or Decimal(0)
            column.weighted = to_money(row["weighted_total"])
            if stage_id is None:
                column.cards = board_cards(user=user, pipeline=pipeline, stage=column.stage, owner_id=owner_id,
                                           closed_since=closed_since, related=False)
    _card_relations([card for column in columns for card in column.cards])
    return columns


def weighted_expression(prefix: str = "") -> Any:
    """amount × probability (the division by 100 is done on the sum: ``to_money``)."""
    from django.db.models import DecimalField, ExpressionWrapper, F

    return ExpressionWrapper(F(f"{prefix}amount") * F(f"{prefix}probability"),
                             output_field=DecimalField(max_digits=20, decimal_places=2))


def to_money(value: Any, *, per_cent: bool = True) -> Decimal:
    """A summed amount × probability back to money: divided by 100, to the cent."""
    if value is None:
        return Decimal(0)
    amount = Decimal(str(value))
    return ((amount / 100) if per_cent else amount).quantize(Decimal("0.01"))
