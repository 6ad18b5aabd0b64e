from django.urls import path

from . import views

urlpatterns = [
    path("lost/", views.lost_list, name="lost_list"),
    path("lost/report/", views.lost_report, name="lost_report"),
    path("lost/mark/<int:pk>/", views.lost_mark, name="lost_mark"),
]
