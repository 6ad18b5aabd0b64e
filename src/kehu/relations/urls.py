from django.urls import path

from . import views
from .cadences import views as cadence_views
from .evaluations import views as evaluation_views
from .kpis import views as kpi_views
from .plans import views as plans
from .strengthening import views as strengthening_views

app_name = "relations"
# maintenance plans, events and gifts (relations/plans)
plans_urls = [
    path("plans/", plans.plan_list, name="plans"),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/actions/", plans.plan_action_add, name="plan_action_add"),
    path("plans/<int:pk>/actions/<int:action_pk>/remove/", plans.plan_action_remove, name="plan_action_remove"),
    path("plans/<int:pk>/actions/<int:action_pk>/cost/", plans.plan_action_cost, name="plan_action_cost"),
    path("plans/<int:pk>/submit/", plans.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/decide/", plans.plan_decide, name="plan_decide"),
    path("plans/<int:pk>/start/", plans.plan_start, name="plan_start"),
    path("plans/<int:pk>/summary/", plans.plan_summarise, name="plan_summarise"),
    path("events/", plans.event_list, name="events"),
    path("events/new/", plans.event_create, name="event_create"),
    path("events/<int:pk>/", plans.event_detail, name="event"),
    path("events/<int:pk>/edit/", plans.event_edit, name="event_edit"),
    path("events/<int:pk>/invite/", plans.event_invite, name="event_invite"),
    path("events/<int:pk>/attendance/", plans.event_attendance, name="event_attendance"),
    path("events/<int:pk>/invitees.csv", plans.event_invitees_csv, name="event_invitees_csv"),
    path("customers/<int:pk>/gifts/new/", plans.gift_create, name="gift_create"),
]
urlpatterns = [
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("kpis/", kpi_views.staff_kpi_page, name="staff_kpis"),
    path("kpis/export.csv", kpi_views.staff_kpi_export, name="staff_kpis_export"),
    # evaluations (客户关系评估表)
    path("evaluations/", evaluation_views.evaluation_list, name="evaluation_list"),
    path("evaluations/<int:pk>/", evaluation_views.evaluation_detail, name="evaluation"),
    path("customers/<int:pk>/evaluate/", evaluation_views.evaluation_create, name="evaluation_create"),
    path("evaluation-templates/", evaluation_views.template_list, name="evaluation_templates"),
    path("evaluation-templates/<int:pk>/", evaluation_views.template_edit, name="evaluation_template_edit"),
    # strengthening table (客户关系强化表)
    path("customers/<int:pk>/strengthening/new/", strengthening_views.row_create, name="strengthening_create"),
    path("strengthening/<int:pk>/", strengthening_views.row_edit, name="strengthening_edit"),
    path("strengthening/<int:pk>/remove/", strengthening_views.row_delete, name="strengthening_delete"),
    *plans_urls,
    path("cadence/", cadence_views.rule_list, name="cadence_rules"),
    path("cadence/new/", cadence_views.rule_edit, name="cadence_rule_create"),
    path("cadence/<int:pk>/", cadence_views.rule_edit, name="cadence_rule_edit"),
    path("cadence/<int:pk>/delete/", cadence_views.rule_delete, name="cadence_rule_delete"),
    path("cadence/coverage/", cadence_views.coverage, name="cadence_coverage"),
]
