from django.urls import path

from . import views

app_name = "service"
urlpatterns: list = [
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/edit/", views.ticket_edit, name="ticket_edit"),
    path("tickets/<int:pk>/transition/", views.ticket_transition, name="ticket_transition"),
    path("tickets/<int:pk>/messages/", views.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/merge/", views.ticket_merge, name="ticket_merge"),
    path("tickets/<int:pk>/compensation/", views.ticket_compensation, name="ticket_compensation"),
]
