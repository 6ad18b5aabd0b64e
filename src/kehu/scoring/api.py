"""The customer value API (mounted at ``/api/scoring``): schemes, runs, a customer's tiers and scores, tier
distributions, tier changes and alerts; starting a run needs the permission ``scoring.run_scoring``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import PastDate
from kehu.customers.selectors import customer_get
from kehu.org.models import User

from . import metrics, selectors, services
from .models import Alert, ScoringRun, TierAssignment, TierScheme, tier_label

router = Router(tags=["scoring"])


def _actor(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not see customer value figures."))
    return user


class TierOut(Schema):
    code: str
    label: str
    rank: int


class SchemeOut(Schema):
    id: int
    name: str
    label: str
    description: str
    kind: str
    is_primary: bool
    is_active: bool
    window_days: int
    tiers: list[TierOut]
    parameters: dict[str, Any]

    @staticmethod
    def resolve_label(obj: TierScheme) -> str:
        return tier_label(obj.label)

    @staticmethod
    def resolve_description(obj: TierScheme) -> str:
        return tier_label(obj.description)

    @staticmethod
    def resolve_window_days(obj: TierScheme) -> int:
        return obj.definition().window_days

    @staticmethod
    def resolve_tiers(obj: TierScheme) -> list[dict[str, Any]]:
        return [{"code": t.code, "label": tier_label(t.label), "rank": t.rank} for t in obj.tiers]


def _company_figures(context: Any) -> bool:
    """Whether the requesting user sees company-wide run figures (users limited to some branches do not)."""
    request = (context or {}).get("request")
    user = getattr(request, "auth", None)
    return user is not None and selectors.sees_company_figures(user)


class RunOut(Schema):
    id: int
    as_of: dt.date
    status: str
    trigger: str
    schemes: list[str]
    requested_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    customers: int | None = Field(description="Customers scored; null for users limited to some branches (a "
                                              "company-wide figure).")
    changes: int | None = Field(description="Tier changes; null for users limited to some branches (see "
                                            "`/runs/{id}/changes`).")
    alerts: int | None = Field(description="Alerts raised; null for users limited to some branches (see `/alerts`).")
    error: str

    @staticmethod
    def resolve_customers(obj: ScoringRun, context: Any) -> int | None:
        return obj.customers if _company_figures(context) else None

    @staticmethod
    def resolve_changes(obj: ScoringRun, context: Any) -> int | None:
        return obj.changes if _company_figures(context) else None

    @staticmethod
    def resolve_alerts(obj: ScoringRun, context: Any) -> int | None:
        return obj.alerts if _company_figures(context) else None

    @staticmethod
    def resolve_schemes(obj: ScoringRun) -> list[str]:
        return [scheme.name for scheme in obj.schemes.all()]

    @staticmethod
    def resolve_requested_by(obj: ScoringRun) -> str | None:
        return obj.requested_by.username if obj.requested_by else None

    @staticmethod
    def resolve_error(obj: ScoringRun) -> str:
        return obj.error.split("\n", 1)[0] if obj.error else ""


class RunDetailOut(RunOut):
    parameters: dict[str, Any]
    counts: dict[str, Any] = Field(description="Counts per tier of each scheme; empty for users limited to some "
                                               "branches (see `/schemes/{name}/distribution`).")
    lifetime_value: dict[str, Any] = Field(description="The lifetime value fit; only its status for users limited to "
                                                       "some branches.")

    @staticmethod
    def resolve_counts(obj: ScoringRun, context: Any) -> dict[str, Any]:
        return obj.counts if _company_figures(context) else {}

    @staticmethod
    def resolve_lifetime_value(obj: ScoringRun, context: Any) -> dict[str, Any]:
        clv = obj.figures.get("clv", {})
        if _company_figures(context):
            return clv
        return {key: value for key, value in clv.items() if key in selectors.CLV_STATUS_KEYS}


class RunPage(Schema):
    count: int
    items: list[RunOut]


class RunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    as_of: PastDate | None = Field(None, description="Score as of the end of this day (default today).")
    schemes: list[str] = Field(default_factory=list, max_length=50,
                               description="Scheme names; default every active scheme.")


class SchemeTierOut(Schema):
    scheme: str
    scheme_label: str
    tier: str
    label: str
    since: dt.date | None = Field(None, description="Date of the latest change to this tier; none while the tier "
                                  "is the one the customer was first given.")
    previous_tier: str
    value: float | None


class ScoresOut(Schema):
    customer_id: int
    as_of: dt.date | None
    tier: str = Field(description="Tier under the primary scheme.")
    tiers: list[SchemeTierOut]
    first_purchase: dt.date | None
    last_purchase: dt.date | None
    purchase_days: int
    total_amount: float
    current_amount: float
    previous_amount: float
    r_score: int
    f_score: int
    m_score: int
    rfm_segment: str
    rfm_segment_label: str
    p_alive: float | None = Field(description="Probability the customer is still active (BG/NBD).")
    expected_purchases: float | None
    clv: float | None = Field(description="Lifetime value over the configured horizon, discounted.")
    value_score: float | None
    loyalty_score: float | None


class BarOut(Schema):
    code: str
    label: str
    rank: int
    customers: int
    customer_share: float
    amount: float
    amount_share: float
    margin: float
    margin_share: float


class DistributionOut(Schema):
    scheme: str
    run_id: int | None
    as_of: dt.date | None
    customers: int
    amount: float
    margin: float
    tiers: list[BarOut]
    figures: dict[str, Any]


class ChangeOut(Schema):
    customer_id: int
    customer_code: str = Field(alias="customer.code")
    customer_name: str = Field(alias="customer.name")
    scheme: str
    previous_tier: str
    tier: str
    direction: str
    value: float | None

    @staticmethod
    def resolve_scheme(obj: TierAssignment) -> str:
        return obj.scheme.name

    @staticmethod
    def resolve_direction(obj: TierAssignment) -> str:
        return "fall" if obj.is_fall else "rise"


class ChangePage(Schema):
    count: int
    items: list[ChangeOut]


class ChangeParams(PageParams):
    scheme: str = Field("", description="Only this scheme (name).")
    direction: str = Field("", pattern="^(|fall|rise)$", description="fall or rise.")


class AlertOut(Schema):
    id: int
    customer_id: int
    customer_code: str = Field(alias="customer.code")
    customer_name: str = Field(alias="customer.name")
    owner: str | None
    as_of: dt.date
    reason: str
    text: str
    scheme: str | None
    figures: dict[str, Any]
    status: str
    note: str
    handled_by: str | None
    handled_at: dt.datetime | None

    @staticmethod
    def resolve_owner(obj: Alert) -> str | None:
        owner = obj.customer.owner
        return owner.username if owner else None

    @staticmethod
    def resolve_scheme(obj: Alert) -> str | None:
        return obj.scheme.name if obj.scheme else None

    @staticmethod
    def resolve_handled_by(obj: Alert) -> str | None:
        return obj.handled_by.username if obj.handled_by else None


class AlertPage(Schema):
    count: int
    items: list[AlertOut]


class AlertParams(PageParams):
    status: str = Field("", pattern="^(|open|acknowledged|closed)$")
    reason: str = Field("", pattern="^(|tier_fall|churn_risk)$")


class AlertActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=255)


@router.get("/schemes", response={200: list[SchemeOut], **COMMON_ERRORS}, url_name="scoring_scheme_list",
            summary="Active tier schemes")
def list_schemes(request: HttpRequest) -> list[TierScheme]:
    _actor(request)
    return list(selectors.scheme_list())


@router.get("/schemes/{name}/distribution", response={200: DistributionOut, **COMMON_ERRORS},
            url_name="scoring_distribution", summary="Customers, spend and margin per tier (your scope)")
def scheme_distribution(request: HttpRequest, name: str) -> dict[str, Any]:
    actor = _actor(request)
    distribution = selectors.tier_distribution(user=actor, scheme=selectors.scheme_get(name=name))
    return {
        "scheme": name, "run_id": distribution.run.pk if distribution.run else None,
        "as_of": distribution.run.as_of if distribution.run else None, "customers": distribution.customers,
        "amount": distribution.amount, "margin": distribution.margin,
        "tiers": [bar.__dict__ for bar in distribution.bars], "figures": distribution.figures,
    }


@router.get("/runs", response={200: RunPage, **COMMON_ERRORS}, url_name="scoring_run_list",
            summary="Scoring runs, newest first")
def list_runs(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    _actor(request)
    return paginate(selectors.scoring_run_list().prefetch_related("schemes"), params)


@router.get("/runs/{run_id}", response={200: RunDetailOut, **COMMON_ERRORS}, url_name="scoring_run_detail",
            summary="One scoring run with its counts per tier")
def get_run(request: HttpRequest, run_id: int) -> ScoringRun:
    _actor(request)
    return selectors.scoring_run_get(pk=run_id)


@router.post("/runs", response={202: RunOut, **COMMON_ERRORS}, url_name="scoring_run_create",
             summary="Start a scoring run (permission scoring.run_scoring)")
def create_run(request: HttpRequest, payload: RunIn) -> Status[ScoringRun]:
    actor = _actor(request)
    run = services.scoring_run_request(actor=actor, as_of=payload.as_of, scheme_names=payload.schemes or None)
    return Status(202, run)


@router.get("/runs/{run_id}/changes", response={200: ChangePage, **COMMON_ERRORS}, url_name="scoring_change_list",
            summary="Tier changes of a run (customers you may see)")
def list_changes(request: HttpRequest, run_id: int, params: Query[ChangeParams]) -> dict[str, Any]:
    actor = _actor(request)
    run = selectors.scoring_run_get(pk=run_id)
    scheme = selectors.scheme_get(name=params.scheme) if params.scheme else None
    return paginate(selectors.tier_changes(user=actor, run=run, scheme=scheme, direction=params.direction), params)


@router.get("/customers/{customer_id}", response={200: ScoresOut, **COMMON_ERRORS}, url_name="scoring_customer",
            summary="A customer's tiers, RFM scores, P(active), expected purchases and lifetime value")
def customer_scores(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=customer_id)
    scores = selectors.customer_scores(customer=customer)
    summary = scores.summary

    def number(value: Any) -> float | None:
        return float(value) if value is not None else None

    return {
        "customer_id": customer.pk, "as_of": summary.as_of if summary else None, "tier": customer.tier,
        "tiers": [{"scheme": t.scheme.name, "scheme_label": tier_label(t.scheme.label), "tier": t.code,
                   "label": t.label, "since": t.since, "previous_tier": t.previous_label, "value": t.value}
                  for t in scores.tiers],
        "first_purchase": summary.first_purchase if summary else None,
        "last_purchase": summary.last_purchase if summary else None,
        "purchase_days": summary.purchase_days if summary else 0,
        "total_amount": float(summary.total_amount) if summary else 0.0,
        "current_amount": float(summary.current_amount) if summary else 0.0,
        "previous_amount": float(summary.previous_amount) if summary else 0.0,
        "r_score": summary.r_score if summary else 0, "f_score": summary.f_score if summary else 0,
        "m_score": summary.m_score if summary else 0, "rfm_segment": summary.rfm_segment if summary else "",
        "rfm_segment_label": str(metrics.SEGMENT_LABELS.get(summary.rfm_segment if summary else "", "")),
        "p_alive": summary.p_alive if summary else None,
        "expected_purchases": summary.expected_purchases if summary else None,
        "clv": number(summary.clv) if summary else None,
        "value_score": summary.value_score if summary else None,
        "loyalty_score": summary.loyalty_score if summary else None,
    }


@router.get("/alerts", response={200: AlertPage, **COMMON_ERRORS}, url_name="scoring_alert_list",
            summary="Alerts on customers at risk (account managers: their own customers)")
def list_alerts(request: HttpRequest, params: Query[AlertParams]) -> dict[str, Any]:
    actor = _actor(request)
    return paginate(selectors.alert_list(user=actor, status=params.status, reason=params.reason), params)


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **COMMON_ERRORS},
             url_name="scoring_alert_acknowledge", summary="Acknowledge an alert")
def acknowledge_alert(request: HttpRequest, alert_id: int, payload: AlertActionIn) -> Alert:
    actor = _actor(request)
    alert = selectors.alert_get(user=actor, pk=alert_id)
    services.alert_acknowledge(alert=alert, actor=actor, note=payload.note)
    return selectors.alert_get(user=actor, pk=alert_id)


@router.post("/alerts/{alert_id}/close", response={200: AlertOut, **COMMON_ERRORS},
             url_name="scoring_alert_close", summary="Close an alert")
def close_alert(request: HttpRequest, alert_id: int, payload: AlertActionIn) -> Alert:
    actor = _actor(request)
    alert = selectors.alert_get(user=actor, pk=alert_id)
    services.alert_close(alert=alert, actor=actor, note=payload.note)
    return selectors.alert_get(user=actor, pk=alert_id)
