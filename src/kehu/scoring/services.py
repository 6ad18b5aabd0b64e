"""Writes for customer value: scoring runs, tier schemes and alerts.

A scoring run (``scoring_run_execute``) works in three steps, each in a module of ``kehu.scoring.runs``
(``sql``, ``compute``, ``write``; the alerts in ``alerts``):

1. **Read** — one aggregate SQL statement gives one row per customer (customers without purchases included):
   first and last purchase day, purchase days, spend and margin in total, in each scheme's window and in the
   previous period, and the spend of the first purchase day (for the BG/NBD / Gamma-Gamma summary). The statement
   (``runs.sql.summary_sql``) groups the transactions by customer (by local calendar day first, in plain SQL with a
   plan suited to each of SQLite and PostgreSQL) and is joined to the customers; its result goes straight into
   numpy arrays (``arrays.fetch_columns``). The current tier of every customer
   under every active scheme comes with it, from the previous summary's slot columns (``TierScheme.slot``).
2. **Compute** in numpy: RFM scores and segments, BG/NBD and Gamma-Gamma fits (``clv``), P(active), expected
   purchases and lifetime value, the value and loyalty scores, each scheme's tiers, changes and alerts.
3. **Write back** in one transaction: the summary table is replaced (with every customer's current tier under
   each scheme in its slot columns), a tier change row is written for each customer whose tier changed,
   ``customers.CustomerTier`` is updated only where the primary tier changed (set-based SQL from staged temporary
   tables), alerts are created and the run is recorded as succeeded. Any error rolls all of it back;
   the run is then marked failed with the error, and the previous results stay.

Re-running the same as-of date replaces that date's run: changes and alerts are computed against the state
before the replaced run, and only the differences are written (a repeated identical run writes no tier change).
Runs for a date older than the latest successful run are refused (the summary and tiers hold the latest state).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.bulkio import session
from kehu.core.validators import validate_past_business_date
from kehu.customers.services import customer_tier_choices_changed
from kehu.org.models import User

from . import metrics, schemes
from .models import TIER_SLOTS, Alert, CustomerSummary, ScoringConfiguration, ScoringRun, TierScheme
from .runs import alerts
from .runs.compute import RunSettings, compute_scores, tier_counts
from .runs.sql import NO_VALUE, SummaryQuery, read_current_tiers, read_summary
from .runs.write import (
    SchemeWrite,
    rebuild_customer_tiers,
    swap_summary,
    write_customer_tiers,
    write_summary,
    write_tier_changes,
)

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]

STALE_RUN_AFTER = dt.timedelta(hours=6)


class ScoringRunError(Exception):
    """A scoring run failed; ``run`` is the run, marked failed with the error."""

    def __init__(self, run: ScoringRun, message: str) -> None:
        super().__init__(message)
        self.run = run


# --------------------------------------------------------------------------- configuration and schemes


def scoring_configuration_get() -> ScoringConfiguration:
    """The scoring configuration (created with the defaults when missing)."""
    configuration = ScoringConfiguration.objects.order_by("pk").first()
    if configuration is None:
        configuration = ScoringConfiguration.objects.create()
    return configuration


@transaction.atomic
def tier_scheme_save(*, scheme: TierScheme) -> TierScheme:
    """Validate and save a scheme; marking it primary takes the flag from the scheme that had it. An active scheme
    gets a slot (its tier columns in the summary); a deactivated one gives its slot back."""
    # the "one primary" constraint is satisfied by unsetting the other primary below, not by refusing
    scheme.full_clean(validate_constraints=False)
    stored = TierScheme.objects.filter(pk=scheme.pk).first() if scheme.pk else None
    was_primary = stored is not None and stored.is_primary
    if scheme.is_primary:
        TierScheme.objects.filter(is_primary=True).exclude(pk=scheme.pk).update(is_primary=False)
    if not scheme.is_active:
        scheme.slot = None
    scheme.save()
    if scheme.is_active:
        _assign_slots([scheme])
    if scheme.is_primary and (not was_primary or _tier_names(stored) != _tier_names(scheme)):
        # newly primary, or its tiers' codes or names changed: a million rows at most, not on every edit
        rebuild_customer_tiers(scheme)
    elif was_primary and not scheme.is_primary:
        customer_tier_choices_changed()
    return scheme


@transaction.atomic
def tier_scheme_set_primary(*, scheme: TierScheme) -> TierScheme:
    """Make ``scheme`` the primary scheme: customers' tiers (``CustomerTier``) become their current tiers under it."""
    if not scheme.is_active:
        raise ValidationError({"is_primary": [_("The primary scheme must be active.")]})
    TierScheme.objects.filter(is_primary=True).exclude(pk=scheme.pk).update(is_primary=False)
    scheme.is_primary = True
    scheme.save(update_fields=["is_primary", "updated_at"])
    _assign_slots([scheme])
    rebuild_customer_tiers(scheme)
    return scheme


