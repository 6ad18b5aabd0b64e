"""Reads for customer value: schemes, runs, tier distributions and charts, tier changes, alerts, a customer's scores.

Chart figures for users who see every branch come from the figures the run stored (no query over the customers);
for users limited to some branches they are aggregated in SQL over the customers they may see, so nobody learns
figures of customers outside their scope from a chart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.roles import GLOBAL_VIEW_ROLES, SCOPE_CHANGE_ROLES
from kehu.org.selectors import branch_ids_in_scope, user_roles

from . import metrics
from .models import Alert, CustomerSummary, ScoringRun, TierAssignment, TierScheme, tier_label

# roles that see the alerts of every customer in their scope; everybody else sees those of the customers they own
ALERT_SCOPE_ROLES = GLOBAL_VIEW_ROLES | SCOPE_CHANGE_ROLES


# A scoring date more than this many days after the newest purchase reads regular buyers as lapsed (BG/NBD's
# P(active) drops after a silence much longer than their usual gap) and fills the alerts: the run warns.
STALE_DATA_DAYS = 30


@dataclass
class StaleData:
    """The newest purchase lies ``days`` days before the scoring date ``as_of``."""

    as_of: dt.date
    newest: dt.date
    days: int


def newest_purchase_day() -> dt.date | None:
    """The local day of the newest transaction (one index lookup on ``transaction_time_idx``)."""
    from django.db.models import Max
    from django.utils import timezone

    from kehu.purchases.models import Transaction

    newest = Transaction.objects.aggregate(newest=Max("occurred_at"))["newest"]
    return timezone.localdate(newest) if newest is not None else None


def stale_data(*, as_of: dt.date) -> StaleData | None:
    """A warning when the newest purchase is more than :data:`STALE_DATA_DAYS` days older than ``as_of``."""
    newest = newest_purchase_day()
    if newest is None or (as_of - newest).days <= STALE_DATA_DAYS:
        return None
    return StaleData(as_of=as_of, newest=newest, days=(as_of - newest).days)


def scheme_list(*, active_only: bool = True) -> QuerySet[TierScheme]:
    schemes_ = TierScheme.objects.all()
    if active_only:
        schemes_ = schemes_.filter(is_active=True)
    return schemes_.order_by("position", "id")


def scheme_get(*, name: str) -> TierScheme:
    """An active scheme by name; raises ``TierScheme.DoesNotExist``."""
    return TierScheme.objects.get(name=name, is_active=True)


def primary_scheme() -> TierScheme | None:
    return TierScheme.objects.filter(is_primary=True).first()


def scoring_run_list() -> QuerySet[ScoringRun]:
    """Runs, newest as-of date first, with who asked for them."""
    return ScoringRun.objects.select_related("requested_by").order_by("-as_of", "-id")


def scoring_run_get(*, pk: int) -> ScoringRun:
    return ScoringRun.objects.select_related("requested_by").get(pk=pk)


def latest_run(*, scheme: TierScheme | None = None) -> ScoringRun | None:
    """The latest succeeded run (that computed ``scheme``, when given)."""
    runs = ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED)
    if scheme is not None:
        runs = runs.filter(schemes=scheme)
    return runs.order_by("-as_of", "-id").first()


def _sees_all(user: User) -> bool:
    return branch_ids_in_scope(user) is None


def sees_company_figures(user: User) -> bool:
    """Whether the user may see a run's company-wide figures (customers scored, tier counts, changes, alerts, the
    lifetime value fit): only users who see every branch. Users limited to some branches get figures counted over
    the customers they may see (:func:`tier_distribution`, :func:`tier_changes`, :func:`run_scoped_counts`) and the
    company-wide ones are withheld."""
    return _sees_all(user)


# figures of a run that describe the company's customers as a whole, withheld from branch-scoped users
COMPANY_TOTALS = ("customers", "amount", "margin", "tiers")
# what a branch-scoped user sees of a run's lifetime value fit: whether it worked, not the figures of the fit
CLV_STATUS_KEYS = ("status", "message", "warning")


def run_scoped_counts(*, user: User, run: ScoringRun) -> dict[str, int]:
    """A run's tier changes and alerts among the customers the user may see (two counts)."""
    changes = TierAssignment.objects.filter(as_of=run.as_of, previous_rank__isnull=False,
                                            scheme__in=run.schemes.all(),
                                            customer__in=visible_customers(user).values("pk")).count()
    alerts = alert_list(user=user).filter(as_of=run.as_of).count()
    return {"changes": changes, "alerts": alerts}


