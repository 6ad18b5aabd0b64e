from django.urls import path  # noqa: F401

from .mailin import urls as mailin_urls

app_name = "service"
urlpatterns: list = []
urlpatterns += mailin_urls.urlpatterns