def _assign_slots(selected: Iterable[TierScheme]) -> None:
    """Give each active scheme of ``selected`` that has no slot the lowest free one. Its summary columns are
    cleared first (a scheme deactivated earlier may have left its tiers there): the scheme's tiers appear with its
    next run."""
    for scheme in selected:
        if scheme.slot is not None or not scheme.is_active:
            continue
        taken = set(TierScheme.objects.exclude(slot__isnull=True).exclude(pk=scheme.pk)
                    .values_list("slot", flat=True))
        free = [slot for slot in range(1, TIER_SLOTS + 1) if slot not in taken]
        if not free:
            raise ValidationError({"is_active": [
                _("At most %(count)d tier schemes can be active at once: deactivate another scheme first.")
                % {"count": TIER_SLOTS}]})
        slot = free[0]
        CustomerSummary.objects.filter(**{f"tier_{slot}__isnull": False}).update(
            **{f"tier_{slot}": None, f"tier_value_{slot}": None})
        scheme.slot = slot
        TierScheme.objects.filter(pk=scheme.pk).update(slot=slot)


def _tier_names(scheme: TierScheme | None) -> list[tuple[str, str]]:
    return [(tier.code, tier.label) for tier in scheme.tiers] if scheme is not None else []


# --------------------------------------------------------------------------- the run


def _active_schemes(scheme_names: Iterable[str] | None) -> list[TierScheme]:
    active = list(TierScheme.objects.filter(is_active=True).order_by("position", "id"))
    if scheme_names:
        names = list(dict.fromkeys(scheme_names))
        by_name = {s.name: s for s in active}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise ValidationError({"schemes": [_("No active tier scheme named %(names)s.")
                                               % {"names": ", ".join(unknown)}]})
        return [by_name[name] for name in names]
    return active


def _definition_with_label(scheme: TierScheme) -> schemes.SchemeDefinition:
    definition = scheme.definition()
    definition.parameters = {**definition.parameters, "_label": scheme.label}
    return definition


def default_as_of() -> dt.date:
    """Today in the configured time zone."""
    return timezone.localdate()


def _postgresql_work_mem() -> str:
    """PostgreSQL memory for the summary query's sort: ``settings.KEHU_SCORING_WORK_MEM`` (default 256MB). Ten
    million transactions sort in memory from about 1GB; below that the sort spills to temporary files."""
    from django.conf import settings

    value = str(getattr(settings, "KEHU_SCORING_WORK_MEM", "") or "256MB").strip()
    if not re.fullmatch(r"\d+(kB|MB|GB)", value):
        raise ValidationError({"work_mem": [_("KEHU_SCORING_WORK_MEM must look like 256MB or 1GB.")]})
    return value


def _check_as_of(as_of: dt.date) -> None:
    """Not in the future, and not before the latest successful run (the summary and tiers hold the latest state)."""
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": [_("The as-of date cannot be in the future.")]})
    try:
        validate_past_business_date(as_of)
    except ValidationError as error:
        raise ValidationError({"as_of": error.messages}) from None
    latest = ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED).order_by("-as_of").first()
    if latest is not None and as_of < latest.as_of:
        raise ValidationError({"as_of": [
            _("A run as of %(date)s has succeeded; runs are made in date order, so choose that date or a later one.")
            % {"date": latest.as_of.isoformat()}
        ]})


