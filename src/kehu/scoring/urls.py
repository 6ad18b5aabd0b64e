from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("schemes/<slug:name>/tiers/<str:code>/", views.tier_customers, name="tier_customers"),
    path("runs/", views.run_list, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/<str:action>/", views.alert_handle, name="alert_handle"),
]
