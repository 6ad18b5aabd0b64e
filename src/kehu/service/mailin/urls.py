from django.urls import path

from . import views

urlpatterns = [
    path("mail/attachments/<int:pk>/", views.attachment_download, name="mailin_attachment"),
]
