from .kb import urls as kb_urls
from .mailin import urls as mailin_urls
from .sla import urls as sla_urls
from .surveys import urls as surveys_urls

app_name = "service"
urlpatterns: list = []
urlpatterns += mailin_urls.urlpatterns
urlpatterns += kb_urls.urlpatterns
urlpatterns += sla_urls.urlpatterns
urlpatterns += surveys_urls.urlpatterns
