"""Reads of the home dashboard: the figures of a book of customers or of the branches in a user's scope.

Everything is aggregated in SQL (one grouped query per figure, whatever the number of customers and branches) over
the customers ``Customer.objects.visible_to(user)`` returns, so another branch's figures are never read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer, CustomerTier, LifecycleStatus
from kehu.org.models import Branch, User
from kehu.org.roles import Role
from kehu.org.selectors import branch_list, user_roles
from kehu.purchases.models import Transaction
from kehu.scoring.models import Alert, tier_label
from kehu.scoring.selectors import alert_list, primary_scheme

# more branch rows than this: only the top two levels of the tree are listed (their figures include the levels below)
MAX_BRANCH_ROWS = 30
# roles that see their branches' figures; everybody else (account managers) sees the figures of their own book
BRANCH_FIGURE_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR, Role.BRANCH_MANAGER, Role.MARKETER,
                                 Role.SERVICE_AGENT, Role.CREDIT_OFFICER})


@dataclass
class TierSegment:
    code: str
    label: str
    index: int  # the tier's position in the scheme (0 best), for its colour
    customers: int = 0
    x: float = 0.0  # where the segment starts in a 0–100 bar
    width: float = 0.0


@dataclass
class FigureRow:
    """The figures of one branch (with the branches below it) or of one account manager's book."""

    label: str
    branch: Branch | None = None
    depth: int = 0
    direct_ids: set[int] = field(default_factory=set)
    customers: int = 0
    active: int = 0
    spend_this_month: Decimal = Decimal(0)
    spend_last_month: Decimal = Decimal(0)
    tiers: dict[str, int] = field(default_factory=dict)
    alerts_open: int = 0
    # bar lengths on a 0–100 scale, filled by ``_scale``
    customers_bar: float = 0.0
    this_month_bar: float = 0.0
    last_month_bar: float = 0.0
    segments: list[TierSegment] = field(default_factory=list)

    @property
    def active_share(self) -> float:
        return self.active / self.customers if self.customers else 0.0

    @property
    def active_percent(self) -> float:
        return round(100 * self.active_share, 1)

    @property
    def tiered(self) -> int:
        return sum(self.tiers.values())


@dataclass
class Figures:
    mode: str  # "book" (an account manager's own customers) or "branches"
    rows: list[FigureRow]
    tiers: list[TierSegment]  # the primary scheme's tiers, for the legend
    this_month: dt.date
    last_month: dt.date
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return not any(row.customers for row in self.rows)


