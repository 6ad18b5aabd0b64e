from django.urls import path

from . import views

urlpatterns = [
    path("agent/", views.agent_screen, name="agent_screen"),
    path("agent/call/<int:pk>/", views.agent_call_log, name="agent_call_log"),
]
