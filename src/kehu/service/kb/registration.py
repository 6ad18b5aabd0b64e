"""What the knowledge base registers (called from ``ServiceConfig.ready``): the approval kind ``kb_article``
(branch managers for their branches' articles, administrators for all, group-wide ones included), the ticket page
section "Knowledge base" and the demo step (order 135)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def _approval_url(approval: Any) -> str:
    from django.urls import reverse

    from ..models import ArticleVersion

    article_id = ArticleVersion.objects.filter(pk=approval.subject_id).values_list("article_id", flat=True).first()
    return reverse("service:kb_article", args=[article_id]) if article_id else ""


def register() -> None:
    from kehu.core.registry import DemoStep, register_demo_step
    from kehu.org.roles import Role
    from kehu.work.registry import ApprovalKind, register_approval_kind

    from ..hooks import TicketSection, register_ticket_section
    from .demo import load_kb_demo
    from .services import APPROVAL_KIND, kb_on_decided
    from .views import ticket_section_loader

    register_approval_kind(ApprovalKind(
        APPROVAL_KIND, _("Knowledge-base article"),
        default_authority={Role.BRANCH_MANAGER: None, Role.ADMINISTRATOR: None},
        on_decided=kb_on_decided, url=_approval_url))
    register_ticket_section(TicketSection("kb", _("Knowledge base"), 30, "service/kb/_ticket_section.html",
                                          ticket_section_loader))
    register_demo_step(DemoStep("kb", _("Knowledge base"), 135, load_kb_demo))
