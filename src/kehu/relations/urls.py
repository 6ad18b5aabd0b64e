from django.urls import path

from . import views
from .plans import views as plans

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
    *plans_urls,
]
