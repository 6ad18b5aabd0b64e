from django.urls import path

from . import views
from .evaluations import views as evaluation_views
from .kpis import views as kpi_views
from .strengthening import views as strengthening_views

app_name = "relations"
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
]