def _mark_run_running(*, run: ScoringRun | None, as_of: dt.date, actor: User | None, trigger: str) -> ScoringRun:
    """Check the date, mark the run running (committed, so it is visible and a failure can be recorded)."""
    _check_as_of(as_of)
    stale = timezone.now() - STALE_RUN_AFTER
    ScoringRun.objects.filter(status=ScoringRun.Status.RUNNING, started_at__lt=stale).update(
        status=ScoringRun.Status.FAILED, error=_("Abandoned: the run did not finish."), finished_at=timezone.now())
    if run is None:
        run = ScoringRun(as_of=as_of, trigger=trigger, requested_by=actor)
    run.as_of = as_of
    run.status = ScoringRun.Status.RUNNING
    run.started_at = timezone.now()
    run.error = ""
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise ValidationError({"as_of": [_("Another scoring run is in progress; try again when it has finished.")]}
                              ) from None
    return run


def _mark_run_failed(run: ScoringRun, error: BaseException, started: float) -> None:
    message = f"{type(error).__name__}: {error}"
    detail = "".join(traceback.format_exception(error)[-6:])
    ScoringRun.objects.filter(pk=run.pk).update(
        status=ScoringRun.Status.FAILED, finished_at=timezone.now(), duration_seconds=time.perf_counter() - started,
        error=f"{message}\n\n{detail}"[:10000],
    )
    run.refresh_from_db()


def scoring_run_execute(
    *, as_of: dt.date | None = None, scheme_names: Iterable[str] | None = None, actor: User | None = None,
    progress: ProgressCallback | None = None, run: ScoringRun | None = None,
    trigger: str = ScoringRun.Trigger.MANUAL,
) -> ScoringRun:
    """Score every customer as of ``as_of`` (default today) under the active schemes (or ``scheme_names``).

    Returns the succeeded run. Raises ``ValidationError`` before starting (bad date or scheme, another run in
    progress) and :class:`ScoringRunError` when the run failed (it is then recorded as failed and the previous
    tiers, summaries and alerts are untouched). See the module docstring for what is read, computed and written.
    """
    as_of = as_of or default_as_of()
    report = progress or (lambda step, fraction: None)
    selected = _active_schemes(scheme_names)
    run = _mark_run_running(run=run, as_of=as_of, actor=actor, trigger=trigger)
    started = time.perf_counter()
    timings: dict[str, Any] = {}

    def step(name: str, fraction: float, mark: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - mark, 3)
        report(name, fraction)
        return now

    try:
        with session.tuned_connection():
            return _read_compute_write(run=run, as_of=as_of, selected=selected, scheme_names=scheme_names,
                                       report=report, started=started, timings=timings, step=step)
    except Exception as error:
        logger.exception("scoring run %s as of %s failed", run.pk, as_of)
        _mark_run_failed(run, error, started)
        raise ScoringRunError(run, str(error)) from error


