from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/", views.upload, name="upload"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/start/", views.job_start, name="start"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/errors.<str:file_format>", views.error_report, name="errors"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("merge/", views.merge, name="merge"),
    path("export/", views.export, name="export"),
]
