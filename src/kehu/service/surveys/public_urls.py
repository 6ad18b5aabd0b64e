"""The public survey page, mounted at ``/s/`` in ``kehu/urls.py`` (no namespace, no login)."""

from django.urls import path

from .public import survey_answer_view

urlpatterns = [
    path("<str:token>/", survey_answer_view, name="survey_answer"),
]
