from django.urls import path  # noqa: F401

from .agent import urls as agent_urls
from .lost import urls as lost_urls
from .mailin import urls as mailin_urls

app_name = "service"
urlpatterns: list = []
urlpatterns += mailin_urls.urlpatterns
urlpatterns += agent_urls.urlpatterns
urlpatterns += lost_urls.urlpatterns
