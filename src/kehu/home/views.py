"""The home dashboard (the personal-data access log, moved here from ``org``, which must not import ``customers``,
is in ``audit.py``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kehu.customers.selectors import customer_dashboard, customer_list
from kehu.org.models import User
from kehu.org.roles import ROLE_LABELS
from kehu.org.selectors import user_roles


class AuthenticatedRequest(HttpRequest):
    user: User


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The dashboard: how many customers the user owns and sees, by lifecycle status, and the newest ones."""
    user = request.user
    context = {
        "dashboard": customer_dashboard(user=user),
        "recent_customers": list(customer_list(user=user)[:8]),
        "role_labels": [ROLE_LABELS[role] for role in sorted(user_roles(user)) if role in ROLE_LABELS],
    }
    return render(request, "home.html", context)