def visible_customers(user: User) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user)


def customers_in_tier(*, user: User, scheme: TierScheme, tier: str) -> QuerySet[Customer]:
    """Customers the user may see whose current tier under ``scheme`` is ``tier`` (primary: ``CustomerTier``; any
    other scheme: its slot column of the summary)."""
    customers = visible_customers(user)
    if scheme.is_primary:
        return customers.filter(primary_tier__tier=tier)
    rank = _rank_of(scheme, tier)
    if scheme.slot is None or rank is None:
        return customers.none()
    return customers.filter(**{f"score_summary__tier_{scheme.slot}": rank})


def _rank_of(scheme: TierScheme, code: str) -> int | None:
    return next((rank for rank, known in enumerate(scheme.definition().codes) if known == code), None)


# --------------------------------------------------------------------------- charts


@dataclass
class TierBar:
    code: str
    label: str
    rank: int
    customers: int
    customer_share: float
    amount: float
    amount_share: float
    margin: float
    margin_share: float


@dataclass
class Distribution:
    scheme: TierScheme
    run: ScoringRun | None
    bars: list[TierBar] = field(default_factory=list)
    customers: int = 0
    amount: float = 0.0
    margin: float = 0.0
    scoped: bool = False
    figures: dict[str, Any] = field(default_factory=dict)

    def cell(self, code: str) -> TierBar | None:
        return next((bar for bar in self.bars if bar.code == code), None)


def tier_distribution(*, user: User, scheme: TierScheme) -> Distribution:
    """Customers, spend and gross margin per tier of ``scheme`` (and their shares) for the customers ``user`` may
    see. Spend and margin are those of the current period (``ScoringConfiguration.period_days``)."""
    run = latest_run(scheme=scheme)
    distribution = Distribution(scheme=scheme, run=run)
    if run is None:
        return distribution
    stored = run.counts.get(str(scheme.pk), {})
    sees_all = _sees_all(user)
    # the cuts and thresholds of the scheme stay; the company's totals only for users who see every branch
    distribution.figures = {k: v for k, v in stored.items() if k != "tiers" and (sees_all or k not in COMPANY_TOTALS)}
    definition = scheme.definition()
    if sees_all and stored.get("tiers"):
        rows = {t["code"]: t for t in stored["tiers"]}
        distribution.customers = int(stored.get("customers", 0))
        distribution.amount = float(stored.get("amount", 0.0))
        distribution.margin = float(stored.get("margin", 0.0))
    else:
        distribution.scoped = True
        codes = definition.codes
        column = f"tier_{scheme.slot}"
        aggregates = (
            CustomerSummary.objects.filter(customer__in=visible_customers(user).values("pk"),
                                           **{f"{column}__isnull": False})
            .values(column)
            .annotate(customers=Count("pk"), amount=Sum("current_amount"), margin=Sum("current_margin"))
            .order_by()
        ) if scheme.slot is not None else []
        rows = {codes[row[column]]: {"customers": row["customers"], "amount": float(row["amount"] or 0),
                                     "margin": float(row["margin"] or 0)}
                for row in aggregates if 0 <= row[column] < len(codes)}
        distribution.customers = sum(r["customers"] for r in rows.values())
        distribution.amount = sum(r["amount"] for r in rows.values())
        distribution.margin = sum(r["margin"] for r in rows.values())
    total, amount, margin = distribution.customers, distribution.amount, distribution.margin
    for tier in definition.tiers:
        row = rows.get(tier.code, {})
        count = int(row.get("customers", 0))
        tier_amount = float(row.get("amount", 0.0))
        tier_margin = float(row.get("margin", 0.0))
        distribution.bars.append(TierBar(
            code=tier.code, label=tier_label(tier.label), rank=tier.rank, customers=count,
            customer_share=count / total if total else 0.0, amount=tier_amount,
            amount_share=tier_amount / amount if amount else 0.0, margin=tier_margin,
            margin_share=tier_margin / margin if margin else 0.0,
        ))
    return distribution


