"""Staff KPIs computed on read, in a fixed number of aggregate queries whatever the number of staff or customers.

Per staff member (account managers and branch managers) and calendar month in the company's time zone
(``TIME_ZONE``, Asia/Shanghai):

- **information collected** (信息量): the customers whose record the staff member created or changed in the month
  (the customer, person profile or organisation profile history rows ``simple_history`` writes with the acting
  user: created ``+`` or changed ``~``), each customer counted once, in the week of its first such change;
  against the monthly quota, and week by week (Monday to Sunday, clipped to the month: a clipped week's quota is
  pro-rated) against the weekly quota;
- **contacts made**: contact records (``ContactRecord.staff``) in the month and the customers they reached;
- **cadence coverage**: customers contacted on cadence / customers due, when the cadence module is installed
  (``kehu.relations.cadences.selectors.cadence_coverage_by_owner``), otherwise absent;
- **value and growth**: the customers they own now, and those customers' spend in the month, the month before and
  the same month a year before (attributed to the current owner);
- **score** (seed 001: 信息量 50 分、贡献率 50 分, 达到标准得基本分, 超额完成按比例加分, 未完成按比例扣分):
  information points × collected / monthly quota, plus contribution points × spend / target, where the target is
  ``contribution_share`` % (70 %) of the average spend of the customers of the staff in the same branch; each ratio
  is capped at ``bonus_cap`` %. Ranked per branch (a staff member's branch is the first of theirs by the tree).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.validators import EARLIEST_BUSINESS_DATE, latest_business_date
from kehu.customers.models import Customer, OrganisationProfile, PersonProfile
from kehu.org.models import Branch, User
from kehu.org.roles import GLOBAL_VIEW_ROLES, SCOPE_CHANGE_ROLES, Role
from kehu.org.selectors import branch_list, staff_list, user_roles
from kehu.purchases.models import Transaction

from ..models import ContactRecord, KpiConfiguration

KPI_ROLES = (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER)
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_POINT = Decimal("0.1")

# --------------------------------------------------------------------------------------------------- configuration


def kpi_configuration() -> KpiConfiguration:
    """The stored configuration, or (unsaved) the seed's defaults when an administrator has stored none."""
    return KpiConfiguration.objects.filter(pk=KpiConfiguration.SINGLETON_ID).first() or KpiConfiguration()


# ------------------------------------------------------------------------------------------------------------ month


def company_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def current_month() -> dt.date:
    return timezone.now().astimezone(company_zone()).date().replace(day=1)


def parse_month(value: str | None) -> dt.date:
    """``YYYY-MM`` → the month's first day; empty → the current month. Anything else, or a month outside the business
    dates (1900-01 … five years ahead), raises ``ValidationError`` on ``month`` (a 4xx at every entry point)."""
    if value is None or not str(value).strip():
        return current_month()
    match = _MONTH.match(str(value).strip())
    if match is None:
        raise ValidationError({"month": [_("Give the month as YYYY-MM.")]})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValidationError({"month": [_("Give the month as YYYY-MM.")]})
    first = dt.date(year, month, 1)
    if first < EARLIEST_BUSINESS_DATE or first > latest_business_date():
        raise ValidationError({"month": [_("Choose a month from %(first)s to %(last)s.") % {
            "first": EARLIEST_BUSINESS_DATE.strftime("%Y-%m"), "last": latest_business_date().strftime("%Y-%m")}]})
    return first


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _start(day: dt.date) -> dt.datetime:
    """Midnight of a day in the company's time zone (an aware datetime)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=company_zone())


@dataclass(frozen=True)
class Week:
    start: dt.date
    end: dt.date  # exclusive
    quota: int

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def month_weeks(month: dt.date, weekly_quota: int) -> list[Week]:
    """The Monday-to-Sunday weeks of a month, clipped to it; a clipped week's quota is pro-rated (rounded up)."""
    next_month = add_months(month, 1)
    weeks, start = [], month
    while start < next_month:
        end = min(start + dt.timedelta(days=7 - start.weekday()), next_month)
        days = (end - start).days
        weeks.append(Week(start, end, math.ceil(weekly_quota * days / 7)))
        start = end
    return weeks


# ------------------------------------------------------------------------------------------------------- the report


