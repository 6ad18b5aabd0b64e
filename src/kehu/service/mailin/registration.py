"""How e-mail in joins service: the reply listener (replies by e-mail), the ticket page's e-mail section and the
Celery tasks (imported so the worker knows them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def _section_loader(*, ticket: Any, user: Any) -> dict[str, Any] | None:
    from .selectors import ticket_mail

    return ticket_mail(ticket=ticket, user=user)


def register() -> None:
    from ..hooks import TicketSection, register_ticket_listener, register_ticket_section
    from . import tasks  # noqa: F401 - the tasks' names for the worker
    from .admin import register_admin
    from .outbound import reply_listener

    register_ticket_listener("mailin-replies", reply_listener)
    register_admin()
    register_ticket_section(TicketSection(key="mailin", title=_("E-mail"), order=70,
                                          template="service/mailin/ticket_section.html", loader=_section_loader))
