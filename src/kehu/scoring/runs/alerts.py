"""The alerts of a scoring run: which customers fell from an alert tier or became a churn risk, and writing them
(with their timeline activities) in the run's transaction."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from django.utils import timezone

from kehu.customers.timeline import activity_record_bulk

from .. import schemes
from ..models import Alert, ScoringRun
from .compute import Computed, RunSettings
from .sql import day_from_number
from .write import SchemeWrite


def alerts_to_raise(computed: Computed, writes: list[SchemeWrite], primary: SchemeWrite | None,
                    settings: RunSettings) -> list[dict[str, Any]]:
    """Alerts of this run: a fall from an alert tier (any fall for key customers) in a scheme that alerts on falls;
    a core customer (key, or in an alert tier of the primary scheme) whose P(active) crossed below the threshold."""
    data = computed.data
    is_key = data["is_key"] == 1
    population = computed.population
    raised: list[dict[str, Any]] = []

    def common(index: int) -> dict[str, Any]:
        last = int(data["last_day"][index])
        return {
            "customer_id": int(data["customer_id"][index]), "owner_id": int(data["owner_id"][index]) or None,
            "key_customer": bool(is_key[index]),
            "last_purchase": day_from_number(last).isoformat() if last >= 0 else None,
            "current_amount": round(float(data[f"amount_{settings.period_days}"][index]), 2),
            "previous_amount": round(float(data["previous_amount"][index]), 2),
            "p_alive": _finite_or_none(computed.p_alive[index]), "clv": _finite_or_none(population.clv[index], 2),
        }

    for write in writes:
        definition = write.definition
        if not definition.alert_on_fall:
            continue
        alert_ranks = np.array(sorted(definition.alert_ranks), dtype=np.int64)
        fell = (write.baseline >= 0) & (write.new > write.baseline)
        watched = np.isin(write.baseline, alert_ranks) | is_key
        for index in np.flatnonzero(fell & watched):
            before, after = int(write.baseline[index]), int(write.new[index])
            raised.append({
                **common(int(index)), "reason": Alert.Reason.TIER_FALL, "scheme_id": definition.id,
                "scheme": definition.name, "scheme_label": _scheme_label(definition),
                "previous_tier": definition.codes[before], "previous_label": definition.tiers[before].label,
                "tier": definition.codes[after], "tier_label": definition.tiers[after].label,
                "value": _finite_or_none(write.values[index], 2),
            })
    if primary is not None:
        alert_ranks = np.array(sorted(primary.definition.alert_ranks), dtype=np.int64)
        core = is_key | np.isin(primary.new, alert_ranks) | np.isin(primary.baseline, alert_ranks)
    else:
        core = is_key
    threshold = settings.p_alive_threshold
    baseline = data["baseline_p_alive"]
    p_alive = computed.p_alive
    with np.errstate(invalid="ignore"):
        crossed = np.isfinite(p_alive) & (p_alive < threshold) & ((baseline < 0) | (baseline >= threshold))
    for index in np.flatnonzero(core & crossed):
        item = {**common(int(index)), "reason": Alert.Reason.CHURN_RISK, "threshold": threshold,
                "previous_p_alive": _finite_or_none(baseline[index]) if baseline[index] >= 0 else None,
                "scheme_id": primary.definition.id if primary is not None else None}
        if primary is not None:
            rank = int(primary.new[index])
            item.update({"scheme": primary.definition.name, "scheme_label": _scheme_label(primary.definition),
                         "tier": primary.definition.codes[rank], "tier_label": primary.definition.tiers[rank].label})
        raised.append(item)
    return raised


def _scheme_label(definition: schemes.SchemeDefinition) -> str:
    return str(definition.parameters.get("_label") or definition.name)


def _finite_or_none(value: Any, digits: int | None = None) -> float | None:
    number = float(value)
    if not math.isfinite(number):
        return None
    return round(number, digits) if digits is not None else number


def write_alerts(run: ScoringRun, raised: list[dict[str, Any]], as_of: dt.date) -> int:
    """Create this date's alerts; on a replaced date keep the ones raised again (with their status) and delete
    open ones no longer raised."""
    existing = {
        (a.customer_id, a.reason, a.scheme_id): a
        for a in Alert.objects.filter(as_of=as_of).only("id", "customer_id", "reason", "scheme_id", "status")
    }
    wanted = {(item["customer_id"], item["reason"], item["scheme_id"]): item for item in raised}
    stale = [a.pk for key, a in existing.items() if key not in wanted and a.status == Alert.Status.OPEN]
    if stale:
        Alert.objects.filter(pk__in=stale).delete()
    keep = [a.pk for key, a in existing.items() if key in wanted]
    if keep:
        Alert.objects.filter(pk__in=keep).update(run=run)
    new_alerts = []
    for key, item in wanted.items():
        if key in existing:
            continue
        figures = {k: v for k, v in item.items() if k not in ("customer_id", "owner_id", "reason", "scheme_id")}
        new_alerts.append(Alert(customer_id=item["customer_id"], owner_id=item["owner_id"], run=run, as_of=as_of,
                                scheme_id=item["scheme_id"], reason=item["reason"], figures=figures))
    Alert.objects.bulk_create(new_alerts, batch_size=2000)
    occurred_at = timezone.make_aware(dt.datetime.combine(as_of, dt.time()))
    activity_record_bulk(
        ({"customer_id": alert.customer_id, "kind": "alert", "occurred_at": occurred_at,
          "subject_type": "scoring.alert", "subject_id": alert.pk,
          "data": {"reason": alert.reason, "scheme_id": alert.scheme_id}} for alert in new_alerts), batch_size=2000)
    return len(new_alerts) + len(keep)
