"""Step 3 of a scoring run, the write back (set-based SQL from staged temporary tables, in the run's transaction):
the summary table, the tier changes with their timeline activities and ``customers.CustomerTier``."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from kehu.core import bulkio
from kehu.core.bulkio import arrays, session
from kehu.customers.models import Activity, CustomerTier
from kehu.customers.services import customer_tier_choices_changed
from kehu.customers.timeline import sql_activity_time, sql_json_object

from .. import metrics, schemes
from ..models import CustomerSummary, ScoringRun, TierAssignment, TierScheme
from .compute import Computed, RunSettings
from .sql import day_number


def write_summary(run: ScoringRun, computed: Computed, settings: RunSettings,
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
    arrays.stage("scoring_stage_summary", key="customer_id", columns=[
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
    postgresql = bulkio.is_postgresql()

    def money(column: str) -> str:
        column = arrays.nullable(column)
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
        money("monetary"), "r", "f", "m", f"CASE segment {segment_case} ELSE '' END", arrays.nullable("p_alive"),
        arrays.nullable("previous_p_alive"), arrays.nullable("expected"), money("clv"), "value_score", "loyalty_score",
        *(f"CASE WHEN rank_{slot} >= 0 THEN rank_{slot} END" for slot in sorted(slot_values)),
        *(arrays.nullable(f"value_{slot}") for slot in sorted(slot_values)),
    ]
    as_of_param: Any = settings.as_of if postgresql else settings.as_of.isoformat()
    timings = {"stage": time.perf_counter() - started}
    with connection.cursor() as cursor:
        if postgresql and _summary_swappable():
            # a fresh table, swapped in at the end of the run's transaction (``swap_summary``)
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
    arrays.drop_temporary("scoring_stage_summary")
    timings["insert"] = time.perf_counter() - started - timings["stage"] - timings["delete"]
    return {key: round(value, 3) for key, value in timings.items()}

SUMMARY_NEXT = "scoring_customersummary_next"


def _summary_swappable() -> bool:
    """PostgreSQL without Citus: a distributed summary table cannot be swapped for a local one (it is then rewritten
    in place)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is None


def swap_summary() -> None:
    """PostgreSQL: put the summary table written by this run in place of the old one, with the old one's keys,
    indexes (rebuilt on the new rows, by their names) and grants. Done last in the run's transaction: the exclusive
    lock it takes on the summary lasts until the commit, a second or so. Rewriting a fresh table instead of deleting
    and inserting a million rows leaves no dead rows behind and maintains no index row by row."""
    if not bulkio.is_postgresql():
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


def tier_case_sql(column: str, codes: list[str]) -> tuple[str, list[str]]:
    return f"CASE {column} " + " ".join(f"WHEN {rank} THEN %s" for rank in range(len(codes))) + " END", list(codes)


def customer_tier_case_sql(column: str, definition: schemes.SchemeDefinition) -> tuple[str, list[str]]:
    """SQL for the tier code and the tier name of a rank in ``column``, and its parameters: what ``CustomerTier``
    holds."""
    case, params = tier_case_sql(column, definition.codes)
    label_case, label_params = tier_case_sql(column, [tier.label for tier in definition.tiers])
    return f"{case}, {label_case}", [*params, *label_params]


def rebuild_customer_tiers(scheme: TierScheme) -> None:
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
        cases, params = customer_tier_case_sql(column, definition)
        cursor.execute(f"INSERT INTO {table} (customer_id, tier, label) SELECT customer_id, {cases} "
                       f"FROM {CustomerSummary._meta.db_table} WHERE {column} >= 0 AND {column} < %s",
                       [*params, len(codes)])


def write_tier_changes(write: SchemeWrite, customer_ids: np.ndarray, as_of: dt.date) -> dict[str, int]:
    """Write one scheme's tier changes of this date: a row where a customer had a tier before and it changed. On a
    replaced date only the difference with that date's rows is written. Returns the counts of rows touched."""
    definition = write.definition
    new, baseline, row_rank = write.new, write.baseline, write.row_rank
    table = TierAssignment._meta.db_table
    postgresql = bulkio.is_postgresql()
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
            arrays.stage("scoring_stage_delete", [("customer_id", "bigint", customer_ids[delete])], key="customer_id")
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
            arrays.drop_temporary("scoring_stage_delete")
        if insert.any():
            arrays.stage("scoring_stage_insert", key="customer_id", columns=[
                ("customer_id", "bigint", customer_ids[insert]), ("rank", "smallint", new[insert]),
                ("previous", "smallint", baseline[insert]), ("value", "float", write.values[insert]),
            ])
            case, case_params = tier_case_sql("t.rank", definition.codes)
            previous_case, previous_params = tier_case_sql("t.previous", definition.codes)
            cursor.execute(
                f"INSERT INTO {table} (scheme_id, customer_id, as_of, tier, rank, previous_tier, previous_rank, value) "
                f"SELECT %s, t.customer_id, %s, {case}, t.rank, COALESCE({previous_case}, ''), t.previous, "
                f"{arrays.nullable('t.value')} FROM scoring_stage_insert t",
                [definition.id, as_of_param, *case_params, *previous_params])
            # the date's rows are new: without fresh statistics PostgreSQL takes them for one row and nests a scan of
            # the staged table in each (the next statement's semi-join; measured: 30 s for 40,000 changes of a scheme,
            # 77 s of the next month's run at 1,000,000 customers); ANALYZE samples rows this transaction wrote too
            session.analyze([table], {table: ["scheme_id", "customer_id", "as_of"]})
            # one timeline activity per change, in the same statement's way: set-based, from the rows just written
            data = sql_json_object([("scheme", "%s"), ("tier", "a.tier"), ("previous_tier", "a.previous_tier")])
            cursor.execute(
                f"INSERT INTO {activity_table} (customer_id, occurred_at, kind, subject_type, subject_id, data) "
                f"SELECT a.customer_id, %s, 'tier_change', 'scoring.tierassignment', a.id, {data} FROM {table} a "
                "WHERE a.scheme_id = %s AND a.as_of = %s "
                "AND a.customer_id IN (SELECT customer_id FROM scoring_stage_insert)",
                [occurred_at, definition.name, definition.id, as_of_param])
            arrays.drop_temporary("scoring_stage_insert")
    return stats


def write_customer_tiers(customer_ids: np.ndarray, new: np.ndarray, current: np.ndarray,
                         definition: schemes.SchemeDefinition) -> int:
    """Set ``CustomerTier`` where the primary tier differs from what it holds (rows deleted, then inserted)."""
    changed = new != current
    if not changed.any():
        return 0
    arrays.stage("scoring_stage_tier", [("customer_id", "bigint", customer_ids[changed]),
                                      ("rank", "smallint", new[changed])], key="customer_id")
    table = CustomerTier._meta.db_table
    cases, params = customer_tier_case_sql("t.rank", definition)
    with connection.cursor() as cursor:
        if (current[changed] >= 0).any():
            cursor.execute(f"DELETE FROM {table} WHERE customer_id IN (SELECT customer_id FROM scoring_stage_tier)")
        cursor.execute(f"INSERT INTO {table} (customer_id, tier, label) SELECT t.customer_id, {cases} "
                       "FROM scoring_stage_tier t WHERE t.rank >= 0", params)
    arrays.drop_temporary("scoring_stage_tier")
    customer_tier_choices_changed()
    return int(changed.sum())