def month_starts(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """The first days of last month, this month and next month."""
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    return last_month, this_month, next_month


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def tree_order(branches: Iterable[Branch]) -> list[Branch]:
    """Branches in the order of the tree, each followed by those below it: by the numbers of the materialised path,
    so that branch 10 comes after branch 9 (ordered as text, ``/1/10/`` sorts before ``/1/9/``)."""
    return sorted(branches, key=lambda branch: [int(part) for part in branch.path.split("/") if part.isdigit()])


def shows_branch_figures(user: User) -> bool:
    return bool(user_roles(user) & BRANCH_FIGURE_ROLES)


def home_figures(*, user: User, today: dt.date | None = None) -> Figures:
    """Customers, active share, spend this month and last, primary tier mix and open alerts: per branch of the
    user's scope (branch managers, administrators and head office: every branch) or, for account managers, of the
    customers they own. Five or six queries whatever the number of customers and branches."""
    today = today or timezone.localdate()
    last_month, this_month, next_month = month_starts(today)
    visible = Customer.objects.visible_to(user)
    if shows_branch_figures(user):
        mode = "branches"
        rows = [FigureRow(label=branch.name, branch=branch, depth=branch.depth, direct_ids={branch.pk})
                for branch in tree_order(branch_list(user=user))]
        group = "branch_id"
    else:
        mode = "book"
        visible = visible.filter(owner=user)
        rows = [FigureRow(label=_("My customers"), direct_ids={0})]
        group = ""
    truncated = False
    if mode == "branches":
        _roll_up(rows)
        if len(rows) > MAX_BRANCH_ROWS:
            top = min(row.depth for row in rows)
            rows = [row for row in rows if row.depth <= top + 1]
            truncated = True
    by_key: dict[int, list[FigureRow]] = {}
    for row in rows:
        for key in row.direct_ids:
            by_key.setdefault(key, []).append(row)

    def add(item: dict[str, Any], **values: Any) -> None:
        for row in by_key.get(item["kehu_key"], []):
            for name, value in values.items():
                setattr(row, name, getattr(row, name) + value)

    for item in _grouped(visible, group, n=Count("id"),
                         active=Count("id", filter=Q(lifecycle_status=LifecycleStatus.CURRENT))):
        add(item, customers=item["n"], active=item["active"])

    in_scope = visible.values("pk")
    relation = f"customer__{group}" if group else ""
    recent = Transaction.objects.filter(customer__in=in_scope, occurred_at__gte=_aware(last_month),
                                        occurred_at__lt=_aware(next_month))
    for item in _grouped(recent, relation, this=Sum("amount", filter=Q(occurred_at__gte=_aware(this_month))),
                         last=Sum("amount", filter=Q(occurred_at__lt=_aware(this_month)))):
        add(item, spend_this_month=item["this"] or Decimal(0), spend_last_month=item["last"] or Decimal(0))

    for item in _grouped(CustomerTier.objects.filter(customer__in=in_scope), relation, "tier", n=Count("pk")):
        for row in by_key.get(item["kehu_key"], []):
            row.tiers[item["tier"]] = row.tiers.get(item["tier"], 0) + item["n"]

    alerts = alert_list(user=user, status=Alert.Status.OPEN)
    if mode == "book":
        alerts = alerts.filter(customer__owner=user)
    for item in _grouped(alerts, relation, n=Count("id")):
        add(item, alerts_open=item["n"])

    tiers = _tier_legend(rows)
    _scale(rows, tiers)
    return Figures(mode=mode, rows=rows, tiers=tiers, this_month=this_month, last_month=last_month,
                   truncated=truncated)


def _grouped(queryset: QuerySet, key: str, *fields: str, **aggregates: Any) -> list[dict[str, Any]]:
    """One grouped aggregate query: a dict per value of ``key`` (and of ``fields``) with the aggregates, the group's
    ``key`` value under ``kehu_key``; without a key, the whole queryset is one group (``kehu_key`` 0)."""
    names = [name for name in (key, *fields) if name]
    if not names:
        return [{**queryset.order_by().aggregate(**aggregates), "kehu_key": 0}]
    items = list(queryset.order_by().values(*names).annotate(**aggregates))
    for item in items:
        item["kehu_key"] = item[key] if key else 0
    return items


def _roll_up(rows: list[FigureRow]) -> None:
    """Each branch row counts its own customers and those of the branches below it (rows are in tree order)."""
    for row in rows:
        assert row.branch is not None
        for other in rows:
            if other is not row and other.branch is not None and other.branch.path.startswith(row.branch.path):
                row.direct_ids.add(other.branch.pk)


def _tier_legend(rows: list[FigureRow]) -> list[TierSegment]:
    """The primary scheme's tiers in order (best first); codes found without a scheme are appended as they are."""
    scheme = primary_scheme()
    legend: list[TierSegment] = []
    if scheme is not None:
        legend = [TierSegment(code=tier.code, label=tier_label(tier.label) or tier.code, index=position)
                  for position, tier in enumerate(scheme.tiers)]
    known = {segment.code for segment in legend}
    for code in sorted({code for row in rows for code in row.tiers} - known):
        legend.append(TierSegment(code=code, label=code, index=len(legend)))
    return legend


def _scale(rows: list[FigureRow], legend: list[TierSegment]) -> None:
    """Bar lengths (0–100) for the charts: customers against the largest row, both months' spend against the largest
    month of any row, and each row's tier mix as shares of its tiered customers."""
    most_customers = max((row.customers for row in rows), default=0)
    most_spend = max((max(row.spend_this_month, row.spend_last_month) for row in rows), default=Decimal(0))
    for row in rows:
        row.customers_bar = round(100 * row.customers / most_customers, 2) if most_customers else 0.0
        if most_spend > 0:
            row.this_month_bar = round(float(100 * row.spend_this_month / most_spend), 2)
            row.last_month_bar = round(float(100 * row.spend_last_month / most_spend), 2)
        tiered = row.tiered
        x = 0.0
        for tier in legend:
            count = row.tiers.get(tier.code, 0)
            if not count or not tiered:
                continue
            width = round(100 * count / tiered, 2)
            row.segments.append(TierSegment(code=tier.code, label=tier.label, index=tier.index, customers=count,
                                            x=x, width=width))
            x = round(x + width, 2)
