from django.urls import path

from . import views
from .cadences import views as cadence_views

app_name = "relations"
urlpatterns = [
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("cadence/", cadence_views.rule_list, name="cadence_rules"),
    path("cadence/new/", cadence_views.rule_edit, name="cadence_rule_create"),
    path("cadence/<int:pk>/", cadence_views.rule_edit, name="cadence_rule_edit"),
    path("cadence/<int:pk>/delete/", cadence_views.rule_delete, name="cadence_rule_delete"),
    path("cadence/coverage/", cadence_views.coverage, name="cadence_coverage"),
]