@dataclass
class StaffKpi:
    """One staff member's month."""

    staff: User
    branch: Branch | None
    customers: int = 0
    collected: int = 0
    collected_by_week: list[int] = field(default_factory=list)
    weeks_on_quota: int = 0
    contacts: int = 0
    contacted_customers: int = 0
    coverage_on: int | None = None
    coverage_total: int | None = None
    spend: Decimal = Decimal(0)
    spend_last_month: Decimal = Decimal(0)
    spend_last_year: Decimal = Decimal(0)
    contribution_target: Decimal = Decimal(0)
    information_ratio: Decimal = Decimal(0)
    contribution_ratio: Decimal = Decimal(0)
    information_score: Decimal = Decimal(0)
    contribution_score: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    rank: int = 0
    branch_size: int = 0
    information_bar: float = 0.0
    contribution_bar: float = 0.0

    @property
    def growth_month(self) -> Decimal | None:
        return _growth(self.spend, self.spend_last_month)

    @property
    def growth_year(self) -> Decimal | None:
        return _growth(self.spend, self.spend_last_year)

    @property
    def coverage(self) -> Decimal | None:
        if self.coverage_total is None or self.coverage_on is None:
            return None
        if not self.coverage_total:
            return None
        return (Decimal(100) * self.coverage_on / self.coverage_total).quantize(_POINT, ROUND_HALF_UP)


def _growth(now: Decimal, before: Decimal) -> Decimal | None:
    if not before:
        return None
    return (Decimal(100) * (now - before) / before).quantize(_POINT, ROUND_HALF_UP)


@dataclass
class KpiReport:
    month: dt.date
    configuration: KpiConfiguration
    weeks: list[Week]
    rows: list[StaffKpi]
    branches: list[Branch]
    branch: Branch | None
    coverage_available: bool
    target_bar: float = 0.0

    @property
    def next_month(self) -> dt.date:
        return add_months(self.month, 1)

    @property
    def is_current(self) -> bool:
        return self.month == current_month()

    @property
    def previous_month(self) -> dt.date:
        return add_months(self.month, -1)


def may_see_kpis(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("relations.view_staff_kpis"))


def _own_line_only(user: User) -> bool:
    """Account managers (and anyone without a branch-wide or company-wide role) see their own line only."""
    return not (user_roles(user) & (SCOPE_CHANGE_ROLES | GLOBAL_VIEW_ROLES))


def kpi_branches(*, user: User) -> list[Branch]:
    """The branches the user may filter the KPIs by (none for a user who sees only their own line)."""
    if _own_line_only(user):
        return []
    return list(branch_list(user=user))


def _kpi_branch(staff: User) -> Branch | None:
    """The branch a staff member is ranked in: the first of theirs in the tree's order (prefetched)."""
    branches = sorted(staff.branches.all(), key=lambda branch: branch.path)
    return branches[0] if branches else None


def coverage_source() -> Callable[..., dict[int, tuple[int, int]]] | None:
    """The cadence module's coverage by owner, when it is installed (it joins later: the measure is absent until)."""
    try:
        from kehu.relations.cadences.selectors import (  # type: ignore[import-not-found,unused-ignore]
            cadence_coverage_by_owner,
        )
    except ImportError:
        return None
    return cadence_coverage_by_owner  # type: ignore[no-any-return,unused-ignore]


