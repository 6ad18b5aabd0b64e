from django.urls import path

from . import views

app_name = "relations"
urlpatterns = [
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
