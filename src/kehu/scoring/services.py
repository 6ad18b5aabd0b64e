"""Writes for customer value: scoring runs, tier schemes and alerts.

A scoring run (``scoring_run_execute``) works in three steps:

1. **Read** — one aggregate SQL statement gives one row per customer (customers without purchases included):
   first and last purchase day, purchase days, spend and margin in total, in each scheme's window and in the
   previous period, and the spend of the first purchase day (for the BG/NBD / Gamma-Gamma summary). The statement
   is the ORM query of the transactions (local calendar day per row, first purchase time per customer as a window
   function) wrapped in a ``GROUP BY customer_id`` and joined to the customers; it runs on SQLite and PostgreSQL
   and its result goes straight into numpy arrays (``bulk.fetch_columns``). The current tier of every customer
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.validators import validate_past_business_date
from kehu.customers.models import Activity, Customer, CustomerTier, ManagementClass
from kehu.customers.services import customer_tier_choices_changed
from kehu.customers.timeline import activity_record_bulk, sql_activity_time, sql_json_object
from kehu.org.models import User
from kehu.purchases.models import Transaction

from . import bulk, clv, metrics, schemes
from .models import TIER_SLOTS, Alert, CustomerSummary, ScoringConfiguration, ScoringRun, TierAssignment, TierScheme

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]
EPOCH = dt.date(1970, 1, 1)
STALE_RUN_AFTER = dt.timedelta(hours=6)
DAYS_PER_WEEK = 7.0


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
        _rebuild_customer_tiers(scheme)
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
    _rebuild_customer_tiers(scheme)
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


def _customer_tier_cases(column: str, definition: schemes.SchemeDefinition) -> tuple[str, list[str]]:
    """SQL for the tier code and the tier name of a rank in ``column``, and its parameters: what ``CustomerTier``
    holds."""
    case, params = _tier_case(column, definition.codes)
    label_case, label_params = _tier_case(column, [tier.label for tier in definition.tiers])
    return f"{case}, {label_case}", [*params, *label_params]


def _rebuild_customer_tiers(scheme: TierScheme) -> None:
    """Set every customer's ``CustomerTier`` to their current tier under ``scheme`` (the primary scheme)."""
    table = CustomerTier._meta.db_table
    customer_tier_choices_changed()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        definition = scheme.definition()
        codes = definition.codes
        if scheme.slot is None or not codes:
            return
        column = f"tier_{scheme.slot}"
        cases, params = _customer_tier_cases(column, definition)
        cursor.execute(f"INSERT INTO {table} (customer_id, tier, label) SELECT customer_id, {cases} "
                       f"FROM {CustomerSummary._meta.db_table} WHERE {column} >= 0 AND {column} < %s",
                       [*params, len(codes)])


# --------------------------------------------------------------------------- the local calendar day in SQL


def _fixed_utc_offset(zone: dt.tzinfo, as_of: dt.date) -> int | None:
    """Seconds east of UTC when the zone kept one offset over the ten years up to ``as_of`` (Asia/Shanghai does),
    else None (then the database converts with the zone's rules, which is slower on SQLite)."""
    offsets = set()
    for months_back in range(0, 121):
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - months_back, 12)
        moment = dt.datetime(year, month + 1, 15, 12, tzinfo=dt.UTC)
        offset = moment.astimezone(zone).utcoffset()
        offsets.add(int(offset.total_seconds()) if offset is not None else 0)
    return offsets.pop() if len(offsets) == 1 else None


