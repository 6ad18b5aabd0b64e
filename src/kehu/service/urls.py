from django.urls import path

from . import views
from .agent import urls as agent_urls
from .kb import urls as kb_urls
from .lost import urls as lost_urls
from .mailin import urls as mailin_urls
from .setup import urls as setup_urls
from .sla import urls as sla_urls
from .surveys import urls as surveys_urls

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
urlpatterns += mailin_urls.urlpatterns
urlpatterns += kb_urls.urlpatterns
urlpatterns += sla_urls.urlpatterns
urlpatterns += surveys_urls.urlpatterns
urlpatterns += agent_urls.urlpatterns
urlpatterns += lost_urls.urlpatterns
urlpatterns += setup_urls.urlpatterns
