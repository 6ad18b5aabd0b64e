from django.urls import path  # noqa: F401

app_name = "service"
urlpatterns: list = []

from .kb import urls as kb_urls  # noqa: E402

urlpatterns += kb_urls.urlpatterns
