"""The home dashboard (the personal-data access log, moved here from ``org``, which must not import ``customers``,
is in ``audit.py``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kehu.core.registry import home_section_list
from kehu.customers.selectors import customer_dashboard
from kehu.org.models import User
from kehu.org.roles import ROLE_LABELS
from kehu.org.selectors import user_roles


class AuthenticatedRequest(HttpRequest):
    user: User


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The dashboard: how many customers the user owns and sees, then the registered sections the user may see
    (``kehu.core.registry.home_sections``: customers at risk, recent changes, figures, ...), each loaded once."""
    user = request.user
    roles = user_roles(user)
    sections = []
    for section in home_section_list():
        if not section.allowed(user, roles):
            continue
        data = section.loader(user)
        if data is not None:
            sections.append({"section": section, "data": data})
    context = {
        "dashboard": customer_dashboard(user=user),
        "sections": sections,
        "role_labels": [ROLE_LABELS[role] for role in sorted(roles) if role in ROLE_LABELS],
    }
    return render(request, "home.html", context)
