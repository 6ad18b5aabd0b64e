from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/access-log/", views.access_log, name="access_log"),
]
