from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    """Relationship maintenance: contact log (later cadences, maintenance plans, evaluations, staff KPIs)."""

    name = "kehu.relations"
    verbose_name = _("Relationship maintenance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kehu.core.registry import (
            DemoStep,
            register_demo_step,
            register_grants,
            register_import_target,
            register_panel,
            register_timeline_kind,
        )
        from kehu.work.registry import CompletionRecorder, TaskKind, register_completion_recorder, register_task_kind

        from .cadences.demo import load_cadence_demo
        from .demo import load_relations_demo
        from .panels import CONTACTS_PANEL
        from .roles import GRANTS
        from .services import channel_choices, record_task_completion
        from .timeline import CONTACT_KIND

        register_grants(self.label, GRANTS)
        register_panel(CONTACTS_PANEL)
        register_timeline_kind(CONTACT_KIND)
        register_import_target("contacts-log", _("Contact log"), "kehu.relations.imports.ContactLogTarget",
                               permissions=("relations.add_contactrecord",))
        register_completion_recorder(CompletionRecorder("contact", channel_choices, record_task_completion))
        register_demo_step(DemoStep("relations", _("Contacts and tasks"), 100, load_relations_demo))
        # cadences (接触频率): the due contacts of the cadence rules are tasks of this kind (their source: the rule)
        register_task_kind(TaskKind("cadence", _("Cadence contact")))
        register_demo_step(DemoStep("cadences", _("Cadence rules"), 105, load_cadence_demo))