def _visible_summary_values(user: User, field_name: str) -> np.ndarray:
    values = CustomerSummary.objects.filter(customer__in=visible_customers(user).values("pk")).values_list(
        field_name, flat=True)
    return np.fromiter((float(v) if v is not None else np.nan for v in values.iterator(chunk_size=20000)),
                       dtype=np.float64)


def pareto(*, user: User, run: ScoringRun | None = None) -> dict[str, Any]:
    """Cumulative share of gross margin against the cumulative share of customers, best customers first."""
    run = run or latest_run()
    if run is None:
        return {}
    if _sees_all(user):
        return dict(run.figures.get("pareto", {}))
    return metrics.pareto_curve(_visible_summary_values(user, "current_margin"))


def clv_histogram(*, user: User, run: ScoringRun | None = None) -> dict[str, Any]:
    """The distribution of lifetime value (equal-width bins up to the 99th percentile and one open bin)."""
    run = run or latest_run()
    if run is None:
        return {}
    if _sees_all(user):
        return dict(run.figures.get("clv_histogram", {}))
    values = _visible_summary_values(user, "clv")
    return metrics.histogram(values[np.isfinite(values)])


# --------------------------------------------------------------------------- changes and alerts


def tier_changes(*, user: User, run: ScoringRun, scheme: TierScheme | None = None,
                 direction: str = "") -> QuerySet[TierAssignment]:
    """Tier changes of a run's date (first assignments left out) for customers the user may see; ``direction``
    ``fall`` or ``rise`` narrows them."""
    changes = TierAssignment.objects.filter(
        as_of=run.as_of, previous_rank__isnull=False, customer__in=visible_customers(user).values("pk"),
    )
    if scheme is not None:
        changes = changes.filter(scheme=scheme)
    else:
        changes = changes.filter(scheme__in=run.schemes.all())
    from django.db.models import F

    if direction == "fall":
        changes = changes.filter(rank__gt=F("previous_rank"))
    elif direction == "rise":
        changes = changes.filter(rank__lt=F("previous_rank"))
    return changes.select_related("customer", "customer__owner", "scheme").order_by("scheme_id", "rank",
                                                                                     "customer_id")


def alert_list(*, user: User, status: str = "", reason: str = "") -> QuerySet[Alert]:
    """Alerts on customers the user may see: administrators, auditors and branch managers see those of their
    scope; everybody else (account managers) only those of the customers they own."""
    alerts = Alert.objects.filter(customer__in=visible_customers(user).values("pk"))
    if not (user_roles(user) & ALERT_SCOPE_ROLES):
        alerts = alerts.filter(customer__owner=user)
    if status:
        alerts = alerts.filter(status=status)
    if reason:
        alerts = alerts.filter(reason=reason)
    return alerts.select_related("customer", "customer__owner", "scheme", "handled_by").order_by("-as_of", "-id")


def alert_get(*, user: User, pk: int) -> Alert:
    """One alert the user may see; raises ``Alert.DoesNotExist`` otherwise."""
    return alert_list(user=user).get(pk=pk)