def staff_kpis(*, user: User, month: dt.date, branch_id: int | None = None) -> KpiReport:
    """The KPI report of ``month`` for the staff the user may see: account managers their own line, branch managers
    their branches' staff, administrators and auditors everyone; ``branch_id`` (in the user's scope, else 404)
    keeps the staff of that branch and the branches below it. Rows ordered by branch and rank."""
    if not may_see_kpis(user):
        raise PermissionDenied(_("You may not see staff KPIs."))
    configuration = kpi_configuration()
    branches = kpi_branches(user=user)
    chosen: Branch | None = None
    if branch_id is not None:
        chosen = next((branch for branch in branches if branch.pk == branch_id), None)
        if chosen is None:
            raise Branch.DoesNotExist(_("No such branch."))
    own_only = _own_line_only(user)
    candidates = User.objects.filter(is_active=True, groups__name__in=KPI_ROLES)
    if own_only:
        own_branch_ids = list(user.branches.values_list("pk", flat=True))
        candidates = candidates.filter(Q(branches__in=own_branch_ids) | Q(pk=user.pk))
    else:
        in_scope = staff_list(user=user).values("pk")
        candidates = candidates.filter(pk__in=in_scope)
        if chosen is not None:
            candidates = candidates.filter(branches__path__startswith=chosen.path)
    account_manager = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=Role.ACCOUNT_MANAGER)
    staff = list(candidates.distinct().annotate(kehu_account_manager=Exists(account_manager))
                 .order_by("username").prefetch_related("branches"))
    rows = [StaffKpi(staff=member, branch=_kpi_branch(member)) for member in staff]
    if own_only:
        mine = next((row for row in rows if row.staff.pk == user.pk), None)
        group = mine.branch if mine else None
        rows = [row for row in rows if row.staff.pk == user.pk or (group is not None and row.branch == group)]
    weeks = month_weeks(month, configuration.weekly_quota)
    coverage = coverage_source()
    _fill(rows, month=month, weeks=weeks, coverage=coverage)
    # account managers are always ranked; branch managers only when they own customers or collected or contacted
    rows = [row for row in rows if row.staff.kehu_account_manager  # type: ignore[attr-defined]
            or row.customers or row.collected or row.contacts]
    _score(rows, configuration)
    if own_only:
        rows = [row for row in rows if row.staff.pk == user.pk]
    rows.sort(key=lambda row: (row.branch.path if row.branch else "~", row.rank, row.staff.username))
    report = KpiReport(month=month, configuration=configuration, weeks=weeks, rows=rows, branches=branches,
                       branch=chosen, coverage_available=coverage is not None)
    _bars(report)
    return report


