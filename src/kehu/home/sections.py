"""The home app's own dashboard sections (registered in ``HomeConfig.ready``): the figures of the user's book or
branches, and the newest customers with the shortcuts. Other apps register theirs (scoring: customers at risk;
customers: recent changes); a later module adds its own (e.g. "my tasks") without editing this app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.registry import HomeSection

RECENT_CUSTOMERS = 6


def figures_section_load(user: Any) -> Any:
    from .selectors import home_figures

    return home_figures(user=user)


def recent_customers_section_load(user: Any) -> dict[str, Any]:
    from kehu.customers.selectors import customer_list

    return {"customers": list(customer_list(user=user)[:RECENT_CUSTOMERS])}


FIGURES_SECTION = HomeSection(
    key="figures", title=pgettext_lazy("home section", "Figures"), order=30, loader=figures_section_load,
    template="home/_figures.html", permission="customers.view_customer", wide=True, queries=6)
RECENT_CUSTOMERS_SECTION = HomeSection(
    key="recent_customers", title=_("Recently added customers"), order=40, loader=recent_customers_section_load,
    template="home/_recent_customers.html", permission="customers.view_customer", queries=1)


def register_sections() -> None:
    from kehu.core.registry import register_home_section

    register_home_section(FIGURES_SECTION)
    register_home_section(RECENT_CUSTOMERS_SECTION)
