from django.urls import path  # noqa: F401

from .agent import urls as agent_urls

app_name = "service"
urlpatterns: list = []
urlpatterns += agent_urls.urlpatterns
from .lost import urls as lost_urls  # noqa: E402

urlpatterns += lost_urls.urlpatterns