def _history_sql(weeks: list[Week], staff_ids: list[int]) -> tuple[str, list[Any]]:
    """One statement: per staff member and week, the customers whose first created-or-changed history row by them
    in the month falls in that week (each customer once per staff member)."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    since, until = _start(weeks[0].start), _start(weeks[-1].end)
    marks = ", ".join(["%s"] * len(staff_ids))
    parts, params = [], []
    for model, customer_column in ((Customer.history.model, "id"),  # type: ignore[attr-defined]
                                   (PersonProfile.history.model, "customer_id"),  # type: ignore[attr-defined]
                                   (OrganisationProfile.history.model, "customer_id")):  # type: ignore[attr-defined]
        parts.append(f"SELECT history_user_id AS user_id, {quote(customer_column)} AS customer_id, "
                     f"history_date AS at FROM {quote(model._meta.db_table)} "
                     f"WHERE history_date >= %s AND history_date < %s AND history_type IN ('+', '~') "
                     f"AND history_user_id IN ({marks})")
        params += [adapt(since), adapt(until), *staff_ids]
    cases = " ".join(f"WHEN first_at < %s THEN {index}" for index, _week in enumerate(weeks[:-1]))
    week_params = [adapt(_start(week.end)) for week in weeks[:-1]]
    week_expression = f"CASE {cases} ELSE {len(weeks) - 1} END" if cases else "0"
    sql = (f"SELECT user_id, {week_expression} AS week, COUNT(*) FROM ("
           f"SELECT user_id, customer_id, MIN(at) AS first_at FROM ({' UNION ALL '.join(parts)}) changes "
           f"GROUP BY user_id, customer_id) firsts GROUP BY user_id, {week_expression}")
    return sql, week_params + params + week_params


def _fill(rows: list[StaffKpi], *, month: dt.date, weeks: list[Week],
          coverage: Callable[..., dict[int, tuple[int, int]]] | None) -> None:
    """The month's figures of every row: four aggregate queries (plus the cadence module's own, when installed)."""
    if not rows:
        return
    by_id = {row.staff.pk: row for row in rows}
    ids = list(by_id)
    for row in rows:
        row.collected_by_week = [0] * len(weeks)
    sql, params = _history_sql(weeks, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for user_id, week, count in cursor.fetchall():
            by_id[user_id].collected_by_week[int(week)] += int(count)
    for row in rows:
        row.collected = sum(row.collected_by_week)
        row.weeks_on_quota = sum(1 for count, week in zip(row.collected_by_week, weeks, strict=True)
                                 if count >= week.quota)

    since, until = _start(month), _start(add_months(month, 1))
    contacts = (ContactRecord.objects.filter(staff_id__in=ids, occurred_at__gte=since, occurred_at__lt=until)
                .values("staff_id").annotate(contacts=Count("id"), reached=Count("customer_id", distinct=True))
                .order_by())
    for item in contacts:
        by_id[item["staff_id"]].contacts = item["contacts"]
        by_id[item["staff_id"]].contacted_customers = item["reached"]

    owned = Customer.objects.filter(owner_id__in=ids).values("owner_id").annotate(count=Count("id")).order_by()
    for item in owned:
        by_id[item["owner_id"]].customers = item["count"]

    last_month, year_ago = _start(add_months(month, -1)), _start(add_months(month, -12))
    year_ago_end = _start(add_months(month, -11))
    this = Q(occurred_at__gte=since)
    before = Q(occurred_at__gte=last_month, occurred_at__lt=since)
    last_year = Q(occurred_at__gte=year_ago, occurred_at__lt=year_ago_end)
    spend = (Transaction.objects.filter(customer__owner_id__in=ids, occurred_at__gte=year_ago, occurred_at__lt=until)
             .filter(this | before | last_year).values("customer__owner_id")
             .annotate(this=Sum("amount", filter=this), before=Sum("amount", filter=before),
                       last_year=Sum("amount", filter=last_year)).order_by())
    for item in spend:
        row = by_id[item["customer__owner_id"]]
        row.spend = _money(item["this"])
        row.spend_last_month = _money(item["before"])
        row.spend_last_year = _money(item["last_year"])

    if coverage is not None:
        as_of = min(add_months(month, 1) - dt.timedelta(days=1), timezone.now().astimezone(company_zone()).date())
        for owner_id, (on, total) in coverage(as_of=as_of, owner_ids=ids).items():
            if owner_id in by_id:
                by_id[owner_id].coverage_on, by_id[owner_id].coverage_total = int(on), int(total)


def _money(value: Decimal | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _ratio(value: Decimal, target: Decimal, cap: Decimal) -> Decimal:
    if target <= 0:
        return Decimal(0)
    return min(Decimal(value) / target, cap)


def _score(rows: list[StaffKpi], configuration: KpiConfiguration) -> None:
    """Scores and the ranking per branch (standard competition ranking: 1, 2, 2, 4)."""
    cap = Decimal(configuration.bonus_cap) / 100
    groups: dict[int | None, list[StaffKpi]] = defaultdict(list)
    for row in rows:
        groups[row.branch.pk if row.branch else None].append(row)
    for group in groups.values():
        average = sum((row.spend for row in group), Decimal(0)) / len(group)
        target = average * Decimal(configuration.contribution_share) / 100
        for row in group:
            row.branch_size = len(group)
            row.contribution_target = target.quantize(Decimal("0.01"), ROUND_HALF_UP)
            row.information_ratio = _ratio(Decimal(row.collected), Decimal(configuration.monthly_quota), cap)
            row.contribution_ratio = _ratio(row.spend, target, cap)
            row.information_score = (configuration.information_weight * row.information_ratio).quantize(
                _POINT, ROUND_HALF_UP)
            row.contribution_score = (configuration.contribution_weight * row.contribution_ratio).quantize(
                _POINT, ROUND_HALF_UP)
            row.score = row.information_score + row.contribution_score
        ordered = sorted(group, key=lambda row: (-row.score, row.staff.username))
        for position, row in enumerate(ordered, start=1):
            previous = ordered[position - 2] if position > 1 else None
            row.rank = previous.rank if previous is not None and previous.score == row.score else position


def _bars(report: KpiReport) -> None:
    """Bar lengths (0–100) of the chart: the two halves of each score against the largest possible score."""
    configuration = report.configuration
    most = Decimal(configuration.information_weight + configuration.contribution_weight) * configuration.bonus_cap / 100
    if most <= 0:
        return
    report.target_bar = round(float(100 * 100 / most), 2)
    for row in report.rows:
        row.information_bar = round(float(100 * row.information_score / most), 2)
        row.contribution_bar = round(float(100 * row.contribution_score / most), 2)