def alert_counts(*, user: User) -> dict[str, int]:
    counts = alert_list(user=user).order_by().aggregate(
        open=Count("id", filter=Q(status=Alert.Status.OPEN)),
        acknowledged=Count("id", filter=Q(status=Alert.Status.ACKNOWLEDGED)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


# --------------------------------------------------------------------------- one customer


@dataclass
class SchemeTier:
    scheme: TierScheme
    code: str
    label: str
    since: Any
    previous_label: str
    value: float | None


@dataclass
class CustomerScores:
    """What the 360 page shows about a customer's value, with a short explanation of each figure."""

    summary: CustomerSummary | None
    primary: SchemeTier | None
    tiers: list[SchemeTier]
    segment_label: str
    segment_description: str
    explanations: dict[str, str]
    history: list[TierAssignment]

    @property
    def has_scores(self) -> bool:
        return self.summary is not None


def customer_scores(*, customer: Customer, history_limit: int = 12) -> CustomerScores:
    """The customer's latest summary, current tier under every active scheme and recent tier history.

    The caller has already checked the user may see the customer (``customers.selectors.customer_get``).
    """
    return customer_scores_many(customer_ids=[customer.pk], history_limit=history_limit)[customer.pk]


def customer_scores_many(*, customer_ids: list[int], history_limit: int = 12) -> dict[int, CustomerScores]:
    """:func:`customer_scores` of several customers in five queries whatever their number (the 360 panel's loader).

    The caller has already scoped the customers to the user.
    """
    ids = list(customer_ids)
    summaries = {row.customer_id: row for row in CustomerSummary.objects.filter(customer_id__in=ids)}
    active = list(scheme_list())
    # the latest change under each scheme says since when the tier holds and what it was before
    latest_change: dict[tuple[int, int], TierAssignment] = {}
    for row in TierAssignment.objects.filter(customer_id__in=ids, scheme__in=[s.pk for s in active]).order_by(
            "customer_id", "scheme_id", "-as_of"):
        latest_change.setdefault((row.customer_id, row.scheme_id), row)
    # a tier that never changed holds since the first run that scored the customer: the first succeeded run on or
    # after their first purchase (a customer's first tier is not a change and has no TierAssignment row)
    run_dates = list(ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED).order_by("as_of")
                     .values_list("as_of", flat=True).distinct())
    histories: dict[int, list[TierAssignment]] = {pk: [] for pk in ids}
    for row in (TierAssignment.objects.filter(customer_id__in=ids).select_related("scheme")
                .order_by("customer_id", "-as_of", "scheme__position")):
        if len(histories[row.customer_id]) < history_limit:
            histories[row.customer_id].append(row)
    result: dict[int, CustomerScores] = {}
    for pk in ids:
        summary = summaries.get(pk)
        tiers: list[SchemeTier] = []
        primary: SchemeTier | None = None
        for scheme in active:
            rank = getattr(summary, f"tier_{scheme.slot}", None) if summary is not None and scheme.slot else None
            codes = scheme.definition().codes
            if rank is None or not 0 <= rank < len(codes):
                continue
            code = codes[rank]
            change: TierAssignment | None = latest_change.get((pk, scheme.pk))
            if change is not None and change.tier != code:
                change = None
            since = change.as_of if change is not None else _first_scored(run_dates, summary)
            item = SchemeTier(scheme=scheme, code=code, label=scheme.tier_label_for(code), since=since,
                              previous_label=scheme.tier_label_for(change.previous_tier) if change is not None else "",
                              value=getattr(summary, f"tier_value_{scheme.slot}", None))
            tiers.append(item)
            if scheme.is_primary:
                primary = item
        segment = summary.rfm_segment if summary is not None else ""
        result[pk] = CustomerScores(
            summary=summary, primary=primary, tiers=tiers,
            segment_label=str(metrics.SEGMENT_LABELS.get(segment, segment)),
            segment_description=str(metrics.SEGMENT_DESCRIPTIONS.get(segment, "")),
            explanations=_explanations(summary), history=histories[pk],
        )
    return result


def _first_scored(run_dates: list[dt.date], summary: CustomerSummary | None) -> dt.date | None:
    """The first succeeded run date on or after the customer's first purchase (when a run first scored them)."""
    import bisect

    if summary is None:
        return None
    if summary.first_purchase is None:
        return summary.as_of
    index = bisect.bisect_left(run_dates, summary.first_purchase)
    return run_dates[index] if index < len(run_dates) else summary.as_of


def _explanations(summary: CustomerSummary | None) -> dict[str, str]:
    if summary is None:
        return {"none": _("No scoring run has included this customer yet.")}
    explanations = {
        "rfm": _("Recency, frequency and monetary value, each scored 1 (lowest fifth of customers) to 5 (highest "
                 "fifth): days since the last purchase, purchase days and spend in the RFM window."),
        "p_alive": _("The probability that the customer is still buying from us, from the pattern and timing of "
                     "past purchases (BG/NBD model). Someone who bought regularly and then stopped for much longer "
                     "than usual scores low; customers with a single purchase are not rated."),
        "expected_purchases": _("Purchases the customer is expected to make over the lifetime value horizon."),
        "clv": _("Lifetime value: the expected purchases over the horizon, each valued at the customer's expected "
                 "spend (Gamma-Gamma model), discounted to today at the configured annual rate."),
        "value_score": _("0–100 from profit, share of wallet, growth and lifetime value, compared with other "
                         "customers."),
        "loyalty_score": _("0–100 from repurchase rate, tenure, recency and share of wallet."),
    }
    if summary.purchase_days <= 1:
        explanations["p_alive"] = _("With a single purchase day the model cannot tell yet whether the customer "
                                    "is still active.")
    explanations.update(_score_context(summary))
    return explanations


def _horizon_months() -> int:
    """The lifetime-value horizon, from the cache (cleared when the configuration is saved), so the 360 panel's
    batched loader keeps its query count."""
    from django.core.cache import cache

    from .models import HORIZON_CACHE_KEY, ScoringConfiguration

    def read() -> int:
        configuration = ScoringConfiguration.objects.first()
        return configuration.clv_horizon_months if configuration is not None else 12

    return int(cache.get_or_set(HORIZON_CACHE_KEY, read, 3600) or 12)


def _score_context(summary: CustomerSummary) -> dict[str, str]:
    """P(active) and lifetime value in plain words: how long since the last purchase against the usual gap, and why
    a lifetime value lies far below the spend beside it."""
    context: dict[str, str] = {}
    if summary.last_purchase is None:
        return context
    since = max((summary.as_of - summary.last_purchase).days, 0)
    gap = round(summary.recency / summary.frequency) if summary.frequency and summary.recency else None
    if gap:
        context["p_alive_context"] = _("Last purchase %(since)d days ago; usually buys every %(gap)d days.") % {
            "since": since, "gap": gap}
    else:
        context["p_alive_context"] = _("Last purchase %(since)d days ago.") % {"since": since}
    if summary.clv is None or summary.expected_purchases is None:
        return context
    months = _horizon_months()
    context["clv_context"] = _("Over the next %(months)d months: about %(purchases).1f purchases of about "
                               "%(spend)s each, discounted to today.") % {
        "months": months, "purchases": summary.expected_purchases, "spend": f"{float(summary.monetary):,.0f}"}
    # a year's spend scaled to the horizon, to compare with the lifetime value shown beside it
    recent = float(summary.current_amount) * months / 12
    if recent > 0 and float(summary.clv) < recent / 2:
        if summary.p_alive is not None and summary.p_alive < 0.5 and gap:
            context["clv_context"] += " " + _(
                "It is well below the recent spend because the customer has probably stopped buying: %(since)d "
                "days without a purchase against a usual gap of %(gap)d days.") % {"since": since, "gap": gap}
        else:
            context["clv_context"] += " " + _(
                "It is below the recent spend because the model expects fewer or smaller purchases than this "
                "period's, judging from the whole purchase history.")
    return context
