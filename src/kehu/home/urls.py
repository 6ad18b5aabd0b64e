from django.urls import path

from . import audit, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/access-log/", audit.access_log, name="access_log"),
    path("audit/access-log/export.csv", audit.access_log_export, name="access_log_export"),
]
