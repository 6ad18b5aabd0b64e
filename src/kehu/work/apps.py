from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    """The shared work machinery: tasks, approvals, notifications (above customers, below the modules)."""

    name = "kehu.work"
    verbose_name = _("Work")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from kehu.core.registry import register_grants, register_home_section, register_timeline_kind

        from .home import MY_TASKS_SECTION
        from .registry import NotificationKind, TaskKind, register_notification_kind, register_task_kind
        from .roles import GRANTS
        from .timeline import APPROVAL_KIND, TASK_KIND

        register_grants(self.label, GRANTS)
        register_timeline_kind(TASK_KIND)
        register_timeline_kind(APPROVAL_KIND)
        register_home_section(MY_TASKS_SECTION)
        for kind in (
            TaskKind("follow_up", _("Follow-up")),
            TaskKind("call", pgettext_lazy("task kind", "Call"), contact_channel="phone"),
            TaskKind("visit", pgettext_lazy("task kind", "Visit"), contact_channel="visit"),
            TaskKind("message", pgettext_lazy("task kind", "SMS"), contact_channel="sms"),
            TaskKind("email", pgettext_lazy("task kind", "E-mail"), contact_channel="email"),
            TaskKind("meeting", pgettext_lazy("task kind", "Meeting"), contact_channel="meeting"),
            TaskKind("other", pgettext_lazy("task kind", "Other")),
        ):
            register_task_kind(kind)
        for notification in (
            NotificationKind("task_assigned", _("Task assigned to me"), email_by_default=False),
            NotificationKind("tasks_due", _("Tasks due"), email_by_default=False),
            NotificationKind("approval_waiting", _("Approval waiting for me"), email_by_default=False),
            NotificationKind("approval_decided", _("My request decided"), email_by_default=False),
            NotificationKind("alert", _("Alert"), email_by_default=False),
        ):
            register_notification_kind(notification)
