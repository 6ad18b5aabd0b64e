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
        from kehu.core.registry import register_home_section

        from .kpis.demo import load_kpi_demo
        from .kpis.home import STAFF_KPI_SECTION

        register_demo_step(DemoStep("staff_kpis", _("Staff KPIs: information collected"), 110, load_kpi_demo))
        register_home_section(STAFF_KPI_SECTION)
        self._ready_evaluations()
        from .plans.registration import register_plans

        register_plans()

    def _ready_evaluations(self) -> None:
        """Evaluations (panel, timeline kind, computed sources, demo step) and the strengthening table (panel)."""
        from kehu.core.registry import DemoStep, register_demo_step, register_panel, register_timeline_kind

        from .evaluations.demo import load_evaluations_demo
        from .evaluations.panels import EVALUATIONS_PANEL
        from .evaluations.sources import BUILT_IN, register_source
        from .evaluations.timeline import EVALUATION_KIND
        from .strengthening.panels import STRENGTHENING_PANEL

        register_panel(EVALUATIONS_PANEL)
        register_panel(STRENGTHENING_PANEL)
        register_timeline_kind(EVALUATION_KIND)
        from .strengthening.timeline import STRENGTHENING_KIND

        register_timeline_kind(STRENGTHENING_KIND)
        for source in BUILT_IN:
            register_source(source)
        register_demo_step(DemoStep("evaluations", _("Relationship evaluations"), 110, load_evaluations_demo))