def _read_compute_write(*, run: ScoringRun, as_of: dt.date, selected: list[TierScheme],
                        scheme_names: Iterable[str] | None, report: ProgressCallback, started: float,
                        timings: dict[str, Any], step: Callable[[str, float, float], float]) -> ScoringRun:
    """The body of ``scoring_run_execute`` (read, compute, write back) for a run already marked running."""
    replaced_run = ScoringRun.objects.filter(as_of=as_of, status=ScoringRun.Status.SUCCEEDED).first()
    if replaced_run is not None and scheme_names:
        # the replaced run's schemes are recomputed too, so the date's results stay complete
        extra = set(replaced_run.schemes.filter(is_active=True).values_list("name", flat=True))
        selected = _active_schemes([s.name for s in selected] + sorted(extra - {s.name for s in selected}))
    _assign_slots(selected)
    primary_scheme = TierScheme.objects.filter(is_primary=True).first()
    if primary_scheme is not None:
        _assign_slots([primary_scheme])
    slots: dict[int, int] = {s.pk: int(s.slot) for s in selected if s.slot is not None}
    run_slots = set(slots.values())
    carried = sorted(int(slot) for slot in TierScheme.objects.filter(is_active=True, slot__isnull=False)
                     .values_list("slot", flat=True) if slot is not None and slot not in run_slots)
    configuration = scoring_configuration_get()
    settings = RunSettings.from_configuration(configuration, as_of)
    definitions = [_definition_with_label(s) for s in selected]
    windows = sorted({settings.period_days, settings.rfm_window_days}
                     | {w for d in definitions for w in d.windows()})
    query = SummaryQuery(windows=windows, period_days=settings.period_days,
                         rfm_window_days=settings.rfm_window_days,
                         primary_codes=primary_scheme.definition().codes if primary_scheme else [],
                         rank_slots=sorted(run_slots | set(carried)), value_slots=carried)
    report("read", 0.0)
    mark = time.perf_counter()
    with transaction.atomic():
        session.transaction_sort_memory(_postgresql_work_mem())
        data = read_summary(as_of, query)
        mark = step("read summary", 0.3, mark)
        customer_ids = data["customer_id"]
        states = read_current_tiers(definitions, slots, data, as_of, replaced_run)
    mark = step("read tiers", 0.35, mark)
    computed = compute_scores(data, definitions, settings, windows)
    mark = step("compute", 0.55, mark)

    writes: list[SchemeWrite] = []
    primary_write: SchemeWrite | None = None
    for definition in definitions:
        state = states[definition.id]
        result = computed.scheme_results[definition.id]
        baseline = np.where(state["replaced"], state["before"], state["current"])
        write = SchemeWrite(definition, result.ranks, state["current"], state["replaced"], baseline,
                            result.values, state["row_rank"])
        writes.append(write)
        if primary_scheme is not None and definition.id == primary_scheme.pk:
            primary_write = write
    raised = alerts.alerts_to_raise(computed, writes, primary_write, settings)
    alert_reasons: dict[str, int] = {}
    for item in raised:
        key = f"{item['reason']}:{item.get('scheme') or ''}"
        alert_reasons[key] = alert_reasons.get(key, 0) + 1

    counts: dict[str, Any] = {}
    change_counts: dict[str, Any] = {}
    total_changes = 0
    for write in writes:
        counts[str(write.definition.id)] = tier_counts(write.definition, computed.scheme_results[
            write.definition.id], computed.population)
        changed = write.new != write.baseline
        falls = changed & (write.baseline >= 0) & (write.new > write.baseline)
        rises = changed & (write.baseline >= 0) & (write.new < write.baseline)
        change_counts[str(write.definition.id)] = {
            "changed": int((changed & (write.baseline >= 0)).sum()), "first": int((write.baseline < 0).sum()),
            "falls": int(falls.sum()), "rises": int(rises.sum()),
        }
        total_changes += int((changed & (write.baseline >= 0)).sum())
    population = computed.population
    window = settings.period_days
    segment_counts = {code: int((computed.rfm["segment"] == code).sum())
                      for code in ["", *metrics.SEGMENT_CODES]}
    figures = {
        "clv": computed.clv_figures,
        "pareto": metrics.pareto_curve(population.margin[window]),
        "pareto_amount": metrics.pareto_curve(population.amount[window]),
        "clv_histogram": metrics.histogram(population.clv),
        "rfm": {"cuts": computed.rfm["cuts"], "segments": segment_counts,
                "grid": np.histogram2d(computed.rfm["r"], computed.rfm["f"], bins=[range(7), range(7)])[0][1:, 1:]
                .astype(int).tolist()},
        "changes": change_counts,
        "alerts": alert_reasons,
        "buyers": int(population.has_purchase.sum()),
        "period_days": window,
    }
    mark = step("prepare", 0.6, mark)

    with transaction.atomic():
        slot_values = {slot: (data[f"slot_rank_{slot}"],
                              np.where(data[f"slot_value_{slot}"] == NO_VALUE, np.nan, data[f"slot_value_{slot}"]))
                       for slot in carried}
        for write in writes:
            slot_values[slots[write.definition.id]] = (write.new, write.values.astype(np.float64))
        timings["summary"] = write_summary(  # type: ignore[assignment]
            run, computed, settings, slot_values)
        mark = step("write summary", 0.75, mark)
        written = {}
        for write in writes:
            written[write.definition.name] = write_tier_changes(write, customer_ids, as_of)
        mark = step("write assignments", 0.85, mark)
        if primary_write is not None:
            tiers_updated = write_customer_tiers(customer_ids, primary_write.new, data["current_tier_rank"],
                                                  primary_write.definition)
        elif primary_scheme is not None and primary_scheme.slot in carried:
            primary_ranks = data[f"slot_rank_{primary_scheme.slot}"]
            tiers_updated = write_customer_tiers(customer_ids, primary_ranks, data["current_tier_rank"],
                                                  primary_scheme.definition())
        else:
            tiers_updated = 0
        mark = step("write customer tiers", 0.9, mark)
        alert_count = alerts.write_alerts(run, raised, as_of)
        if replaced_run is not None:
            ScoringRun.objects.filter(pk=replaced_run.pk).update(status=ScoringRun.Status.REPLACED)
        figures["timings"] = timings
        figures["written"] = {"assignments": written, "customer_tiers": tiers_updated}
        run.status = ScoringRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.duration_seconds = time.perf_counter() - started
        run.parameters = settings.as_dict()
        run.counts = counts
        run.figures = _json_safe(figures)
        run.customers = len(population)
        run.changes = total_changes
        run.alerts = alert_count
        run.save()
        run.schemes.set(selected)
        mark = step("write alerts", 0.95, mark)
        swap_summary()
        step("swap summary", 1.0, mark)
    run.duration_seconds = time.perf_counter() - started
    ScoringRun.objects.filter(pk=run.pk).update(duration_seconds=run.duration_seconds)
    return run


