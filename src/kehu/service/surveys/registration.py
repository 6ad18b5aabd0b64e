"""What the survey part registers (called once from ``ServiceConfig.ready()``)."""

from __future__ import annotations


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    from kehu.core.registry import DemoStep, register_demo_step, register_panel, register_timeline_kind
    from kehu.relations.evaluations.sources import register_source
    from kehu.service.hooks import TicketSection, register_ticket_listener, register_ticket_section

    from . import tasks  # noqa: F401 - Celery discovers only ``service.tasks``: register the survey tasks
    from .demo import load_surveys_demo
    from .evaluation import COMPLAINTS_SOURCE, CSAT_SOURCE
    from .panels import SATISFACTION_PANEL
    from .selectors import ticket_survey_section
    from .services import csat_on_ticket
    from .timeline import SURVEY_KIND

    register_ticket_listener("surveys-csat", csat_on_ticket)
    register_ticket_section(TicketSection("survey", _("Satisfaction survey"), 40,
                                          "service/surveys/_ticket_section.html", ticket_survey_section))
    register_panel(SATISFACTION_PANEL)
    register_timeline_kind(SURVEY_KIND)
    register_source(CSAT_SOURCE)
    register_source(COMPLAINTS_SOURCE)
    register_demo_step(DemoStep("surveys", _("Satisfaction surveys"), 136, load_surveys_demo))