def local_day_sql(column: str, as_of: dt.date) -> tuple[str, list[Any]]:
    """SQL for the local calendar day (days since 1970-01-01, settings.TIME_ZONE) of a UTC timestamp column."""
    zone = timezone.get_default_timezone()
    offset = _fixed_utc_offset(zone, as_of)
    if connection.vendor == "postgresql":
        if offset is not None:
            return (f"((({column} AT TIME ZONE 'UTC') + interval '{offset} seconds')::date - DATE '1970-01-01')",
                    [])
        return f"(({column} AT TIME ZONE %s)::date - DATE '1970-01-01')", [str(zone)]
    if connection.vendor == "sqlite":
        if offset is not None:
            return f"CAST(julianday({column}, '{offset:+d} seconds') - 2440587.5 AS INTEGER)", []
        return (f"CAST(julianday(django_datetime_cast_date({column}, %s, 'UTC')) - 2440587.5 AS INTEGER)",
                [str(zone)])
    raise NotImplementedError(f"scoring supports SQLite and PostgreSQL, not {connection.vendor}")


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def day_from_number(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


# --------------------------------------------------------------------------- read: the summary query


@dataclass
class SummaryQuery:
    windows: list[int]
    period_days: int
    rfm_window_days: int
    primary_codes: list[str]
    rank_slots: list[int] = field(default_factory=list)  # read the current tier (rank) in these slots
    value_slots: list[int] = field(default_factory=list)  # and the value too (slots the run carries over)


NO_VALUE = -1.0e300  # a NULL tier value as read into numpy (NaN cannot be written as an SQLite literal)


SUMMARY_BASE_COLUMNS = [
    ("customer_id", "bigint"), ("owner_id", "bigint"), ("is_key", "bigint"), ("share_of_wallet", "float"),
    ("current_tier_rank", "bigint"), ("baseline_p_alive", "float"),
    ("first_day", "bigint"), ("last_day", "bigint"), ("days", "bigint"), ("total_amount", "float"),
    ("total_margin", "float"), ("first_day_amount", "float"), ("rfm_days", "bigint"),
    ("previous_amount", "float"),
]


def _local_midnight(day: dt.date) -> dt.datetime:
    """The instant local ``day`` begins (settings.TIME_ZONE)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_default_timezone())


def _aggregate_postgresql(as_of: dt.date, query: SummaryQuery) -> tuple[str, list[Any]]:
    """PostgreSQL: two levels. First one row per customer and local purchase day (spend and margin of the day, as
    float), then one row per customer over those: purchase days are then a plain ``COUNT(*)`` and the spend of the
    first purchase day comes from ``MIN(day) OVER (PARTITION BY customer_id)`` on the day rows.

    The transactions are read in customer order from ``transaction_customer_cover_idx``, which includes amount and
    margin: an index-only scan, no sort of the table, and each level's grouping and the window run on rows already in
    order (measured on ten million rows, 2 cores: 11 s, against 67 s for one level with ``COUNT(DISTINCT day)``
    and a window over every transaction)."""
    table = Transaction._meta.db_table
    day_sql, day_params = local_day_sql("t.occurred_at", as_of)
    today = day_number(as_of)
    period = query.period_days
    windows = [
        f"SUM(CASE WHEN w.day > {today - window} THEN w.{measure} ELSE 0 END) AS {measure}_{window}"
        for window in query.windows for measure in ("amount", "margin")
    ]
    days = (
        f"SELECT t.customer_id AS customer_id, {day_sql} AS day, SUM(CAST(t.amount AS double precision)) AS amount, "
        f"SUM(CAST(t.margin AS double precision)) AS margin FROM {table} t WHERE t.occurred_at < %s "
        "GROUP BY t.customer_id, day"
    )
    sql = (
        "SELECT w.customer_id AS customer_id, MIN(w.day) AS first_day, MAX(w.day) AS last_day, "
        "COUNT(*) AS days, SUM(w.amount) AS total_amount, SUM(w.margin) AS total_margin, "
        "SUM(CASE WHEN w.day = w.first_day THEN w.amount ELSE 0 END) AS first_day_amount, "
        f"COUNT(CASE WHEN w.day > {today - query.rfm_window_days} THEN 1 END) AS rfm_days, "
        f"SUM(CASE WHEN w.day > {today - 2 * period} AND w.day <= {today - period} THEN w.amount ELSE 0 END) "
        "AS previous_amount, " + ", ".join(windows) +
        f" FROM (SELECT d.*, MIN(d.day) OVER (PARTITION BY d.customer_id) AS first_day FROM ({days}) d) w "
        "GROUP BY w.customer_id"
    )
    return sql, [*day_params, _db_datetime(_local_midnight(as_of + dt.timedelta(days=1)))]


def _aggregate_sqlite(as_of: dt.date, query: SummaryQuery) -> tuple[str, list[Any]]:
    """SQLite: one ``GROUP BY customer_id`` that walks the (customer_id, occurred_at) index, so no sort; windows
    compare timestamps with the instants local days begin. The first purchase day's spend is a correlated subquery
    per customer on the same index, bounded by the end of the local day of ``MIN(occurred_at)``. (SQLite sorts
    every row twice for the window-function form, which took twice as long on ten million rows; Django cannot
    express an aggregate referenced from a correlated subquery, hence plain SQL.)"""
    table = Transaction._meta.db_table
    day_sql, day_params = local_day_sql("t.occurred_at", as_of)
    first_sql, first_params = local_day_sql("MIN(t.occurred_at)", as_of)
    last_sql, last_params = local_day_sql("MAX(t.occurred_at)", as_of)
    offset = _fixed_utc_offset(timezone.get_default_timezone(), as_of)
    if offset is not None:
        first_end = f"datetime(date(MIN(t.occurred_at), '{offset:+d} seconds'), '+1 day', '{-offset:+d} seconds')"
        first_condition, first_condition_params = f"t2.occurred_at < {first_end}", []
    else:
        inner_day, inner_day_params = local_day_sql("t2.occurred_at", as_of)
        first_condition = f"{inner_day} = {first_sql}"
        first_condition_params = [*inner_day_params, *first_params]
    period = query.period_days
    window_sql, window_params = [], []
    for window in query.windows:
        for measure in ("amount", "margin"):
            window_sql.append(f"SUM(CASE WHEN t.occurred_at >= %s THEN t.{measure} ELSE 0 END) AS {measure}_{window}")
            window_params.append(_db_datetime(_local_midnight(as_of - dt.timedelta(days=window - 1))))
    sql = (
        f"SELECT t.customer_id AS customer_id, {first_sql} AS first_day, {last_sql} AS last_day, "
        f"COUNT(DISTINCT {day_sql}) AS days, SUM(t.amount) AS total_amount, SUM(t.margin) AS total_margin, "
        f"(SELECT SUM(t2.amount) FROM {table} t2 WHERE t2.customer_id = t.customer_id AND {first_condition}) "
        "AS first_day_amount, "
        f"COUNT(DISTINCT CASE WHEN t.occurred_at >= %s THEN {day_sql} END) AS rfm_days, "
        "SUM(CASE WHEN t.occurred_at >= %s AND t.occurred_at < %s THEN t.amount ELSE 0 END) AS previous_amount, "
        + ", ".join(window_sql)
        + f" FROM {table} t WHERE t.occurred_at < %s GROUP BY t.customer_id"
    )
    params = [
        *first_params, *last_params, *day_params, *first_condition_params,
        _db_datetime(_local_midnight(as_of - dt.timedelta(days=query.rfm_window_days - 1))), *day_params,
        _db_datetime(_local_midnight(as_of - dt.timedelta(days=2 * period - 1))),
        _db_datetime(_local_midnight(as_of - dt.timedelta(days=period - 1))),
        *window_params, _db_datetime(_local_midnight(as_of + dt.timedelta(days=1))),
    ]
    return sql, params


def _db_datetime(moment: dt.datetime) -> Any:
    """A datetime as the database backend stores it (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(moment)


def summary_sql(*, as_of: dt.date, query: SummaryQuery) -> tuple[str, list[Any], list[tuple[str, str]]]:
    """The per-customer statement, its parameters and its (column, kind) list.

    The aggregate over the transactions (one row per customer who bought up to the end of ``as_of``; see
    ``_aggregate_postgresql`` and ``_aggregate_sqlite`` — same columns, a plan suited to each database): first and
    last purchase day, purchase days (``COUNT(DISTINCT`` local day``)``: all rows of a day are one purchase), spend
    and margin in total, in each window and in the previous period, purchase days in the RFM window and the spend of
    the first purchase day. Joined (LEFT) to every customer and to the previous summary.
    """
    if connection.vendor == "postgresql":
        aggregate, aggregate_params = _aggregate_postgresql(as_of, query)
    else:
        aggregate, aggregate_params = _aggregate_sqlite(as_of, query)
    window_columns = [(f"{measure}_{window}", "float") for window in query.windows for measure in ("amount", "margin")]
    real = bulk.float_type()
    customer_table = Customer._meta.db_table
    summary_table = CustomerSummary._meta.db_table
    tier_table = CustomerTier._meta.db_table
    tier_case = " ".join(f"WHEN %s THEN {rank}" for rank in range(len(query.primary_codes)))
    tier_sql = f"CASE ct.tier {tier_case} ELSE -1 END" if query.primary_codes else "-1"
    slot_columns = ([(f"slot_rank_{slot}", "bigint") for slot in query.rank_slots]
                    + [(f"slot_value_{slot}", "float") for slot in query.value_slots])
    select = [
        "CAST(c.id AS bigint)", "CAST(COALESCE(c.owner_id, 0) AS bigint)",
        f"CAST(CASE WHEN c.management_class = '{ManagementClass.KEY}' THEN 1 ELSE 0 END AS bigint)",
        f"CAST(COALESCE(c.share_of_wallet, -1) AS {real})", f"CAST({tier_sql} AS bigint)",
        f"CAST(COALESCE(CASE WHEN p.as_of = %s THEN p.previous_p_alive ELSE p.p_alive END, -1) AS {real})",
        "CAST(COALESCE(s.first_day, -1) AS bigint)", "CAST(COALESCE(s.last_day, -1) AS bigint)",
        "CAST(COALESCE(s.days, 0) AS bigint)",
        f"CAST(COALESCE(s.total_amount, 0) AS {real})", f"CAST(COALESCE(s.total_margin, 0) AS {real})",
        f"CAST(COALESCE(s.first_day_amount, 0) AS {real})", "CAST(COALESCE(s.rfm_days, 0) AS bigint)",
        f"CAST(COALESCE(s.previous_amount, 0) AS {real})",
        *(f"CAST(COALESCE(s.{column}, 0) AS {real})" for column, _kind in window_columns),
        *(f"CAST(COALESCE(p.tier_{slot}, -1) AS bigint)" for slot in query.rank_slots),
        *(f"CAST(COALESCE(p.tier_value_{slot}, {NO_VALUE!r}) AS {real})" for slot in query.value_slots),
    ]
    sql = (
        f"SELECT {', '.join(select)} FROM {customer_table} c "
        f"LEFT JOIN ({aggregate}) s ON s.customer_id = c.id "
        f"LEFT JOIN {summary_table} p ON p.customer_id = c.id "
        f"LEFT JOIN {tier_table} ct ON ct.customer_id = c.id ORDER BY c.id"
    )
    params = [*query.primary_codes, connection.ops.adapt_datefield_value(as_of), *aggregate_params]
    return sql, params, SUMMARY_BASE_COLUMNS + window_columns + slot_columns


def _read_summary(as_of: dt.date, query: SummaryQuery) -> dict[str, np.ndarray]:
    sql, params, columns = summary_sql(as_of=as_of, query=query)
    arrays = bulk.fetch_columns(sql, params, [kind for _name, kind in columns])
    return {name: values for (name, _kind), values in zip(columns, arrays, strict=True)}


def _current_tiers(definitions: list[schemes.SchemeDefinition], slots: dict[int, int], data: dict[str, np.ndarray],
                   as_of: dt.date, replaced_run: ScoringRun | None) -> dict[int, dict[str, np.ndarray]]:
    """Per scheme and customer (aligned with ``data["customer_id"]``): the current rank (-1 none, from the summary's
    slot columns read with the summary), whether a run of this date is being replaced, the rank before it (-1
    none) and the rank of the replaced run's change row (-1 no row). One statement for the change rows."""
    customer_ids = data["customer_id"]
    n = customer_ids.shape[0]
    states: dict[int, dict[str, np.ndarray]] = {}
    replaced_schemes: set[int] = set()
    first_in_replaced: set[int] = set()
    if replaced_run is not None:
        replaced_schemes = set(replaced_run.schemes.values_list("pk", flat=True))
        earlier = set(ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED, as_of__lt=as_of)
                      .values_list("schemes", flat=True))
        first_in_replaced = replaced_schemes - earlier
    for definition in definitions:
        current = data[f"slot_rank_{slots[definition.id]}"].copy()
        replaced = definition.id in replaced_schemes
        # the replaced run was the scheme's first: nobody had a tier under it before
        before = np.full(n, -1, dtype=np.int64) if definition.id in first_in_replaced else current.copy()
        states[definition.id] = {"current": current, "replaced": np.full(n, replaced, dtype=bool), "before": before,
                                 "row_rank": np.full(n, -1, dtype=np.int64)}
    ids_in_rerun = [d.id for d in definitions if d.id in replaced_schemes]
    if not ids_in_rerun:
        return states
    table = TierAssignment._meta.db_table
    as_of_param: Any = as_of if connection.vendor == "postgresql" else as_of.isoformat()
    placeholders = ", ".join(["%s"] * len(ids_in_rerun))
    scheme_column, ids, ranks, previous = bulk.fetch_columns(
        "SELECT CAST(scheme_id AS bigint), CAST(customer_id AS bigint), CAST(rank AS bigint), "
        f"CAST(COALESCE(previous_rank, -1) AS bigint) FROM {table} WHERE as_of = %s AND scheme_id IN ({placeholders})",
        [as_of_param, *ids_in_rerun], ["bigint"] * 4)
    if ids.shape[0] == 0:
        return states
    position = np.searchsorted(customer_ids, ids)
    valid = (position < n) & (customer_ids[np.minimum(position, n - 1)] == ids)
    for scheme_id in ids_in_rerun:
        state = states[scheme_id]
        mask = valid & (scheme_column == scheme_id)
        where = position[mask]
        state["before"][where] = previous[mask]
        state["row_rank"][where] = ranks[mask]
    return states


# --------------------------------------------------------------------------- compute


@dataclass
class RunSettings:
    as_of: dt.date
    period_days: int
    rfm_window_days: int
    rfm_cuts: dict[str, list[float] | None]
    horizon_months: int
    discount_rate: float
    clv_min_customers: int
    p_alive_threshold: float
    value_weights: dict[str, float]
    loyalty_weights: dict[str, float]

    @classmethod
    def from_configuration(cls, configuration: ScoringConfiguration, as_of: dt.date) -> RunSettings:
        return cls(
            as_of=as_of,
            period_days=int(configuration.period_days),
            rfm_window_days=int(configuration.rfm_window_days),
            rfm_cuts={"recency": configuration.rfm_recency_cuts, "frequency": configuration.rfm_frequency_cuts,
                      "monetary": configuration.rfm_monetary_cuts},
            horizon_months=int(configuration.clv_horizon_months),
            discount_rate=float(configuration.discount_rate),
            clv_min_customers=int(configuration.clv_min_customers),
            p_alive_threshold=float(configuration.p_alive_threshold),
            value_weights=dict(configuration.value_weights or schemes.DEFAULT_VALUE_WEIGHTS),
            loyalty_weights=dict(configuration.loyalty_weights or schemes.DEFAULT_LOYALTY_WEIGHTS),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "period_days": self.period_days,
            "rfm_window_days": self.rfm_window_days, "rfm_cuts": self.rfm_cuts,
            "clv_horizon_months": self.horizon_months, "discount_rate": self.discount_rate,
            "clv_min_customers": self.clv_min_customers, "p_alive_threshold": self.p_alive_threshold,
            "value_weights": self.value_weights, "loyalty_weights": self.loyalty_weights,
        }


@dataclass
class Computed:
    """Everything a run computed, per customer (aligned arrays) and per scheme."""

    data: dict[str, np.ndarray]
    population: schemes.Population
    rfm: dict[str, Any]
    clv_figures: dict[str, Any]
    p_alive: np.ndarray
    scheme_results: dict[int, schemes.SchemeResult] = field(default_factory=dict)


def _fit_lifetime_value(data: dict[str, np.ndarray], buyers: np.ndarray, settings: RunSettings
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """BG/NBD and Gamma-Gamma on the buyers (times in weeks); P(active), expected purchases over the horizon and
    lifetime value per customer (NaN for customers without purchases or when the models could not be fitted)."""
    n = buyers.shape[0]
    p_alive = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    value = np.full(n, np.nan)
    frequency = (data["days"] - 1).astype(np.int64)
    recency = (data["last_day"] - data["first_day"]) / DAYS_PER_WEEK
    age = (day_number(settings.as_of) - data["first_day"]) / DAYS_PER_WEEK
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, (data["total_amount"] - data["first_day_amount"]) / frequency, 0.0)
    horizon_weeks = settings.horizon_months * 365.25 / 12 / DAYS_PER_WEEK
    figures: dict[str, Any] = {"unit": "week", "horizon_weeks": horizon_weeks, "buyers": int(buyers.sum())}
    repeaters = buyers & (frequency > 0)
    figures["repeat_customers"] = int(repeaters.sum())
    if buyers.sum() < max(settings.clv_min_customers, 2) or repeaters.sum() < max(settings.clv_min_customers // 5, 1):
        figures["status"] = "skipped"
        figures["message"] = _("Too few customers with purchases to fit the lifetime value models.")
        return p_alive, expected, value, figures
    started = time.perf_counter()
    try:
        bg = clv.fit_bgnbd(frequency[buyers], recency[buyers], age[buyers])
        if not all(math.isfinite(v) for v in bg.as_dict().values()):
            raise ValueError("BG/NBD parameters are not finite")
        if not bg.converged:
            # e.g. every customer dropping out at the same rate: the likelihood is flat along a and b together and
            # they run off towards infinity at a fixed ratio. Predictions stay well defined (where they come out
            # finite they are kept), but say so.
            figures["warning"] = _("The purchase model fit stopped before converging (the purchase histories "
                                   "vary too little to identify every parameter); treat the estimates with care.")
    except (ValueError, FloatingPointError, ArithmeticError) as error:
        figures["status"] = "failed"
        figures["message"] = _("The purchase model could not be fitted: %(error)s") % {"error": error}
        return p_alive, expected, value, figures
    figures["bgnbd"] = {**bg.as_dict(), "log_likelihood": bg.log_likelihood, "converged": bg.converged}
    p_alive[buyers] = clv.probability_alive(bg, frequency[buyers], recency[buyers], age[buyers])
    expected[buyers] = clv.expected_purchases(bg, horizon_weeks, frequency[buyers], recency[buyers], age[buyers])
    spend_ok = repeaters & (monetary > 0)
    try:
        gg = clv.fit_gamma_gamma(frequency[spend_ok], monetary[spend_ok])
        value[buyers] = clv.lifetime_value(
            bg, gg, frequency[buyers], recency[buyers], age[buyers], np.where(monetary > 0, monetary, 0.0)[buyers],
            horizon_periods=horizon_weeks, discount_rate_annual=settings.discount_rate, unit="week",
        )
        figures["gamma_gamma"] = {**gg.as_dict(), "log_likelihood": gg.log_likelihood, "converged": gg.converged}
        figures["status"] = "fitted"
    except (ValueError, FloatingPointError, ArithmeticError) as error:
        figures["status"] = "partial"
        figures["message"] = _("The spend model could not be fitted: %(error)s") % {"error": error}
    figures["fit_seconds"] = time.perf_counter() - started
    with np.errstate(invalid="ignore"):
        for values in (p_alive, expected, value):  # numerically impossible figures are left out, not stored
            values[~np.isfinite(values) | (values < 0)] = np.nan
    if buyers.any() and not np.isfinite(p_alive[buyers]).any():
        figures["status"] = "failed"
        figures["message"] = _("The purchase model gave no usable predictions.")
    return p_alive, expected, value, figures


def _compute(data: dict[str, np.ndarray], definitions: list[schemes.SchemeDefinition], settings: RunSettings,
             windows: list[int]) -> Computed:
    today = day_number(settings.as_of)
    buyers = data["days"] > 0
    tenure = np.where(buyers, today - data["first_day"], 0).astype(np.float64)
    recency_days = np.where(buyers, today - data["last_day"], np.inf).astype(np.float64)
    repeat = np.where(buyers, data["days"] - 1, 0).astype(np.float64)
    period_amount = data[f"amount_{settings.period_days}"]
    previous = data["previous_amount"]
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(previous > 0, (period_amount - previous) / previous,
                          np.where(period_amount > 0, 1.0, 0.0))
    share = np.where(data["share_of_wallet"] >= 0, data["share_of_wallet"], np.nan)
    p_alive, expected, value, clv_figures = _fit_lifetime_value(data, buyers, settings)
    population = schemes.Population(
        customer_id=data["customer_id"], has_purchase=buyers,
        amount={w: data[f"amount_{w}"] for w in windows}, margin={w: data[f"margin_{w}"] for w in windows},
        total_amount=data["total_amount"], growth=np.where(buyers, growth, np.nan), tenure_days=tenure,
        recency_days=np.where(buyers, recency_days, np.nan), repeat_purchases=repeat, share_of_wallet=share,
        clv=value, expected_purchases=expected, value_score=np.zeros(buyers.shape[0]),
        loyalty_score=np.zeros(buyers.shape[0]),
    )
    population.loyalty_score = schemes.loyalty_score(population, settings.loyalty_weights)
    population.value_score = schemes.value_score(population, settings.value_weights, settings.period_days)
    rfm = metrics.rfm_scores(
        recency_days, data["rfm_days"].astype(np.float64), data[f"amount_{settings.rfm_window_days}"], buyers,
        recency_cuts=settings.rfm_cuts["recency"], frequency_cuts=settings.rfm_cuts["frequency"],
        monetary_cuts=settings.rfm_cuts["monetary"],
    )
    computed = Computed(data=data, population=population, rfm=rfm, clv_figures=clv_figures, p_alive=p_alive)
    for definition in definitions:
        computed.scheme_results[definition.id] = schemes.assign(definition, population)
    return computed


def _scheme_counts(definition: schemes.SchemeDefinition, result: schemes.SchemeResult,
                   population: schemes.Population) -> dict[str, Any]:
    """Customers, spend and margin per tier (and their shares) for the charts."""
    window = definition.window_days
    amount = population.amount[window]
    margin = population.margin[window]
    total_amount = float(amount.sum())
    total_margin = float(margin.sum())
    counts = np.bincount(result.ranks, minlength=len(definition.tiers))
    amounts = np.bincount(result.ranks, weights=amount, minlength=len(definition.tiers))
    margins = np.bincount(result.ranks, weights=margin, minlength=len(definition.tiers))
    n = max(len(population), 1)
    tiers = []
    for tier in definition.tiers:
        k = tier.rank
        tiers.append({
            "code": tier.code, "label": tier.label, "rank": k, "customers": int(counts[k]),
            "customer_share": float(counts[k]) / n,
            "amount": float(amounts[k]), "amount_share": float(amounts[k]) / total_amount if total_amount else 0.0,
            "margin": float(margins[k]), "margin_share": float(margins[k]) / total_margin if total_margin else 0.0,
        })
    return {"scheme": definition.name, "kind": definition.kind, "window_days": window, "tiers": tiers,
            "customers": len(population), "amount": total_amount, "margin": total_margin, **result.figures}


# --------------------------------------------------------------------------- write back


def _delete_summary_and_insert(run: ScoringRun, computed: Computed, settings: RunSettings,
                               slot_values: dict[int, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Replace the summary table; ``slot_values`` maps each slot to write to (ranks, values) per customer (-1 and
    NaN: none)."""
    data = computed.data
    population = computed.population
    rfm = computed.rfm
    buyers = population.has_purchase
    today = day_number(settings.as_of)
    days = data["days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        average = np.where(days > 0, data["total_amount"] / np.maximum(days, 1), 0.0)
        monetary = np.where(days > 1, (data["total_amount"] - data["first_day_amount"]) / np.maximum(days - 1, 1), 0.0)
    baseline = data["baseline_p_alive"]
    segments = rfm["segment"]
    segment_codes = ["", *metrics.SEGMENT_CODES]
    segment_index = np.zeros(len(population), dtype=np.int64)
    for index, code in enumerate(segment_codes):
        segment_index[segments == code] = index
    started = time.perf_counter()
    bulk.stage("scoring_stage_summary", key="customer_id", columns=[
        ("customer_id", "bigint", data["customer_id"]),
        ("first_day", "bigint", np.where(buyers, data["first_day"], -1)),
        ("last_day", "bigint", np.where(buyers, data["last_day"], -1)),
        ("days", "bigint", days),
        ("total_amount", "float", data["total_amount"]),
        ("average_amount", "float", average),
        ("total_margin", "float", data["total_margin"]),
        ("current_amount", "float", data[f"amount_{settings.period_days}"]),
        ("previous_amount", "float", data["previous_amount"]),
        ("current_margin", "float", data[f"margin_{settings.period_days}"]),
        ("rfm_days", "bigint", data["rfm_days"]),
        ("tenure", "bigint", np.where(buyers, today - data["first_day"], -1)),
        ("frequency", "bigint", np.where(buyers, days - 1, 0)),
        ("recency", "bigint", np.where(buyers, data["last_day"] - data["first_day"], 0)),
        ("age", "bigint", np.where(buyers, today - data["first_day"], 0)),
        ("monetary", "float", monetary),
        ("r", "smallint", rfm["r"]), ("f", "smallint", rfm["f"]), ("m", "smallint", rfm["m"]),
        ("segment", "smallint", segment_index),
        ("p_alive", "float", computed.p_alive),
        ("previous_p_alive", "float", np.where(baseline >= 0, baseline, np.nan)),
        ("expected", "float", population.expected_purchases),
        ("clv", "float", population.clv),
        ("value_score", "float", population.value_score),
        ("loyalty_score", "float", population.loyalty_score),
        *((f"rank_{slot}", "smallint", ranks) for slot, (ranks, _values) in sorted(slot_values.items())),
        *((f"value_{slot}", "float", values) for slot, (_ranks, values) in sorted(slot_values.items())),
    ])
    table = CustomerSummary._meta.db_table
    postgresql = bulk.is_postgresql()

    def money(column: str) -> str:
        column = bulk.nullable(column)
        return f"ROUND(CAST({column} AS numeric), 2)" if postgresql else f"ROUND({column}, 2)"

    def date(column: str) -> str:
        if postgresql:
            return f"CASE WHEN {column} >= 0 THEN DATE '1970-01-01' + CAST({column} AS integer) END"
        return f"CASE WHEN {column} >= 0 THEN date({column} * 86400, 'unixepoch') END"

    segment_case = " ".join(f"WHEN {index} THEN '{code}'" for index, code in enumerate(segment_codes))
    columns = ["customer_id", "run_id", "as_of", "first_purchase", "last_purchase", "purchase_days", "total_amount",
               "average_amount", "total_margin", "current_amount", "previous_amount", "current_margin",
               "current_purchase_days", "tenure_days", "frequency", "recency", "age", "monetary", "r_score",
               "f_score", "m_score", "rfm_segment", "p_alive", "previous_p_alive", "expected_purchases", "clv",
               "value_score", "loyalty_score",
               *(f"tier_{slot}" for slot in sorted(slot_values)),
               *(f"tier_value_{slot}" for slot in sorted(slot_values))]
    values = [
        "customer_id", "%s", "%s", date("first_day"), date("last_day"), "days", money("total_amount"),
        money("average_amount"), money("total_margin"), money("current_amount"), money("previous_amount"),
        money("current_margin"), "rfm_days", "CASE WHEN tenure >= 0 THEN tenure END", "frequency", "recency", "age",
        money("monetary"), "r", "f", "m", f"CASE segment {segment_case} ELSE '' END", bulk.nullable("p_alive"),
        bulk.nullable("previous_p_alive"), bulk.nullable("expected"), money("clv"), "value_score", "loyalty_score",
        *(f"CASE WHEN rank_{slot} >= 0 THEN rank_{slot} END" for slot in sorted(slot_values)),
        *(bulk.nullable(f"value_{slot}") for slot in sorted(slot_values)),
    ]
    as_of_param: Any = settings.as_of if postgresql else settings.as_of.isoformat()
    timings = {"stage": time.perf_counter() - started}
    with connection.cursor() as cursor:
        if postgresql and _summary_swappable():
            # a fresh table, swapped in at the end of the run's transaction (``_swap_summary``)
            cursor.execute(f"DROP TABLE IF EXISTS {SUMMARY_NEXT}")
            cursor.execute(f"CREATE TABLE {SUMMARY_NEXT} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            target = SUMMARY_NEXT
        else:
            cursor.execute(f"DELETE FROM {table}")
            target = table
        timings["delete"] = time.perf_counter() - started - timings["stage"]
        cursor.execute(
            f"INSERT INTO {target} ({', '.join(columns)}) SELECT {', '.join(values)} FROM scoring_stage_summary",
            [run.pk, as_of_param],
        )
    bulk.drop_temporary("scoring_stage_summary")
    timings["insert"] = time.perf_counter() - started - timings["stage"] - timings["delete"]
    return {key: round(value, 3) for key, value in timings.items()}


SUMMARY_NEXT = "scoring_customersummary_next"


def _summary_swappable() -> bool:
    """PostgreSQL without Citus: a distributed summary table cannot be swapped for a local one (it is then rewritten
    in place)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is None


def _swap_summary() -> None:
    """PostgreSQL: put the summary table written by this run in place of the old one, with the old one's keys,
    indexes (rebuilt on the new rows, by their names) and grants. Done last in the run's transaction: the exclusive
    lock it takes on the summary lasts until the commit, a second or so. Rewriting a fresh table instead of deleting
    and inserting a million rows leaves no dead rows behind and maintains no index row by row."""
    if not bulk.is_postgresql():
        return
    table = CustomerSummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [SUMMARY_NEXT])
        if cursor.fetchone()[0] is None:
            return  # written in place
        cursor.execute("SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                       "WHERE table_schema = current_schema() AND table_name = %s AND grantee <> current_user",
                       [table])
        grants = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "AND contype IN ('p', 'u', 'f', 'x')", [table])
        keys = cursor.fetchall()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                       "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                       [table, table])
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute(f"ALTER TABLE {SUMMARY_NEXT} RENAME TO {table}")
        for name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for definition in indexes:
            cursor.execute(definition)
        for grantee, privilege in grants:
            to = "PUBLIC" if grantee == "PUBLIC" else connection.ops.quote_name(grantee)
            cursor.execute(f"GRANT {privilege} ON {table} TO {to}")
        cursor.execute(f"ANALYZE {table}")


@dataclass
class SchemeWrite:
    definition: schemes.SchemeDefinition
    new: np.ndarray
    current: np.ndarray
    replaced: np.ndarray
    baseline: np.ndarray
    values: np.ndarray
    row_rank: np.ndarray  # rank of the change row of a replaced run's date (-1 none)


def _tier_case(column: str, codes: list[str]) -> tuple[str, list[str]]:
    return f"CASE {column} " + " ".join(f"WHEN {rank} THEN %s" for rank in range(len(codes))) + " END", list(codes)


def _write_assignments(write: SchemeWrite, customer_ids: np.ndarray, as_of: dt.date) -> dict[str, int]:
    """Write one scheme's tier changes of this date: a row where a customer had a tier before and it changed. On a
    replaced date only the difference with that date's rows is written. Returns the counts of rows touched."""
    definition = write.definition
    new, baseline, row_rank = write.new, write.baseline, write.row_rank
    table = TierAssignment._meta.db_table
    postgresql = bulk.is_postgresql()
    as_of_param: Any = as_of if postgresql else as_of.isoformat()
    wanted = (baseline >= 0) & (new >= 0) & (new != baseline)
    has_row = row_rank >= 0
    delete = has_row & (~wanted | (row_rank != new))
    insert = wanted & (~has_row | (row_rank != new))
    stats = {"deleted": int(delete.sum()), "inserted": int(insert.sum())}
    activity_table = Activity._meta.db_table
    occurred_at = sql_activity_time(timezone.make_aware(dt.datetime.combine(as_of, dt.time())))
    with connection.cursor() as cursor:
        if delete.any():
            bulk.stage("scoring_stage_delete", [("customer_id", "bigint", customer_ids[delete])], key="customer_id")
            # the replaced rows' timeline activities go with them (found through the customer and time index)
            cursor.execute(
                f"DELETE FROM {activity_table} WHERE kind = 'tier_change' AND occurred_at = %s "
                "AND customer_id IN (SELECT customer_id FROM scoring_stage_delete) "
                f"AND subject_id IN (SELECT id FROM {table} WHERE scheme_id = %s AND as_of = %s "
                "AND customer_id IN (SELECT customer_id FROM scoring_stage_delete))",
                [occurred_at, definition.id, as_of_param])
            cursor.execute(
                f"DELETE FROM {table} WHERE scheme_id = %s AND as_of = %s "
                "AND customer_id IN (SELECT customer_id FROM scoring_stage_delete)", [definition.id, as_of_param])
            bulk.drop_temporary("scoring_stage_delete")
        if insert.any():
            bulk.stage("scoring_stage_insert", key="customer_id", columns=[
                ("customer_id", "bigint", customer_ids[insert]), ("rank", "smallint", new[insert]),
                ("previous", "smallint", baseline[insert]), ("value", "float", write.values[insert]),
            ])
            case, case_params = _tier_case("t.rank", definition.codes)
            previous_case, previous_params = _tier_case("t.previous", definition.codes)
            cursor.execute(
                f"INSERT INTO {table} (scheme_id, customer_id, as_of, tier, rank, previous_tier, previous_rank, value) "
                f"SELECT %s, t.customer_id, %s, {case}, t.rank, COALESCE({previous_case}, ''), t.previous, "
                f"{bulk.nullable('t.value')} FROM scoring_stage_insert t",
                [definition.id, as_of_param, *case_params, *previous_params])
            # one timeline activity per change, in the same statement's way: set-based, from the rows just written
            data = sql_json_object([("scheme", "%s"), ("tier", "a.tier"), ("previous_tier", "a.previous_tier")])
            cursor.execute(
                f"INSERT INTO {activity_table} (customer_id, occurred_at, kind, subject_type, subject_id, data) "
                f"SELECT a.customer_id, %s, 'tier_change', 'scoring.tierassignment', a.id, {data} FROM {table} a "
                "WHERE a.scheme_id = %s AND a.as_of = %s "
                "AND a.customer_id IN (SELECT customer_id FROM scoring_stage_insert)",
                [occurred_at, definition.name, definition.id, as_of_param])
            bulk.drop_temporary("scoring_stage_insert")
    return stats


def _write_customer_tiers(customer_ids: np.ndarray, new: np.ndarray, current: np.ndarray,
                          definition: schemes.SchemeDefinition) -> int:
    """Set ``CustomerTier`` where the primary tier differs from what it holds (rows deleted, then inserted)."""
    changed = new != current
    if not changed.any():
        return 0
    bulk.stage("scoring_stage_tier", [("customer_id", "bigint", customer_ids[changed]),
                                      ("rank", "smallint", new[changed])], key="customer_id")
    table = CustomerTier._meta.db_table
    cases, params = _customer_tier_cases("t.rank", definition)
    with connection.cursor() as cursor:
        if (current[changed] >= 0).any():
            cursor.execute(f"DELETE FROM {table} WHERE customer_id IN (SELECT customer_id FROM scoring_stage_tier)")
        cursor.execute(f"INSERT INTO {table} (customer_id, tier, label) SELECT t.customer_id, {cases} "
                       "FROM scoring_stage_tier t WHERE t.rank >= 0", params)
    bulk.drop_temporary("scoring_stage_tier")
    customer_tier_choices_changed()
    return int(changed.sum())


def _alerts_to_raise(computed: Computed, writes: list[SchemeWrite], primary: SchemeWrite | None,
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
            "p_alive": _finite(computed.p_alive[index]), "clv": _finite(population.clv[index], 2),
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
                "value": _finite(write.values[index], 2),
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
                "previous_p_alive": _finite(baseline[index]) if baseline[index] >= 0 else None,
                "scheme_id": primary.definition.id if primary is not None else None}
        if primary is not None:
            rank = int(primary.new[index])
            item.update({"scheme": primary.definition.name, "scheme_label": _scheme_label(primary.definition),
                         "tier": primary.definition.codes[rank], "tier_label": primary.definition.tiers[rank].label})
        raised.append(item)
    return raised


def _scheme_label(definition: schemes.SchemeDefinition) -> str:
    return str(definition.parameters.get("_label") or definition.name)


def _finite(value: Any, digits: int | None = None) -> float | None:
    number = float(value)
    if not math.isfinite(number):
        return None
    return round(number, digits) if digits is not None else number


def _write_alerts(run: ScoringRun, raised: list[dict[str, Any]], as_of: dt.date) -> int:
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


def _definition(scheme: TierScheme) -> schemes.SchemeDefinition:
    definition = scheme.definition()
    definition.parameters = {**definition.parameters, "_label": scheme.label}
    return definition


def default_as_of() -> dt.date:
    """Today in the configured time zone."""
    return timezone.localdate()


def _work_mem() -> str:
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


def _start_run(*, run: ScoringRun | None, as_of: dt.date, actor: User | None, trigger: str) -> ScoringRun:
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


def _fail_run(run: ScoringRun, error: BaseException, started: float) -> None:
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
    run = _start_run(run=run, as_of=as_of, actor=actor, trigger=trigger)
    started = time.perf_counter()
    timings: dict[str, Any] = {}

    def step(name: str, fraction: float, mark: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - mark, 3)
        report(name, fraction)
        return now

    try:
        with bulk.tuned_connection():
            return _execute(run=run, as_of=as_of, selected=selected, scheme_names=scheme_names, report=report,
                            started=started, timings=timings, step=step)
    except Exception as error:
        logger.exception("scoring run %s as of %s failed", run.pk, as_of)
        _fail_run(run, error, started)
        raise ScoringRunError(run, str(error)) from error


def _execute(*, run: ScoringRun, as_of: dt.date, selected: list[TierScheme], scheme_names: Iterable[str] | None,
             report: ProgressCallback, started: float, timings: dict[str, Any],
             step: Callable[[str, float, float], float]) -> ScoringRun:
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
    definitions = [_definition(s) for s in selected]
    windows = sorted({settings.period_days, settings.rfm_window_days}
                     | {w for d in definitions for w in d.windows()})
    query = SummaryQuery(windows=windows, period_days=settings.period_days,
                         rfm_window_days=settings.rfm_window_days,
                         primary_codes=primary_scheme.definition().codes if primary_scheme else [],
                         rank_slots=sorted(run_slots | set(carried)), value_slots=carried)
    report("read", 0.0)
    mark = time.perf_counter()
    with transaction.atomic():
        if bulk.is_postgresql():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{_work_mem()}'")
        data = _read_summary(as_of, query)
        mark = step("read summary", 0.3, mark)
        customer_ids = data["customer_id"]
        states = _current_tiers(definitions, slots, data, as_of, replaced_run)
    mark = step("read tiers", 0.35, mark)
    computed = _compute(data, definitions, settings, windows)
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
    raised = _alerts_to_raise(computed, writes, primary_write, settings)
    alert_reasons: dict[str, int] = {}
    for item in raised:
        key = f"{item['reason']}:{item.get('scheme') or ''}"
        alert_reasons[key] = alert_reasons.get(key, 0) + 1

    counts: dict[str, Any] = {}
    change_counts: dict[str, Any] = {}
    total_changes = 0
    for write in writes:
        counts[str(write.definition.id)] = _scheme_counts(write.definition, computed.scheme_results[
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
        timings["summary"] = _delete_summary_and_insert(  # type: ignore[assignment]
            run, computed, settings, slot_values)
        mark = step("write summary", 0.75, mark)
        written = {}
        for write in writes:
            written[write.definition.name] = _write_assignments(write, customer_ids, as_of)
        mark = step("write assignments", 0.85, mark)
        if primary_write is not None:
            tiers_updated = _write_customer_tiers(customer_ids, primary_write.new, data["current_tier_rank"],
                                                  primary_write.definition)
        elif primary_scheme is not None and primary_scheme.slot in carried:
            primary_ranks = data[f"slot_rank_{primary_scheme.slot}"]
            tiers_updated = _write_customer_tiers(customer_ids, primary_ranks, data["current_tier_rank"],
                                                  primary_scheme.definition())
        else:
            tiers_updated = 0
        mark = step("write customer tiers", 0.9, mark)
        alert_count = _write_alerts(run, raised, as_of)
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
        _swap_summary()
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
