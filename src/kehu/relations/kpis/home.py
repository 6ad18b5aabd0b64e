"""The home dashboard's "Staff KPIs this month" for branch managers (registered in ``RelationsConfig.ready``): the
best-scored staff of their branches so far this month, with the score bars, and a link to the page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import HomeSection

HOME_ROWS = 8


def staff_kpi_section_load(user: Any) -> dict[str, Any] | None:
    from .selectors import current_month, staff_kpis

    report = staff_kpis(user=user, month=current_month())
    rows = sorted(report.rows, key=lambda row: (-row.score, row.staff.username))[:HOME_ROWS]
    return {"report": report, "rows": rows, "more": len(report.rows) > len(rows)}


STAFF_KPI_SECTION = HomeSection(
    key="staff_kpis", title=_("Staff KPIs this month"), order=35, loader=staff_kpi_section_load,
    template="relations/_home_kpis.html", permission="relations.view_staff_kpis",
    roles=frozenset({"branch_manager"}), queries=9,
)
