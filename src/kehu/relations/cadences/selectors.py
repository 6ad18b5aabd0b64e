"""Reads of cadences: the rules, and coverage — the share of customers contacted on cadence.

A customer is *on cadence* as of a day when, for every active rule that applies to it, it had a contact of the rule's
channel within the rule's interval ending that day (the interval's last ``N`` days, the day itself included). Only
active (not lost) customers to whom at least one rule applies are counted. One grouped query over the customers and
one pass over the contacts of the longest interval, whatever the number of customers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from kehu.org.models import Branch, User
from kehu.org.roles import GLOBAL_VIEW_ROLES, SCOPE_CHANGE_ROLES
from kehu.org.selectors import branch_ids_in_scope, user_roles

from ..models import CadenceRule
from . import sql


def cadence_rule_list() -> QuerySet[CadenceRule]:
    return CadenceRule.objects.order_by("-is_active", "tier", "management_class", "channel", "id")


def _coverage_rows(*, as_of: dt.date, owner_ids: list[int] | None = None, branch_ids: list[int] | None = None,
                   with_owner: bool = False) -> tuple[int, list[tuple[int | None, int, int, int]]]:
    """The number of active rules, and (owner id, branch id, customers on cadence, customers with applicable rules)
    per owner and home branch."""
    rules = list(CadenceRule.objects.filter(is_active=True).order_by("id"))
    if not rules or (owner_ids is not None and not owner_ids) or (branch_ids is not None and not branch_ids):
        return len(rules), []
    end = sql.day_start(as_of + dt.timedelta(days=1))
    flags: list[str] = []
    flag_params: list[Any] = []
    applies: list[tuple[str, list[Any]]] = []
    for index, rule in enumerate(rules):
        flags.append(f"MAX(CASE WHEN channel = %s AND occurred_at >= %s THEN 1 ELSE 0 END) AS m{index}")
        flag_params += [rule.channel, sql.day_start(as_of - dt.timedelta(days=rule.interval_days - 1))]
        applies.append(sql.applies_sql(rule))
    earliest = sql.day_start(as_of - dt.timedelta(days=max(rule.interval_days for rule in rules) - 1))
    met = " AND ".join(f"(NOT {condition} OR COALESCE(k.m{index}, 0) = 1)"
                       for index, (condition, _params) in enumerate(applies))
    met_params = [value for _condition, params in applies for value in params]
    any_applies = " OR ".join(condition for condition, _params in applies)
    any_params = [value for _condition, params in applies for value in params]
    where = [sql.ACTIVE_CUSTOMER, f"({any_applies})"]
    where_params: list[Any] = list(any_params)
    if with_owner:
        where.append("c.owner_id IS NOT NULL")
    if owner_ids is not None:
        where.append(f"c.owner_id IN ({', '.join(['%s'] * len(owner_ids))})")
        where_params += owner_ids
    if branch_ids is not None:
        where.append(f"c.branch_id IN ({', '.join(['%s'] * len(branch_ids))})")
        where_params += branch_ids
    query = (
        f"SELECT c.owner_id, c.branch_id, SUM(CASE WHEN {met} THEN 1 ELSE 0 END), COUNT(*) "
        f"FROM {sql.CUSTOMERS} c LEFT JOIN {sql.TIERS} t ON t.customer_id = c.id "
        f"LEFT JOIN (SELECT customer_id, {', '.join(flags)} FROM {sql.CONTACTS} "
        "WHERE occurred_at >= %s AND occurred_at < %s GROUP BY customer_id) k ON k.customer_id = c.id "
        f"WHERE {' AND '.join(where)} GROUP BY c.owner_id, c.branch_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*met_params, *flag_params, earliest, end, *where_params])
        return len(rules), [(owner, branch, int(on or 0), int(total))
                            for owner, branch, on, total in cursor.fetchall()]


def cadence_coverage_by_owner(*, as_of: dt.date, owner_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """Owner user id -> (customers on cadence, customers with applicable rules) as of a day, for the owners given
    (default: every owner). Owners without such customers are absent. Two queries (the rules, the figures)."""
    result: dict[int, tuple[int, int]] = {}
    _rules, rows = _coverage_rows(as_of=as_of, owner_ids=owner_ids, with_owner=True)
    for owner, _branch, on, total in rows:
        assert owner is not None
        previous = result.get(owner, (0, 0))
        result[owner] = (previous[0] + on, previous[1] + total)
    return result


@dataclass
class CoverageRow:
    key: int | None
    name: str
    on_cadence: int
    customers: int
    depth: int = 0  # by branch: the level below the report's top branch (for the indentation)

    @property
    def indent(self) -> range:
        return range(self.depth)

    @property
    def share(self) -> float:
        return self.on_cadence / self.customers if self.customers else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass
class CoverageReport:
    as_of: dt.date
    by_owner: list[CoverageRow]
    by_branch: list[CoverageRow]
    on_cadence: int
    customers: int
    rules: int

    @property
    def share(self) -> float:
        return self.on_cadence / self.customers if self.customers else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)


def coverage_scope(user: User) -> tuple[list[int] | None, list[int] | None]:
    """(owner ids, branch ids) a user's coverage report covers: administrators and auditors everything, branch
    managers their branches and below, everyone else the customers they own."""
    roles = user_roles(user)
    if user.is_superuser or roles & GLOBAL_VIEW_ROLES:
        return None, None
    if roles & SCOPE_CHANGE_ROLES:
        return None, branch_ids_in_scope(user) or []
    return [user.pk], None


def _branch_tree_rows(branches: dict[int, list[int]], *, rollup: bool,
                      scope: list[int] | None) -> list[CoverageRow]:
    """The rows by branch in the tree's order: with ``rollup`` each branch of the report (a home branch, or one
    above it that the reader's scope holds: every one for administrators and auditors, a branch manager's own
    branches) counts the customers of its whole subtree, so a region shows its stores' totals. Two queries at most
    (the home branches' paths, then their ancestors)."""
    homes = Branch.objects.in_bulk(list(branches)) if branches else {}
    totals: dict[int, list[int]] = {}
    for key, (on, total) in branches.items():
        home = homes.get(key)
        above = [int(part) for part in home.path.strip("/").split("/") if part] if home and rollup else [key]
        for branch_id in above or [key]:
            if branch_id != key and scope is not None and branch_id not in scope:
                continue
            figures = totals.setdefault(branch_id, [0, 0])
            figures[0] += on
            figures[1] += total
    missing = [key for key in totals if key not in homes]
    rows = {**homes, **(Branch.objects.in_bulk(missing) if missing else {})}
    top = min((rows[key].depth for key in totals if key in rows), default=0)
    return sorted((CoverageRow(key, rows[key].name if key in rows else str(key), on, total,
                               depth=rows[key].depth - top if key in rows else 0)
                   for key, (on, total) in totals.items()),
                  key=lambda row: rows[row.key].path if row.key in rows else "")


def cadence_coverage(*, user: User, as_of: dt.date) -> CoverageReport:
    """The coverage report the user may see, per owner and per branch, each branch with its subtree's customers
    (at most five queries: rules, figures, the owners' names, the branches and those above them)."""
    owner_ids, branch_ids = coverage_scope(user)
    rules, rows = _coverage_rows(as_of=as_of, owner_ids=owner_ids, branch_ids=branch_ids)
    owners: dict[int | None, list[int]] = {}
    branches: dict[int, list[int]] = {}
    for owner, branch, on, total in rows:
        for table, key in ((owners, owner), (branches, branch)):
            figures = table.setdefault(key, [0, 0])  # type: ignore[arg-type]
            figures[0] += on
            figures[1] += total
    users = User.objects.in_bulk([key for key in owners if key is not None]) if owners else {}
    from django.utils.translation import gettext as _

    by_owner = sorted((CoverageRow(key, str(users[key]) if key in users else _("No account manager"), on, total)
                       for key, (on, total) in owners.items()), key=lambda row: (row.share, row.name))
    by_branch = _branch_tree_rows(branches, rollup=owner_ids is None, scope=branch_ids)
    on_total = sum(row.on_cadence for row in by_owner)
    customers = sum(row.customers for row in by_owner)
    return CoverageReport(as_of=as_of, by_owner=by_owner, by_branch=by_branch, on_cadence=on_total,
                          customers=customers, rules=rules)
