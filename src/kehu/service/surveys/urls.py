"""Staff pages of the survey part (namespace ``service``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("surveys/", views.survey_figures_page, name="surveys_figures"),
    path("surveys/invitations/", views.invitation_list_page, name="surveys_invitations"),
]
