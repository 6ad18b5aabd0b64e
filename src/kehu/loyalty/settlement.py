"""Settlement statements (reads): between the stores of the group, and with each alliance partner, per month.

**Between stores.** Points are a debt of the store where they were earned (the entry's ``branch``). Every debit
uses an account's oldest points first (as expiry does), so each redemption is traced, first in first out, to the
earnings it used; points earned in store A and redeemed in store B in the period are owed by A to B at the group's
value per point (``GroupRules.point_value``). Points with no earning store (transfers in, adjustments, exchanges
in) are the group's own (``store`` empty). The statement is computed from the ledger alone, reading the entries of
the accounts that redeemed in the period (up to the period's end) in one ordered, streamed query.

**With partners.** Per partner and direction, the points, partner units and value (``units × unit_value`` at the
time) of the period's exchanges: points exchanged out are owed to the partner, points exchanged in are owed by it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.models import Branch, User

from .models import (
    EntryKind,
    ExchangeDirection,
    GroupRules,
    Partner,
    PartnerExchange,
    PointsEntry,
    SettlementClose,
)

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """The start (inclusive) and end (exclusive) of a ``YYYY-MM`` period in the current time zone; a bad period
    is a ValidationError."""
    match = PERIOD.match(period or "")
    year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or not 2000 <= year <= 2999 or not 1 <= month <= 12:
        raise ValidationError({"period": [_("Give a month as YYYY-MM (2000–2999).")]})
    zone = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def period_default() -> str:
    """The last full month."""
    first = timezone.localdate().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


@dataclass
class StoreStatement:
    period: str
    point_value: Decimal
    pairs: list[dict[str, Any]] = field(default_factory=list)  # earned_in, redeemed_in, points, value
    stores: list[dict[str, Any]] = field(default_factory=list)  # store, receivable, payable, net
    redeemed_points: int = 0


def _in_scope(user: User | None) -> set[int] | None:
    if user is None:
        return None
    from kehu.org.selectors import branch_ids_in_scope

    ids = branch_ids_in_scope(user)
    return None if ids is None else set(ids)


def store_settlement(*, period: str, user: User | None = None, programme_id: int | None = None) -> StoreStatement:
    """Who owes whom for the points redeemed in ``period`` (first in first out to their earning store); limited to
    the pairs touching the user's stores when a branch-bound user asks."""
    start, end = period_bounds(period)
    rules = (GroupRules.objects.filter(programme_id=programme_id) if programme_id
             else GroupRules.objects.filter(programme__is_default=True)).first()
    point_value = rules.point_value if rules else Decimal("0.01")
    redeeming = (PointsEntry.objects.filter(kind=EntryKind.REDEEM, created_at__gte=start, created_at__lt=end)
                 .order_by().values("account_id").distinct())
    entries = (PointsEntry.objects.filter(account_id__in=redeeming, created_at__lt=end)
               .order_by("account_id", "id").values_list("account_id", "kind", "points", "branch_id", "created_at"))
    owed: dict[tuple[int | None, int | None], int] = defaultdict(int)
    redeemed = 0
    account = None
    lots: deque[list[Any]] = deque()
    for account_id, kind, points, branch_id, created_at in entries.iterator(chunk_size=5000):
        if account_id != account:
            account, lots = account_id, deque()
        if points > 0:
            lots.append([branch_id if kind == EntryKind.EARN else None, points])
            continue
        need = -points
        counted = kind == EntryKind.REDEEM and created_at >= start
        while need and lots:
            lot = lots[0]
            used = min(need, lot[1])
            lot[1] -= used
            need -= used
            if counted:
                owed[(lot[0], branch_id)] += used
            if not lot[1]:
                lots.popleft()
        if counted:
            redeemed += -points
    named = {k for pair in owed for k in pair if k}
    names: dict[int | None, str] = dict(Branch.objects.filter(pk__in=named).values_list("pk", "name"))
    statement = StoreStatement(period=period, point_value=point_value, redeemed_points=redeemed)
    balance: dict[int | None, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for (earned_in, redeemed_in), points in sorted(owed.items(), key=lambda item: (str(names.get(item[0][0], "")),
                                                                                   str(names.get(item[0][1], "")))):
        if earned_in == redeemed_in:
            continue
        value = (points * point_value).quantize(Decimal("0.01"))
        statement.pairs.append({"earned_in": names.get(earned_in, "") if earned_in else "",
                                "earned_in_id": earned_in, "redeemed_in_id": redeemed_in,
                                "redeemed_in": names.get(redeemed_in, "") if redeemed_in else "",
                                "points": points, "value": value})
        balance[earned_in][1] += value
        balance[redeemed_in][0] += value
    for store_id, (receivable, payable) in sorted(balance.items(), key=lambda item: str(names.get(item[0], ""))):
        statement.stores.append({"store_id": store_id, "store": names.get(store_id, "") if store_id else "",
                                 "receivable": receivable, "payable": payable, "net": receivable - payable})
    return _scoped(statement, user)


def _scoped(statement: StoreStatement, user: User | None) -> StoreStatement:
    """The rows of the statement touching the user's stores (every row for a user who sees every branch)."""
    scope = _in_scope(user)
    if scope is None:
        return statement
    return StoreStatement(
        period=statement.period, point_value=statement.point_value, redeemed_points=statement.redeemed_points,
        pairs=[pair for pair in statement.pairs if pair["earned_in_id"] in scope or pair["redeemed_in_id"] in scope],
        stores=[store for store in statement.stores if store["store_id"] in scope])


_STORE_DECIMALS = ("value", "receivable", "payable", "net")
_PARTNER_DECIMALS = ("out_units", "out_value", "in_units", "in_value", "net")


def kept_form(stores: StoreStatement, partners: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The statements as JSON to keep when a period is closed (decimals as text)."""
    def text(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {key: str(value) if key in names else value for key, value in row.items() if key != "partner"}

    return ({"period": stores.period, "point_value": str(stores.point_value),
             "redeemed_points": stores.redeemed_points,
             "pairs": [text(pair, _STORE_DECIMALS) for pair in stores.pairs],
             "stores": [text(store, _STORE_DECIMALS) for store in stores.stores]},
            [text(row, _PARTNER_DECIMALS) for row in partners])


def _from_kept(stores: dict[str, Any], partners: list[dict[str, Any]]) -> tuple[StoreStatement, list[dict[str, Any]]]:
    def decimals(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {key: Decimal(value) if key in names else value for key, value in row.items()}

    return (StoreStatement(period=stores["period"], point_value=Decimal(stores["point_value"]),
                           redeemed_points=stores["redeemed_points"],
                           pairs=[decimals(pair, _STORE_DECIMALS) for pair in stores["pairs"]],
                           stores=[decimals(store, _STORE_DECIMALS) for store in stores["stores"]]),
            [decimals(row, _PARTNER_DECIMALS) for row in partners])


def closed_period(period: str) -> SettlementClose | None:
    """The closing that keeps ``period``'s statements, if it is closed."""
    return SettlementClose.objects.filter(period=period, reopened_at__isnull=True).select_related("closed_by").first()


def statements(*, period: str, user: User | None = None) -> tuple[StoreStatement, list[dict[str, Any]],
                                                                  SettlementClose | None]:
    """The month's statements between stores (in the user's scope) and with partners: as kept when the period is
    closed, else computed from the ledger; and the closing, if any. A bad period is a ValidationError."""
    period_bounds(period)
    closing = closed_period(period)
    if closing is not None:
        stores, partners = _from_kept(closing.stores, closing.partners)
        return _scoped(stores, user), partners, closing
    return store_settlement(period=period, user=user), partner_settlement(period=period), None


def partner_settlement(*, period: str, partner: Partner | None = None) -> list[dict[str, Any]]:
    """Per partner: the period's points, units and value out (owed to the partner) and in (owed by it), and the net
    the partner owes (positive) or is owed (negative)."""
    start, end = period_bounds(period)
    rows = PartnerExchange.objects.filter(day__gte=start.date(), day__lt=end.date())
    if partner is not None:
        rows = rows.filter(partner=partner)
    totals = {(row["partner_id"], row["direction"]): {
        **row, "units": Decimal(row["units"]).quantize(Decimal("0.0001")),
        "value": Decimal(row["value"]).quantize(Decimal("0.01"))}
        for row in rows.order_by().values("partner_id", "direction")
        .annotate(count=Count("id"), points=Sum("points"), units=Sum("units"), value=Sum("value"))}
    partners = Partner.objects.filter(pk=partner.pk) if partner else Partner.objects.all()
    result = []
    zero = {"count": 0, "points": 0, "units": Decimal("0.0000"), "value": Decimal("0.00")}
    for each in partners.order_by("code"):
        out = totals.get((each.pk, ExchangeDirection.OUT), zero)
        into = totals.get((each.pk, ExchangeDirection.IN), zero)
        if out is zero and into is zero and not each.is_active:
            continue
        result.append({"partner": each, "code": each.code, "name": each.name,
                       "out_count": out["count"], "out_points": out["points"], "out_units": out["units"],
                       "out_value": out["value"], "in_count": into["count"], "in_points": into["points"],
                       "in_units": into["units"], "in_value": into["value"],
                       "net": into["value"] - out["value"]})
    return result


def statement_rows(stores: StoreStatement, partners: list[dict[str, Any]]) -> list[list[Any]]:
    """Both statements as the rows of one table (the CSV export and the command's output), headed in the reader's
    language; an empty store is the group itself."""
    group = _("(group)")
    rows: list[list[Any]] = [[_("Settlement between stores"), stores.period, _("value per point"), stores.point_value],
                             [_("Earned in"), _("Redeemed in"), _("Points"), _("Value (yuan)")]]
    rows += [[pair["earned_in"] or group, pair["redeemed_in"] or group, pair["points"], pair["value"]]
             for pair in stores.pairs]
    rows.append([_("Store"), _("Receivable"), _("Payable"), _("Net")])
    rows += [[store["store"] or group, store["receivable"], store["payable"], store["net"]]
             for store in stores.stores]
    rows.append([_("Settlement with partners"), stores.period])
    rows.append([_("Partner"), _("Code"), _("Exchanges out"), _("Points out"), _("Units out"), _("Owed to partner"),
                 _("Exchanges in"), _("Points in"), _("Units in"), _("Owed by partner"), _("Net")])
    rows += [[row["name"], row["code"], row["out_count"], row["out_points"], row["out_units"], row["out_value"],
              row["in_count"], row["in_points"], row["in_units"], row["in_value"], row["net"]] for row in partners]
    return rows


def csv_cells(rows: list[list[Any]]) -> list[list[str]]:
    """The rows as CSV cells: text neutralised against formulas, numbers as they are."""
    from kehu.core.spreadsheet import csv_safe

    return [[csv_safe(cell) if isinstance(cell, str) else str(cell) for cell in row] for row in rows]
