from django.urls import path

from . import views

app_name = "sales"
urlpatterns = [
    path("leads/", views.lead_list, name="leads"),
    path("leads/pool/", views.lead_pool, name="pool"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/status/", views.lead_status, name="lead_status"),
    path("leads/<int:pk>/contacts/", views.lead_contact, name="lead_contact"),
    path("leads/<int:pk>/claim/", views.lead_claim, name="lead_claim"),
    path("leads/<int:pk>/assign/", views.lead_assign, name="lead_assign"),
    path("hand-over/", views.hand_over, name="hand_over"),
]
