"""Writes of cadences: the rules (administrators) and the run that turns them into due tasks, set-based.

``cadence_run`` is what ``kehu cadence`` and the daily beat job call. For every active rule (those of one channel
shortest interval first) it INSERTs ... SELECTs one task per active customer with an active owner whom the rule
applies to and who has had no contact of the rule's channel within the rule's interval, unless an open cadence task
of that channel and customer exists: the NOT EXISTS check, and behind it ``work.Task``'s unique open ``dedupe_key``
(``cadence:<channel>:<customer>``) with ON CONFLICT DO NOTHING. So two rules of one channel that both apply to a
customer make ONE task, and a rerun for the same period creates nothing until that task is done. A task already past
due is inserted with ``overdue_since`` set; the tasks' timeline rows are INSERTed ... SELECTed from the rows just
written; then the older open cadence tasks past due are marked overdue in one UPDATE.

Performance (PostgreSQL): the run works in chunks of customer ids (``CHUNK`` customers, one transaction each, so a
crash loses one chunk and the rerun, idempotent by ``dedupe_key``, finishes the work) with ``SET CONSTRAINTS ALL
IMMEDIATE``: the foreign keys of ``work.Task`` and ``customers.Activity`` are ``DEFERRABLE INITIALLY DEFERRED``, and
a million rows' deferred checks (one per key and row) queued to a single COMMIT made it sit there for minutes. No
row is written twice (the overdue mark at insert time; an UPDATE of a row inserted in the same transaction fires
its key checks again). Never a query per customer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.core import validators
from kehu.customers.models import Activity
from kehu.customers.timeline import sql_activity_time, sql_json_object
from kehu.org.models import User
from kehu.org.selectors import user_is_read_only
from kehu.work.exceptions import RecordChangedError
from kehu.work.models import Task

from ..models import CadenceRule, CadenceUnit, ContactChannel
from ..models.cadences import MAX_EVERY
from . import sql

TASK_KIND = "cadence"
TASKS = Task._meta.db_table
USERS = User._meta.db_table
ACTIVITIES = Activity._meta.db_table


# --- rules -----------------------------------------------------------------------------------------------------------


def _may_manage(actor: User, action: str) -> None:
    if user_is_read_only(actor) or not actor.has_perm(f"relations.{action}_cadencerule"):
        raise PermissionDenied(_("You do not have permission to change cadence rules."))


def _check_rule(rule: CadenceRule) -> None:
    errors: dict[str, list[str]] = {}
    invalid = _("Select a valid choice. That choice is not one of the available choices.")
    if rule.channel not in ContactChannel.values:
        errors["channel"] = [invalid]
    if rule.unit not in CadenceUnit.values:
        errors["unit"] = [invalid]
    if rule.management_class and rule.management_class not in dict(CadenceRule._meta.get_field(
            "management_class").choices or []):
        errors["management_class"] = [invalid]
    if not isinstance(rule.every, int) or not 1 <= rule.every <= MAX_EVERY:
        errors["every"] = [_("Give a number from 1 to %(max)d.") % {"max": MAX_EVERY}]
    for name, limit in (("tier", 32), ("title", 200)):
        value = getattr(rule, name) or ""
        if len(value) > limit:
            errors[name] = [_("At most %(limit)d characters.") % {"limit": limit}]
        elif "\x00" in value:
            errors[name] = [_("Null characters are not allowed.")]
    if errors:
        raise ValidationError(errors)


RULE_FIELDS = ("tier", "management_class", "channel", "every", "unit", "title", "is_active")


@transaction.atomic
def cadence_rule_create(*, actor: User | None, tier: str = "", management_class: str = "", channel: str,
                        every: int = 1, unit: str = CadenceUnit.MONTH, title: str = "",
                        is_active: bool = True) -> CadenceRule:
    """A new rule (``actor`` None: the system, e.g. the demo)."""
    if actor is not None:
        _may_manage(actor, "add")
    rule = CadenceRule(tier=tier.strip(), management_class=management_class, channel=channel, every=every,
                       unit=unit, title=title.strip(), is_active=is_active)
    _check_rule(rule)
    rule.save()
    return rule


@transaction.atomic
def cadence_rule_update(*, actor: User, rule: CadenceRule, expected_version: int | None = None,
                        **changes: Any) -> CadenceRule:
    """Change a rule; ``expected_version`` refuses a stale write (``RecordChangedError``: 409). The open tasks it
    made stay as they are; the next run uses the new interval."""
    _may_manage(actor, "change")
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"cadence_rule_update: unknown fields {sorted(unknown)}")
    current = CadenceRule.objects.select_for_update().get(pk=rule.pk)
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    for name, value in changes.items():
        setattr(current, name, value.strip() if name in ("tier", "title") else value)
    _check_rule(current)
    current.version += 1
    current.save()
    return current


@transaction.atomic
def cadence_rule_delete(*, actor: User, rule: CadenceRule, expected_version: int | None = None) -> None:
    """Delete a rule. Its open tasks are cancelled (their history stays: done tasks and contacts are kept)."""
    _may_manage(actor, "delete")
    current = CadenceRule.objects.select_for_update().filter(pk=rule.pk).first()
    if current is None:
        raise CadenceRule.DoesNotExist
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    content_type = ContentType.objects.get_for_model(CadenceRule)
    Task.objects.filter(source_type=content_type, source_id=current.pk, status=Task.Status.OPEN).update(
        status=Task.Status.CANCELLED, completed_at=timezone.now(), completed_by=actor)
    current.delete()


# --- the run ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CadenceRunResult:
    as_of: dt.date
    rules: int
    created: int
    overdue: int


def check_as_of(value: dt.date) -> None:
    """An as-of date from 1900-01-01 to a few years ahead (year 1 or 9999 cannot be converted between zones)."""
    try:
        validators.validate_business_date(value)
    except ValidationError as error:
        raise ValidationError({"as_of": error.messages}) from None


def _task_title(rule: CadenceRule) -> str:
    """The title the rule's tasks carry, in the organisation's language (a run has no user)."""
    if rule.title:
        return rule.title
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(channel)s (%(interval)s)") % {"channel": rule.get_channel_display(),
                                                   "interval": rule.interval_label}


# customers per chunk of the run (one transaction each)
CHUNK = 250_000


def _rules_sql(rules: list[CadenceRule], day: dt.date) -> tuple[str, list[Any]]:
    """The active rules as an inline table ``r`` (rule id, channel, tier, class, interval in days, the earliest
    contact time that keeps the rule met as of ``day``, the tasks' title): a handful of rows."""
    stamp = "timestamp with time zone" if connection.vendor == "postgresql" else "text"
    rows, params = [], []
    for rule in rules:
        rows.append(f"SELECT CAST(%s AS bigint) AS rule_id, CAST(%s AS varchar(16)) AS channel, "
                    f"CAST(%s AS varchar(32)) AS tier, CAST(%s AS varchar(16)) AS mclass, CAST(%s AS integer) AS days, "
                    f"CAST(%s AS {stamp}) AS threshold, CAST(%s AS varchar(200)) AS title")
        params += [rule.pk, rule.channel, rule.tier, rule.management_class, rule.interval_days,
                   sql.day_start(day - dt.timedelta(days=rule.interval_days - 1)), _task_title(rule)]
    return " UNION ALL ".join(rows), params


def _create_chunk(cursor: Any, rules_sql: tuple[str, list[Any]], *, day: dt.date, now: Any, content_type_id: int,
                  ids: tuple[int, int]) -> int:
    """One statement for every rule at once over the customers with ids in ``ids`` (from, to: half-open): the
    applicable rule of each channel with the shortest interval (if it is met, no longer one of the channel is
    due), the last contact of each customer and channel of the chunk (one grouped pass over the chunk's contacts),
    the due tasks INSERTed ... SELECTed and, on PostgreSQL, their timeline rows from the rows the INSERT returned
    (SQLite: a second INSERT ... SELECT of the rows just written). Returns the tasks created."""
    postgres = connection.vendor == "postgresql"
    rules_body, rules_params = rules_sql
    due, due_params = sql.local_date_plus_column_sql("l.last_at", "k.days")
    end = sql.day_start(day + dt.timedelta(days=1))
    key = ("(%s || k.channel || ':' || CAST(k.customer_id AS varchar(20)))" if postgres
           else "(%s || k.channel || ':' || k.customer_id)")
    today = sql.date_param(day)
    select = (
        f"WITH r AS ({rules_body}), "
        "cand AS (SELECT c.id AS customer_id, c.branch_id, c.owner_id, r.rule_id, r.channel, r.days, r.threshold, "
        "r.title, ROW_NUMBER() OVER (PARTITION BY c.id, r.channel ORDER BY r.days, r.rule_id) AS rn "
        f"FROM {sql.CUSTOMERS} c JOIN {USERS} u ON u.id = c.owner_id AND u.is_active = %s "
        f"LEFT JOIN {sql.TIERS} t ON t.customer_id = c.id "
        "JOIN r ON (r.tier = '' OR COALESCE(t.tier, '') = r.tier) AND (r.mclass = '' OR c.management_class = r.mclass) "
        f"WHERE c.id >= %s AND c.id < %s AND {sql.ACTIVE_CUSTOMER}), "
        f"l AS (SELECT customer_id, channel, MAX(occurred_at) AS last_at FROM {sql.CONTACTS} "
        "WHERE customer_id >= %s AND customer_id < %s AND occurred_at < %s GROUP BY customer_id, channel), "
        f"d AS (SELECT k.customer_id, k.branch_id, k.owner_id, k.rule_id, k.title, {key} AS dedupe_key, "
        f"COALESCE({due}, %s) AS due_date FROM cand k "
        "LEFT JOIN l ON l.customer_id = k.customer_id AND l.channel = k.channel "
        "WHERE k.rn = 1 AND (l.last_at IS NULL OR l.last_at < k.threshold)) "
    )
    params = [*rules_params, True, *ids, *ids, end, f"{TASK_KIND}:", *due_params, today]
    head = (
        f"INSERT INTO {TASKS} (kind, title, notes, customer_id, branch_id, owner_id, created_by_id, due_date, "
        "priority, status, source_type_id, source_id, outcome, completed_at, completed_by_id, overdue_since, "
        "dedupe_key, version, created_at, updated_at) ")
    insert = (
        "SELECT %s, d.title, '', d.customer_id, d.branch_id, d.owner_id, NULL, d.due_date, %s, %s, %s, d.rule_id, "
        "'', NULL, NULL, CASE WHEN d.due_date < %s THEN %s END, d.dedupe_key, 1, %s, %s FROM d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {TASKS} x WHERE x.dedupe_key = d.dedupe_key AND x.status = %s) "
        "ON CONFLICT DO NOTHING"
    )
    params += [TASK_KIND, Task.Priority.NORMAL, Task.Status.OPEN, content_type_id, today, today, now, now,
               Task.Status.OPEN]
    data = sql_json_object([("action", "'created'"), ("title", "k.title"), ("task_kind", "k.kind"),
                            ("due_date", "k.due_date"), ("owner", "''")])
    activity = (f"INSERT INTO {ACTIVITIES} (customer_id, occurred_at, kind, actor_id, branch_id, subject_type, "
                f"subject_id, data) SELECT k.customer_id, %s, 'task', NULL, k.branch_id, 'work.task', k.id, {data} ")
    if postgres:
        cursor.execute(f"{select}, ins AS ({head}{insert} RETURNING id, customer_id, branch_id, title, kind, due_date) "
                       f"{activity} FROM ins k", [*params, now])
        return max(cursor.rowcount, 0)
    # the statement starts with INSERT: Python's sqlite3 counts the rows of a statement only then
    cursor.execute(f"{head}{select}{insert}", params)
    created = max(cursor.rowcount, 0)
    if created:
        cursor.execute(f"{activity} FROM {TASKS} k WHERE k.kind = %s AND k.created_at = %s AND k.status = %s "
                       "AND k.source_type_id = %s AND k.customer_id >= %s AND k.customer_id < %s",
                       [now, TASK_KIND, now, Task.Status.OPEN, content_type_id, *ids])
    return created


def _ordered(rules: list[CadenceRule]) -> list[CadenceRule]:
    """Rules of one channel shortest interval first: where two apply, the more frequent one makes the task."""
    return sorted(rules, key=lambda rule: (rule.channel, rule.interval_days, rule.pk))


def cadence_run(*, as_of: dt.date | None = None, chunk: int = CHUNK) -> CadenceRunResult:
    """Create the due cadence tasks as of ``as_of`` (default today) and mark the open ones past due overdue.

    A rule is due for a customer when the customer's last contact of its channel before the end of ``as_of`` is at
    least the interval old (or there is none); the task is due the day it fell due (the last contact's day plus the
    interval; ``as_of`` without any contact) and belongs to the customer's account manager. Customers without an
    owner (or whose owner left), and lost customers, get none; a customer gets one open task per channel. Idempotent
    for a day; each chunk of ``chunk`` customer ids commits on its own (see the module's text)."""
    day = as_of or timezone.localdate()
    check_as_of(day)
    rules = _ordered(list(CadenceRule.objects.filter(is_active=True)))
    content_type_id = ContentType.objects.get_for_model(CadenceRule).pk
    now = sql_activity_time(timezone.now())
    created = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {sql.CUSTOMERS}")
        low, high = cursor.fetchone()
    start = low or 0
    rules_sql = _rules_sql(rules, day)
    while rules and low is not None and start <= high:
        ids = (start, start + chunk)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # the planner's estimate of the rules' join is poor: room for its hashes in memory, and no JIT
                # compilation (a second per chunk under load for a plan that runs once)
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
            created += _create_chunk(cursor, rules_sql, day=day, now=now, content_type_id=content_type_id,
                                     ids=ids)
        start += chunk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TASKS} SET overdue_since = %s WHERE kind = %s AND status = %s AND due_date < %s "
            "AND overdue_since IS NULL",
            [sql.date_param(day), TASK_KIND, Task.Status.OPEN, sql.date_param(day)])
        overdue = max(cursor.rowcount, 0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TASKS} WHERE kind = %s AND status = %s AND overdue_since = %s "
                       "AND created_at = %s", [TASK_KIND, Task.Status.OPEN, sql.date_param(day), now])
        overdue += cursor.fetchone()[0]
    return CadenceRunResult(as_of=day, rules=len(rules), created=created, overdue=overdue)