def _json_safe(value: Any) -> Any:
    """Plain JSON: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "__str__") and value.__class__.__name__ == "__proxy__":
        return str(value)
    return value


def scoring_run_request(*, actor: User, as_of: dt.date | None = None,
                        scheme_names: Iterable[str] | None = None) -> ScoringRun:
    """Queue a scoring run on behalf of ``actor`` (permission ``scoring.run_scoring``); the Celery task runs it
    after the transaction commits, on the broker or in the background worker (:func:`kehu.core.queue.dispatch`)."""
    if not actor.has_perm("scoring.run_scoring"):
        raise PermissionDenied(_("You may not start scoring runs."))
    as_of = as_of or default_as_of()
    names = list(scheme_names or [])
    _active_schemes(names)  # unknown names are refused now, not in the worker
    _check_as_of(as_of)
    run = ScoringRun.objects.create(as_of=as_of, trigger=ScoringRun.Trigger.MANUAL, requested_by=actor,
                                    parameters={"schemes": names})

    from kehu.core.queue import dispatch

    from .tasks import scoring_run_task

    # on the broker, or the background worker's database queue without one: never in the web request
    dispatch(scoring_run_task, as_of=as_of.isoformat(), scheme_names=names or None, run_id=run.pk)
    return run


# --------------------------------------------------------------------------- alerts


def _check_alert_access(alert: Alert, actor: User) -> None:
    from .selectors import alert_list

    if not alert_list(user=actor).filter(pk=alert.pk).exists():
        raise PermissionDenied(_("You may not handle this alert."))
    from kehu.org.selectors import user_is_read_only

    if user_is_read_only(actor):
        raise PermissionDenied(_("You may not handle this alert."))


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: User, note: str = "") -> Alert:
    """The account manager has seen the alert and is acting on it."""
    _check_alert_access(alert, actor)
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.note = note.strip()[:255]
    alert.handled_by = actor
    alert.handled_at = timezone.now()
    alert.save(update_fields=["status", "note", "handled_by", "handled_at"])
    return alert


@transaction.atomic
def alert_close(*, alert: Alert, actor: User, note: str = "") -> Alert:
    """Close the alert (dealt with, or no action needed)."""
    _check_alert_access(alert, actor)
    alert.status = Alert.Status.CLOSED
    if note.strip():
        alert.note = note.strip()[:255]
    alert.handled_by = actor
    alert.handled_at = timezone.now()
    alert.save(update_fields=["status", "note", "handled_by", "handled_at"])
    return alert
