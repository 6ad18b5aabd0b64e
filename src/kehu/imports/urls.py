from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/", views.upload, name="upload"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/values/", views.values, name="values"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/start/", views.job_start, name="start"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/errors.<str:file_format>", views.error_report, name="errors"),
    # the duplicates list and the merge moved to the customers app: old links and bookmarks follow
    path("duplicates/", RedirectView.as_view(pattern_name="customers:duplicates", query_string=True, permanent=True)),
    path("merge/", RedirectView.as_view(pattern_name="customers:merge", query_string=True, permanent=True)),
    path("export/", views.export, name="export"),
]
