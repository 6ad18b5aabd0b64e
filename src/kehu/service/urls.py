from django.urls import path  # noqa: F401

app_name = "service"
urlpatterns: list = []
from .surveys import urls as surveys_urls  # noqa: E402

urlpatterns += surveys_urls.urlpatterns
