from django.urls import path  # noqa: F401

from .sla import urls as sla_urls

app_name = "service"
urlpatterns: list = []
urlpatterns += sla_urls.urlpatterns
