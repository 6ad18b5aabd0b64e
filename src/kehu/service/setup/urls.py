from django.urls import path

from . import views

urlpatterns = [
    path("setup/teams/", views.team_list, name="setup_teams"),
    path("setup/teams/new/", views.team_create, name="setup_team_create"),
    path("setup/teams/<int:pk>/", views.team_edit, name="setup_team_edit"),
    path("setup/teams/<int:pk>/active/", views.team_active, name="setup_team_active"),
    path("setup/categories/", views.category_list, name="setup_categories"),
    path("setup/categories/new/", views.category_create, name="setup_category_create"),
    path("setup/categories/<int:pk>/", views.category_edit, name="setup_category_edit"),
    path("setup/categories/<int:pk>/active/", views.category_active, name="setup_category_active"),
]
