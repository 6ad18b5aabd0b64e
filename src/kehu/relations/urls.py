from django.urls import path

from . import views
from .kpis import views as kpi_views

app_name = "relations"
urlpatterns = [
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("kpis/", kpi_views.staff_kpi_page, name="staff_kpis"),
    path("kpis/export.csv", kpi_views.staff_kpi_export, name="staff_kpis_export"),
]
