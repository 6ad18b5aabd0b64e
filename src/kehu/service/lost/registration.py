"""What lost customers register (called once from ``ServiceConfig.ready``): the task kind ``win_back``, the timeline
kind ``lost`` and the 360 page's panel."""


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    from kehu.core.registry import register_panel, register_timeline_kind
    from kehu.work.registry import TaskKind, register_task_kind

    from . import tasks  # noqa: F401  (the beat job, which celery autodiscovery does not reach)
    from .panels import LOST_PANEL
    from .timeline import LOST_KIND

    register_task_kind(TaskKind("win_back", _("Win back")))
    register_timeline_kind(LOST_KIND)
    register_panel(LOST_PANEL)

    from kehu.core.registry import DemoStep, register_demo_step

    from .demo import load_lost_demo

    register_demo_step(DemoStep("lost", _("Lost customers"), 137, load_lost_demo))
