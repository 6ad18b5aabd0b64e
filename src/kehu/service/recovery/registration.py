"""Service recovery joins the approvals: kind ``service_compensation`` (amount = cost)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from kehu.org.roles import Role
    from kehu.work.registry import ApprovalKind, register_approval_kind

    from .services import APPROVAL_KIND, compensation_on_decided, compensation_url

    register_approval_kind(ApprovalKind(
        APPROVAL_KIND, _("Service compensation"),
        default_authority={Role.BRANCH_MANAGER: Decimal("2000"), Role.ADMINISTRATOR: None},
        on_decided=compensation_on_decided, url=compensation_url))
