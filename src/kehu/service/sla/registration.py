"""What SLA registers (called once from ``ServiceConfig.ready``): the ``sla`` ticket listener, the warning and
breach notification kinds, the SLA clock on the ticket page, the beat task."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from kehu.service.hooks import TicketSection, register_ticket_listener, register_ticket_section
    from kehu.work.registry import NotificationKind, register_notification_kind

    from . import tasks  # noqa: F401  (the Celery task joins the worker)
    from .selectors import ticket_clock
    from .services import NOTIFICATION_BREACH, NOTIFICATION_WARNING, sla_ticket_listener

    register_ticket_listener("sla", sla_ticket_listener)
    register_notification_kind(NotificationKind(NOTIFICATION_WARNING, _("A ticket's SLA target is near")))
    register_notification_kind(NotificationKind(NOTIFICATION_BREACH, _("A ticket breached its SLA (escalation)"),
                                                email_by_default=True))
    register_ticket_section(TicketSection("sla", _("SLA clock"), 20, "service/sla/_ticket_clock.html", ticket_clock))

    from kehu.core.registry import DemoStep, register_demo_step

    from .demo import load_sla_demo

    register_demo_step(DemoStep("sla", _("SLA clocks"), 131, load_sla_demo))
