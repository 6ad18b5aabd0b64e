from django.urls import path

from . import views

urlpatterns = [
    path("sla/", views.sla_report, name="sla_report"),
    path("sla/calendar/", views.sla_calendar_days, name="sla_calendar_days"),
]
